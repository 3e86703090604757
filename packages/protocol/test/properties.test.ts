import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  AmqpTimestamp,
  decodeProperties,
  encodeContentHeader,
  encodeProperties,
  FrameWriter,
  ProtocolError,
  type BasicProperties,
} from '../src/index.js';
import { propertiesArb, readFrames } from './helpers.js';

function encoded(p: BasicProperties): Buffer {
  const w = new FrameWriter(8);
  encodeProperties(w, p);
  return Buffer.from(w.buf.subarray(0, w.pos));
}

const all: BasicProperties = {
  contentType: 'application/json',
  contentEncoding: 'gzip',
  headers: { 'x-match': 'all', n: 42, nested: { t: new AmqpTimestamp(99) }, list: ['a', 1, true] },
  deliveryMode: 2,
  priority: 9,
  correlationId: 'corr-1',
  replyTo: 'amq.rabbitmq.reply-to',
  expiration: '60000',
  messageId: 'msg-1',
  timestamp: 1_700_000_000,
  type: 'order.created',
  userId: 'guest',
  appId: 'warren-test',
  clusterId: 'c1',
};

test('all basic properties round-trip through a content header frame', () => {
  const w = new FrameWriter(8);
  encodeContentHeader(w, 3, 123456789012, all);
  const frames = readFrames([Buffer.from(w.buf.subarray(0, w.pos))]);
  assert.equal(frames.length, 1);
  const f = frames[0]!;
  assert.equal(f.type, 2);
  assert.equal(f.channel, 3);
  assert.equal(f.payload.readUInt16BE(0), 60);
  assert.equal(f.payload.readUInt16BE(2), 0);
  assert.equal(Number(f.payload.readBigUInt64BE(4)), 123456789012);
  assert.equal(f.payload.readUInt16BE(12), 0xfffc);
  assert.deepStrictEqual(decodeProperties(f.payload, 12, f.payload.length), all);
});

test('each property alone uses its own flag bit', () => {
  const keys = Object.keys(all) as (keyof BasicProperties)[];
  keys.forEach((k, i) => {
    const b = encoded({ [k]: all[k] } as BasicProperties);
    assert.equal(b.readUInt16BE(0), 0x8000 >> i, k);
    assert.deepStrictEqual(decodeProperties(b, 0, b.length), { [k]: all[k] });
  });
});

test('known bytes: content-type and delivery-mode', () => {
  const w = new FrameWriter(8);
  encodeContentHeader(w, 1, 5, { contentType: 'text/plain', deliveryMode: 2 });
  assert.equal(
    w.buf.subarray(0, w.pos).toString('hex'),
    '02' + '0001' + '0000001a' + '003c' + '0000' + '0000000000000005' + '9000' + '0a' + Buffer.from('text/plain').toString('hex') + '02' + 'ce',
  );
});

test('empty properties are just a zero flag word', () => {
  assert.equal(encoded({}).toString('hex'), '0000');
  assert.deepStrictEqual(decodeProperties(Buffer.from('0000', 'hex'), 0, 2), {});
});

test('random properties round-trip', () => {
  fc.assert(
    fc.property(propertiesArb, (p) => {
      const b = encoded(p);
      assert.deepStrictEqual(decodeProperties(b, 0, b.length), p);
    }),
    { numRuns: 1000 },
  );
});

test('continuation flag words are skipped', () => {
  // flags: content-type + continuation bit; one extra flag word (no continuation); then the value.
  const b = Buffer.from('8001' + '1234' + '026869', 'hex');
  assert.deepStrictEqual(decodeProperties(b, 0, b.length), { contentType: 'hi' });
  const chain = Buffer.from('8001' + '0001' + '0001' + '0000' + '026869', 'hex');
  assert.deepStrictEqual(decodeProperties(chain, 0, chain.length), { contentType: 'hi' });
  const endless = Buffer.from('0001'.repeat(50), 'hex');
  assert.throws(() => decodeProperties(endless, 0, endless.length), (e: unknown) => e instanceof ProtocolError && e.code === 502);
});

test('truncated or malformed properties are a 502 and end is respected', () => {
  const b = encoded(all);
  for (let end = 0; end < b.length; end++) {
    assert.throws(() => decodeProperties(b, 0, end), (e: unknown) => e instanceof ProtocolError && e.code === 502, `end ${end}`);
  }
});
