// The connection methods RabbitMQ adds to 0-9-1 (spec/rabbitmq-extensions.xml): exact bytes,
// round trips, and agreement with amqplib's codec, which is generated from RabbitMQ's own spec.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  decodeMethod,
  methodHasContent,
  methodIds,
  methodNameOf,
  ProtocolError,
  type ConnectionBlocked,
  type ConnectionUnblocked,
  type ConnectionUpdateSecret,
  type ConnectionUpdateSecretOk,
  type Method,
} from '../src/index.js';
import { amqplibDefs, amqplibName, encode, methodArb, roundTrip, shortstrArb, specModel } from './helpers.js';

const EXTENSION_METHODS = [
  ['connection.blocked', 60],
  ['connection.unblocked', 61],
  ['connection.update-secret', 70],
  ['connection.update-secret-ok', 71],
] as const;

/** Decodes the arguments of a whole method frame as the broker does (ids taken from the frame). */
function decodeFrame(bytes: Buffer): Method {
  return decodeMethod(bytes.readUInt16BE(7), bytes.readUInt16BE(9), bytes, 11, bytes.length - 1);
}

test('the four methods have their RabbitMQ ids and carry no content', () => {
  for (const [name, methodId] of EXTENSION_METHODS) {
    assert.deepEqual(methodIds(name), [10, methodId]);
    assert.equal(methodNameOf(10, methodId), name);
    assert.equal(methodHasContent(10, methodId), false);
    assert.equal(amqplibDefs[amqplibName(name)], 10 * 0x10000 + methodId, `amqplib's id for ${name}`);
  }
});

test('connection.blocked matches hand-written bytes', () => {
  const m: ConnectionBlocked = { name: 'connection.blocked', reason: 'low on memory' };
  const bytes = encode(0, m);
  // type 1, channel 0, size 18, class 10 method 60, shortstr(13) "low on memory", frame end
  assert.equal(bytes.toString('hex'), '01' + '0000' + '00000012' + '000a003c' + '0d' + Buffer.from('low on memory').toString('hex') + 'ce');
  assert.deepEqual(decodeFrame(bytes), m);
  assert.deepEqual(bytes, amqplibDefs.encodeMethod(0x000a003c, 0, { reason: 'low on memory' }));
});

test('connection.unblocked and connection.update-secret-ok are bare method frames', () => {
  const unblocked: ConnectionUnblocked = { name: 'connection.unblocked' };
  const ok: ConnectionUpdateSecretOk = { name: 'connection.update-secret-ok' };
  const unblockedBytes = encode(0, unblocked);
  const okBytes = encode(0, ok);
  assert.equal(unblockedBytes.toString('hex'), '01' + '0000' + '00000004' + '000a003d' + 'ce');
  assert.equal(okBytes.toString('hex'), '01' + '0000' + '00000004' + '000a0047' + 'ce');
  assert.deepEqual(decodeFrame(unblockedBytes), unblocked);
  assert.deepEqual(decodeFrame(okBytes), ok);
  assert.deepEqual(unblockedBytes, amqplibDefs.encodeMethod(0x000a003d, 0, {}));
  assert.deepEqual(okBytes, amqplibDefs.encodeMethod(0x000a0047, 0, {}));
});

test('connection.update-secret matches hand-written bytes and keeps the secret as raw bytes', () => {
  // Not valid UTF-8: the secret must come back byte for byte, not as replacement characters.
  const secret = Buffer.from('00ff7a80', 'hex');
  const m: ConnectionUpdateSecret = { name: 'connection.update-secret', newSecret: secret, reason: 'refresh' };
  const bytes = encode(0, m);
  // size 4 (ids) + 4+4 (longstr) + 1+7 (shortstr) = 20
  assert.equal(
    bytes.toString('hex'),
    '01' + '0000' + '00000014' + '000a0046' + '00000004' + '00ff7a80' + '07' + Buffer.from('refresh').toString('hex') + 'ce',
  );
  const decoded = decodeFrame(bytes);
  assert.deepStrictEqual(decoded, m);
  assert.ok(Buffer.isBuffer((decoded as ConnectionUpdateSecret).newSecret));
  assert.deepEqual(bytes, amqplibDefs.encodeMethod(0x000a0046, 0, { newSecret: secret, reason: 'refresh' }));
});

test('the four methods round-trip through FrameReader on any channel', () => {
  const jwtLike = Buffer.from('eyJhbGciOiJSUzI1NiJ9.' + 'x'.repeat(2000) + '.sig');
  const cases: Method[] = [
    { name: 'connection.blocked', reason: '' },
    { name: 'connection.blocked', reason: 'r'.repeat(255) },
    { name: 'connection.blocked', reason: 'mémoire épuisée' },
    { name: 'connection.unblocked' },
    { name: 'connection.update-secret', newSecret: Buffer.alloc(0), reason: '' },
    { name: 'connection.update-secret', newSecret: jwtLike, reason: 'token refresh' },
    { name: 'connection.update-secret-ok' },
  ];
  for (const m of cases) {
    for (const channel of [0, 1, 65535]) assert.deepStrictEqual(roundTrip(channel, m), m);
  }
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 600 }), shortstrArb, fc.integer({ min: 0, max: 65535 }), (secret, reason, channel) => {
      const m: Method = { name: 'connection.update-secret', newSecret: Buffer.from(secret), reason };
      assert.deepStrictEqual(roundTrip(channel, m), m);
    }),
    { numRuns: 100 },
  );
});

test('amqplib decodes our encoding of the four methods, and we decode its encoding', () => {
  for (const [name] of EXTENSION_METHODS) {
    const spec = specModel.methods.find((m) => m.fullName === name)!;
    const id = 10 * 0x10000 + spec.methodId;
    fc.assert(
      fc.property(methodArb(spec), fc.integer({ min: 0, max: 65535 }), (m, channel) => {
        const ours = encode(channel, m);
        const theirs = amqplibDefs.decode(id, ours.subarray(11, ours.length - 1));
        const { name: _name, ...args } = m as unknown as Record<string, unknown>;
        assert.deepEqual(Object.keys(theirs).sort(), Object.keys(args).sort());
        for (const [k, v] of Object.entries(args)) assert.deepEqual(Buffer.isBuffer(v) ? Buffer.from(theirs[k] as Buffer) : theirs[k], v, `${name}.${k}`);
        // Same bytes both ways, so amqplib's frame decodes to the same method.
        const back = amqplibDefs.encodeMethod(id, channel, theirs);
        assert.deepEqual(back, ours);
        assert.deepStrictEqual(decodeFrame(back), m);
      }),
      { numRuns: 50 },
    );
  }
});

test('a connection.update-secret whose secret runs past the frame is a 502 on class 10 method 70', () => {
  const bytes = encode(0, { name: 'connection.update-secret', newSecret: Buffer.from('token'), reason: 'why' });
  for (let cut = 0; cut < bytes.length - 12; cut++) {
    assert.throws(
      () => decodeMethod(10, 70, bytes, 11, 11 + cut),
      (e: unknown) => e instanceof ProtocolError && e.code === 502 && e.classId === 10 && e.methodId === 70,
      `cut at ${cut}`,
    );
  }
});
