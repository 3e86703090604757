import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { hashPassword, isBase64, verifyPassword, DEFAULT_HASHING_ALGORITHM } from '../../src/auth/password.js';

// Vectors: SHA-256 is the worked example of RabbitMQ's "Computing Password Hash" guide (salt 908DC60A,
// password test12); MD5 is the worked example from the RabbitMQ team on rabbitmq-discuss (salt CAD5089B,
// password simon); SHA-512 was computed independently with Python's hashlib per the same scheme.
const SHA256_VECTOR = { salt: '908DC60A', password: 'test12', hash: 'kI3GCqW5JLMJa4iX1lo7X4D6XbYqlLgxIs30+P6tENUV2POR' };
const MD5_VECTOR = { salt: 'CAD5089B', password: 'simon', hash: 'ytUIm8s3AnKsXQjptplKFytfVxI=' };
const SHA512_VECTOR = {
  salt: '0A1B2C3D',
  password: 'pässwörd',
  hash: 'ChssPRp1cbKoSXHV/Hcgf6Ns4QBtx2GPEcRaFo3yBQrOOXjr1OG+TyoU5J+WO+Fu9Rdtq5atvH/jkk3RaO522ikWMs8=',
};

describe('password hashing (RabbitMQ scheme)', () => {
  it('defaults to rabbit_password_hashing_sha256', () => {
    assert.equal(DEFAULT_HASHING_ALGORITHM, 'rabbit_password_hashing_sha256');
  });

  it('reproduces the documented SHA-256 example', () => {
    const salt = Buffer.from(SHA256_VECTOR.salt, 'hex');
    assert.equal(hashPassword(SHA256_VECTOR.password, 'rabbit_password_hashing_sha256', salt), SHA256_VECTOR.hash);
    assert.equal(verifyPassword('test12', SHA256_VECTOR.hash, 'rabbit_password_hashing_sha256'), true);
    assert.equal(verifyPassword('test13', SHA256_VECTOR.hash, 'rabbit_password_hashing_sha256'), false);
  });

  it('reproduces the MD5 example (pre-3.6 exports)', () => {
    const salt = Buffer.from(MD5_VECTOR.salt, 'hex');
    assert.equal(hashPassword(MD5_VECTOR.password, 'rabbit_password_hashing_md5', salt), MD5_VECTOR.hash);
    assert.equal(verifyPassword('simon', MD5_VECTOR.hash, 'rabbit_password_hashing_md5'), true);
    assert.equal(verifyPassword('Simon', MD5_VECTOR.hash, 'rabbit_password_hashing_md5'), false);
  });

  it('hashes UTF-8 passwords with SHA-512', () => {
    const salt = Buffer.from(SHA512_VECTOR.salt, 'hex');
    assert.equal(hashPassword(SHA512_VECTOR.password, 'rabbit_password_hashing_sha512', salt), SHA512_VECTOR.hash);
    assert.equal(verifyPassword('pässwörd', SHA512_VECTOR.hash, 'rabbit_password_hashing_sha512'), true);
    assert.equal(verifyPassword('passwoerd', SHA512_VECTOR.hash, 'rabbit_password_hashing_sha512'), false);
  });

  it('salts randomly: two hashes of one password differ and both verify', () => {
    const a = hashPassword('guest');
    const b = hashPassword('guest');
    assert.notEqual(a, b);
    assert.equal(Buffer.from(a, 'base64').length, 36);
    assert.equal(verifyPassword('guest', a, 'rabbit_password_hashing_sha256'), true);
    assert.equal(verifyPassword('guest', b, 'rabbit_password_hashing_sha256'), true);
  });

  it('never verifies against an empty, truncated or wrong-algorithm hash', () => {
    assert.equal(verifyPassword('', '', 'rabbit_password_hashing_sha256'), false);
    assert.equal(verifyPassword('test12', SHA256_VECTOR.hash.slice(0, 20), 'rabbit_password_hashing_sha256'), false);
    assert.equal(verifyPassword('test12', SHA256_VECTOR.hash, 'rabbit_password_hashing_md5'), false);
    assert.equal(verifyPassword('test12', SHA256_VECTOR.hash, 'rabbit_password_hashing_sha512'), false);
    assert.equal(verifyPassword('test12', SHA256_VECTOR.hash, 'bogus' as never), false);
  });

  it('rejects bad salts and unknown algorithms when hashing', () => {
    assert.throws(() => hashPassword('x', 'rabbit_password_hashing_sha256', Buffer.alloc(3)), /salt must be 4 bytes/);
    assert.throws(() => hashPassword('x', 'rabbit_password_hashing_sha1' as never), /unknown password hashing algorithm/);
  });

  it('recognises strict base64', () => {
    assert.equal(isBase64(''), true);
    assert.equal(isBase64(SHA256_VECTOR.hash), true);
    assert.equal(isBase64(MD5_VECTOR.hash), true);
    assert.equal(isBase64('abc'), false);
    assert.equal(isBase64('ab$d'), false);
    assert.equal(isBase64('a=bc'), false);
  });
});
