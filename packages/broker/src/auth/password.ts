// RabbitMQ-compatible salted password hashes (rabbit_password / rabbit_password_hashing_*):
// base64( salt(4 random bytes) ++ H(salt ++ utf8(password)) ). Hashes exported from RabbitMQ's
// definitions therefore verify here unchanged, and ours import into RabbitMQ.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export type HashingAlgorithm =
  | 'rabbit_password_hashing_sha256'
  | 'rabbit_password_hashing_sha512'
  | 'rabbit_password_hashing_md5';

/** RabbitMQ's default since 3.6.0. */
export const DEFAULT_HASHING_ALGORITHM: HashingAlgorithm = 'rabbit_password_hashing_sha256';

/** Digest name and length per algorithm. */
const DIGESTS: Record<HashingAlgorithm, { name: string; length: number }> = {
  rabbit_password_hashing_sha256: { name: 'sha256', length: 32 },
  rabbit_password_hashing_sha512: { name: 'sha512', length: 64 },
  rabbit_password_hashing_md5: { name: 'md5', length: 16 },
};

const SALT_LENGTH = 4;

export function isHashingAlgorithm(value: string): value is HashingAlgorithm {
  return Object.prototype.hasOwnProperty.call(DIGESTS, value);
}

function saltedDigest(algorithm: HashingAlgorithm, salt: Buffer, password: string): Buffer {
  return createHash(DIGESTS[algorithm].name).update(salt).update(password, 'utf8').digest();
}

/**
 * Hashes `password` the way RabbitMQ does. `salt` (4 bytes) is random unless given (tests use
 * fixed salts to check known vectors).
 */
export function hashPassword(
  password: string,
  algorithm: HashingAlgorithm = DEFAULT_HASHING_ALGORITHM,
  salt: Buffer = randomBytes(SALT_LENGTH),
): string {
  if (!isHashingAlgorithm(algorithm)) throw new Error(`unknown password hashing algorithm '${String(algorithm)}'`);
  if (salt.length !== SALT_LENGTH) throw new Error(`password salt must be ${SALT_LENGTH} bytes, got ${salt.length}`);
  return Buffer.concat([salt, saltedDigest(algorithm, salt, password)]).toString('base64');
}

/**
 * True when `password` matches `passwordHashBase64`. An empty or malformed hash never matches
 * (RabbitMQ: a user with an empty password hash cannot log in with a password).
 * The digest comparison is constant-time.
 */
export function verifyPassword(password: string, passwordHashBase64: string, algorithm: HashingAlgorithm): boolean {
  if (!isHashingAlgorithm(algorithm)) return false;
  const stored = Buffer.from(passwordHashBase64, 'base64');
  if (stored.length !== SALT_LENGTH + DIGESTS[algorithm].length) return false;
  const salt = stored.subarray(0, SALT_LENGTH);
  return timingSafeEqual(stored.subarray(SALT_LENGTH), saltedDigest(algorithm, salt, password));
}

/** Strict base64 (what RabbitMQ's b64decode_or_throw accepts); the empty string is valid. */
export function isBase64(value: string): boolean {
  return value.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(value);
}
