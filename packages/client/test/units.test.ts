// Parts that need no broker: URL parsing, serialization registry, back-off, entity arguments.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { parseBrokerUrl, SerializerRegistry, serializers, backoffDelay, DecodeError, Queue, Exchange, type BasicProperties } from '../src/index.js';

test('broker URLs: defaults, vhost decoding, query parameters, masked display', () => {
  const a = parseBrokerUrl('amqp://localhost');
  assert.deepEqual([a.host, a.port, a.username, a.password, a.vhost], ['localhost', 5672, 'guest', 'guest', '/']);
  const b = parseBrokerUrl('amqps://user:p%40ss@broker.example:5999/my%2Fvhost?heartbeat=5&frame_max=8192&channel_max=10&connection_timeout=3000');
  assert.deepEqual([b.protocol, b.host, b.port, b.username, b.password, b.vhost], ['amqps', 'broker.example', 5999, 'user', 'p@ss', 'my/vhost']);
  assert.deepEqual([b.heartbeat, b.frameMax, b.channelMax, b.connectionTimeout], [5, 8192, 10, 3000]);
  assert.equal(b.display, 'amqps://user:***@broker.example:5999/my%2Fvhost?heartbeat=5&frame_max=8192&channel_max=10&connection_timeout=3000');
  assert.equal(parseBrokerUrl('amqps://h').port, 5671);
  assert.equal(parseBrokerUrl('amqp://h/').vhost, '/');
  assert.equal(parseBrokerUrl('amqp://h/%2F').vhost, '/');
  assert.equal(parseBrokerUrl('memory://').host, 'default');
  assert.throws(() => parseBrokerUrl('http://h'), /unsupported broker URL scheme/);
  assert.throws(() => parseBrokerUrl('amqp://h?heartbeat=x'), /invalid heartbeat/);
});

test('serializer registry: encode fills content type/encoding; decode honours them and rejects bad input clearly', () => {
  const props: BasicProperties = {};
  const body = serializers.encode({ a: 1 }, undefined, undefined, props);
  assert.deepEqual(props, { contentType: 'application/json', contentEncoding: 'utf-8' });
  assert.deepEqual(serializers.decode(body, props), { a: 1 });
  const gz: BasicProperties = {};
  const zipped = serializers.encode('x'.repeat(1000), 'text', 'gzip', gz);
  assert.equal(gz.contentEncoding, 'gzip');
  assert.ok(zipped.length < 100);
  assert.equal(serializers.decode(zipped, gz), 'x'.repeat(1000));
  assert.ok(Buffer.isBuffer(serializers.decode(Buffer.from('raw'), {})));
  assert.throws(() => serializers.decode(Buffer.from('x'), { contentType: 'application/json', contentEncoding: 'lzma' }), (e: unknown) => e instanceof DecodeError && /unknown content encoding "lzma"/.test(e.message));
  assert.throws(() => serializers.decode(gzipSync(Buffer.from('{')), { contentType: 'application/json', contentEncoding: 'gzip' }), DecodeError);
  assert.throws(() => serializers.encode(1, 'yaml', undefined, {}), /unknown serializer "yaml"/);
  const custom = new SerializerRegistry();
  custom.register('upper', { contentType: 'text/x-upper', encode: (v) => Buffer.from(String(v).toUpperCase()), decode: (b) => b.toString().toLowerCase() });
  const p: BasicProperties = {};
  const enc = custom.encode('Hi', 'upper', undefined, p);
  assert.equal(enc.toString(), 'HI');
  assert.equal(custom.decode(enc, p), 'hi');
});

test('back-off grows exponentially up to the cap, with jitter inside the bounds', () => {
  for (let attempt = 0; attempt < 12; attempt++) {
    const base = Math.min(1000, 10 * 2 ** attempt);
    for (let i = 0; i < 20; i++) {
      const d = backoffDelay({ initialDelay: 10, maxDelay: 1000, factor: 2, jitter: 0.5 }, attempt);
      assert.ok(d >= base / 2 - 1 && d <= base + 1, `attempt ${attempt}: ${d} outside [${base / 2}, ${base}]`);
    }
  }
  assert.equal(backoffDelay({ initialDelay: 100, jitter: 0 }, 3), 800);
});

test('typed queue and exchange options become the documented x- arguments', () => {
  const q = new Queue('q', {
    messageTtl: 1000, expires: 5000, maxLength: 10, maxLengthBytes: 1024, overflow: 'reject-publish',
    deadLetterExchange: 'dlx', deadLetterRoutingKey: 'dead', maxPriority: 5, queueType: 'quorum',
    singleActiveConsumer: true, deliveryLimit: 3, arguments: { 'x-custom': 'v' },
  });
  assert.deepEqual(q.arguments, {
    'x-custom': 'v', 'x-message-ttl': 1000, 'x-expires': 5000, 'x-max-length': 10, 'x-max-length-bytes': 1024,
    'x-overflow': 'reject-publish', 'x-dead-letter-exchange': 'dlx', 'x-dead-letter-routing-key': 'dead',
    'x-max-priority': 5, 'x-queue-type': 'quorum', 'x-single-active-consumer': true, 'x-delivery-limit': 3,
  });
  assert.equal(q.durable, true);
  const anon = new Queue();
  assert.deepEqual([anon.durable, anon.exclusive, anon.autoDelete, anon.serverNamed], [false, true, true, true]);
  const e = new Exchange('e', 'x-delayed-message', { delayedType: 'topic', alternateExchange: 'ae' });
  assert.deepEqual(e.arguments, { 'x-alternate-exchange': 'ae', 'x-delayed-type': 'topic' });
  assert.equal(new Exchange('amq.topic', 'topic').passive, true);
});
