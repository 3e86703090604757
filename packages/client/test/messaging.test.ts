// Publishing, consuming, serialization, topology and errors: the same tests against Warren and RabbitMQ.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  connect, Exchange, Queue, ChannelClosedError, ConnectionRefusedError, PublishNackedError, PublishReturnedError,
  type Connection, type Message,
} from '../src/index.js';
import { forEachBroker, uniqueName, until } from './helpers/brokers.js';

forEachBroker((broker) => {
  async function open(): Promise<Connection> {
    return connect(broker().url, { reconnect: { initialDelay: 20, maxDelay: 200 } });
  }

  test('a JSON message published with a confirm reaches a consumer with its properties', async () => {
    const conn = await open();
    try {
      const q = new Queue(uniqueName('basic'), { durable: false, autoDelete: false });
      const got: Array<{ body: unknown; msg: Message }> = [];
      await conn.consume(q, (body, msg) => { got.push({ body, msg }); });
      const value = { n: 1, list: ['a', 'b'], nested: { ok: true }, text: 'zażółć' };
      await conn.publish(value, {
        routingKey: q.name, headers: { 'x-trace': 'abc', attempt: 2 }, priority: 3, correlationId: 'c-1',
        messageId: 'm-1', type: 'order', appId: 'tests', expiration: 60_000,
      });
      await until(() => got.length === 1, 10_000, 'delivery');
      const { body, msg } = got[0]!;
      assert.deepEqual(body, value);
      assert.equal(msg.contentType, 'application/json');
      assert.equal(msg.properties.contentEncoding, 'utf-8');
      assert.equal(msg.properties.deliveryMode, 2);
      assert.equal(msg.properties.priority, 3);
      assert.equal(msg.correlationId, 'c-1');
      assert.equal(msg.properties.messageId, 'm-1');
      assert.equal(msg.properties.type, 'order');
      assert.equal(msg.properties.appId, 'tests');
      assert.equal(msg.properties.expiration, '60000');
      assert.equal(msg.headers['x-trace'], 'abc');
      assert.equal(msg.headers['attempt'], 2);
      assert.equal(msg.redelivered, false);
      assert.equal(msg.routingKey, q.name);
      await conn.deleteQueue(q);
    } finally {
      await conn.close();
    }
  });

  test('publishes without confirms resume a bounded number per event-loop turn, so consumers in the same process keep getting turns', async () => {
    const conn = await open();
    try {
      const q = new Queue(uniqueName('fair'), { durable: false });
      await conn.declare(q);
      let delivered = 0;
      await conn.consume(q, () => { delivered++; }, { prefetch: 100 });
      const producer = conn.producer({ confirm: false });
      const n = 1000;
      let resolved = 0;
      const all = Array.from({ length: n }, () => producer.publish(Buffer.alloc(64), { routingKey: q.name, persistent: false }).then(() => { resolved++; }));
      // Count resolutions turn by turn: setImmediate callbacks run once per event-loop turn.
      const perTurn: number[] = [];
      let seen = 0;
      for (let turn = 0; turn < 10_000 && resolved < n; turn++) {
        await new Promise<void>((r) => setImmediate(r));
        perTurn.push(resolved - seen);
        seen = resolved;
      }
      await Promise.all(all);
      assert.equal(resolved, n);
      assert.ok(Math.max(...perTurn) <= 64, `at most 64 publishes resumed per turn, saw ${Math.max(...perTurn)}`);
      assert.ok(perTurn.filter((k) => k > 0).length >= Math.ceil(n / 64), 'resumptions spread over turns');
      await until(() => delivered === n, 10_000, 'all deliveries');
      await conn.deleteQueue(q);
    } finally {
      await conn.close();
    }
  });

  test('serializers (json, msgpack, text, raw) and compressions (gzip, deflate, br) round-trip', async () => {
    const conn = await open();
    try {
      const q = new Queue(uniqueName('serial'), { durable: false });
      const got: Array<{ body: unknown; type: string | undefined; enc: string | undefined }> = [];
      await conn.consume(q, (body, msg) => { got.push({ body, type: msg.contentType, enc: msg.properties.contentEncoding }); });
      const big = { items: Array.from({ length: 200 }, (_, i) => ({ i, name: `item-${i}` })) };
      const cases: Array<[unknown, string | undefined, string | undefined]> = [
        [{ a: 1 }, 'json', undefined],
        [{ a: [1, 2, 3], b: 'x', c: null }, 'msgpack', undefined],
        ['plain text ✓', 'text', undefined],
        [Buffer.from([0, 1, 2, 255]), undefined, undefined],
        [big, 'json', 'gzip'],
        [big, 'msgpack', 'deflate'],
        ['brotli text '.repeat(50), 'text', 'br'],
      ];
      for (const [body, serializer, compression] of cases) await conn.publish(body, { routingKey: q.name, serializer, compression });
      await until(() => got.length === cases.length, 10_000, 'all deliveries');
      for (let i = 0; i < cases.length; i++) assert.deepEqual(got[i]!.body, cases[i]![0], `case ${i}`);
      assert.deepEqual(got.map((g) => g.type), ['application/json', 'application/x-msgpack', 'text/plain', 'application/octet-stream', 'application/json', 'application/x-msgpack', 'text/plain']);
      assert.deepEqual(got.slice(4).map((g) => g.enc), ['gzip', 'deflate', 'br']);
      await conn.deleteQueue(q);
    } finally {
      await conn.close();
    }
  });

  test('a big message is split into frames and reassembled', async () => {
    const conn = await open();
    try {
      const q = new Queue(uniqueName('big'), { durable: false });
      const body = Buffer.alloc(600_000);
      for (let i = 0; i < body.length; i++) body[i] = (i * 7) & 0xff;
      const got: Buffer[] = [];
      await conn.consume(q, (b: Buffer) => { got.push(b); });
      await conn.publish(body, { routingKey: q.name });
      await until(() => got.length === 1, 10_000, 'delivery');
      assert.ok(got[0]!.equals(body));
      await conn.deleteQueue(q);
    } finally {
      await conn.close();
    }
  });

  test('exchanges and bindings: direct, fanout, topic, headers and exchange-to-exchange', async () => {
    const conn = await open();
    try {
      const topic = new Exchange(uniqueName('topic'), 'topic', { durable: false, autoDelete: false });
      const fan = new Exchange(uniqueName('fan'), 'fanout', { durable: false });
      const headers = new Exchange(uniqueName('hdr'), 'headers', { durable: false });
      const qa = new Queue(uniqueName('qa'), { durable: false, bindings: [{ exchange: topic, routingKey: '*.error' }] });
      const qb = new Queue(uniqueName('qb'), { durable: false, bindings: [{ exchange: fan }] });
      const qh = new Queue(uniqueName('qh'), { durable: false, bindings: [{ exchange: headers, arguments: { 'x-match': 'all', kind: 'x' } }] });
      const a: string[] = [];
      const b: string[] = [];
      const h: string[] = [];
      await conn.consume<string>(qa, (m) => { a.push(m); });
      await conn.consume<string>(qb, (m) => { b.push(m); });
      await conn.consume<string>(qh, (m) => { h.push(m); });
      // topic -> fanout exchange-to-exchange binding
      await conn.bind(fan, topic, 'audit.#');
      await conn.publish('kern.error', { exchange: topic, routingKey: 'kern.error' });
      await conn.publish('kern.info', { exchange: topic, routingKey: 'kern.info' });
      await conn.publish('audit.x', { exchange: topic, routingKey: 'audit.x' });
      await conn.publish('match', { exchange: headers, headers: { kind: 'x' } });
      await conn.publish('nomatch', { exchange: headers, headers: { kind: 'y' } });
      await until(() => a.length === 1 && b.length === 1 && h.length === 1, 10_000, 'routed messages');
      assert.deepEqual([a, b, h], [['kern.error'], ['audit.x'], ['match']]);
      for (const q of [qa, qb, qh]) await conn.deleteQueue(q);
      for (const e of [topic, fan, headers]) await conn.deleteExchange(e);
    } finally {
      await conn.close();
    }
  });

  test('a mandatory publish that no queue takes rejects with PublishReturnedError; the producer goes on', async () => {
    const conn = await open();
    try {
      const ex = new Exchange(uniqueName('unroutable'), 'direct', { durable: false });
      const q = new Queue(uniqueName('routable'), { durable: false, bindings: [{ exchange: ex, routingKey: 'yes' }] });
      await conn.declare(q);
      const producer = conn.producer({ exchange: ex });
      await assert.rejects(producer.publish({ x: 1 }, { routingKey: 'nowhere', mandatory: true }), (e: unknown) => {
        assert.ok(e instanceof PublishReturnedError);
        assert.equal(e.replyCode, 312);
        assert.match(e.message, /NO_ROUTE/);
        return true;
      });
      await producer.publish({ x: 2 }, { routingKey: 'yes', mandatory: true });
      await producer.publish({ x: 3 }, { routingKey: 'nowhere' }); // not mandatory: dropped, confirmed
      assert.equal((await conn.inspectQueue(q)).messageCount, 1);
      await conn.deleteQueue(q);
      await conn.deleteExchange(ex);
    } finally {
      await conn.close();
    }
  });

  test('channel errors reject the operation and the channel is reopened for the next one', async () => {
    const conn = await open();
    try {
      const missing = uniqueName('missing');
      await assert.rejects(conn.inspectQueue(missing), (e: unknown) => e instanceof ChannelClosedError && e.code === 404 && /NOT_FOUND/.test(e.message));
      await assert.rejects(conn.publish('x', { exchange: missing, routingKey: 'k' }), (e: unknown) => e instanceof ChannelClosedError && e.code === 404);
      // passive declare of a missing exchange
      await assert.rejects(conn.declare(new Exchange(missing, 'direct', { passive: true })), (e: unknown) => e instanceof ChannelClosedError && e.code === 404);
      // redeclare with different arguments: 406
      const q = new Queue(uniqueName('args'), { durable: false, maxLength: 5 });
      await conn.declare(q);
      await assert.rejects(conn.declare(new Queue(q.name, { durable: false, maxLength: 6 })), (e: unknown) => e instanceof ChannelClosedError && e.code === 406);
      // everything works again afterwards
      await conn.publish('after', { routingKey: q.name });
      assert.equal((await conn.inspectQueue(q)).messageCount, 1);
      await conn.deleteQueue(q);
    } finally {
      await conn.close();
    }
  });

  test('typed queue arguments take effect: max-length with drop-head, message TTL', async () => {
    const conn = await open();
    try {
      const q = new Queue(uniqueName('limited'), { durable: false, maxLength: 2, overflow: 'drop-head' });
      await conn.declare(q);
      for (const n of [1, 2, 3]) await conn.publish(n, { routingKey: q.name });
      const sq = conn.simpleQueue<number>(q.name, { durable: false, maxLength: 2, overflow: 'drop-head' });
      assert.equal(await sq.qsize(), 2);
      const first = await sq.get({ timeout: 5000 });
      assert.equal(first.body, 2);
      first.ack();
      const ttl = new Queue(uniqueName('ttl'), { durable: false, messageTtl: 1 });
      await conn.declare(ttl);
      await conn.publish('expires', { routingKey: ttl.name });
      await until(async () => (await conn.inspectQueue(ttl)).messageCount === 0, 10_000, 'TTL expiry');
      await sq.close();
      await conn.deleteQueue(q);
      await conn.deleteQueue(ttl);
    } finally {
      await conn.close();
    }
  });

  test('SimpleQueue: put, qsize, get (with timeout), ack, clear', async () => {
    const conn = await open();
    try {
      const name = uniqueName('simple');
      const sq = conn.simpleQueue<{ n: number }>(name, { durable: false });
      await sq.put({ n: 1 });
      await sq.put({ n: 2 });
      await sq.put({ n: 3 });
      assert.equal(await sq.qsize(), 3);
      const m = await sq.get({ timeout: 5000 });
      assert.deepEqual(m.body, { n: 1 });
      m.ack();
      assert.equal(await sq.clear(), 2);
      await assert.rejects(sq.get({ timeout: 50 }), /empty/);
      const waiting = sq.get({ timeout: 10_000 });
      await sq.put({ n: 4 });
      const late = await waiting;
      assert.deepEqual(late.body, { n: 4 });
      late.ack();
      await sq.close();
      await conn.deleteQueue(name);
    } finally {
      await conn.close();
    }
  });

  test('prefetch and concurrency bound the handlers running at once', async () => {
    const conn = await open();
    try {
      const q = new Queue(uniqueName('conc'), { durable: false });
      await conn.declare(q);
      for (let i = 0; i < 30; i++) await conn.publish(i, { routingKey: q.name });
      let running = 0;
      let peak = 0;
      let done = 0;
      const release: Array<() => void> = [];
      await conn.consume(q, async () => {
        running++;
        peak = Math.max(peak, running);
        await new Promise<void>((r) => release.push(r));
        running--;
        done++;
      }, { concurrency: 4, prefetch: 8 });
      while (done < 30) {
        await until(() => release.length > 0 || done === 30, 10_000, 'handlers');
        for (const r of release.splice(0)) r();
        await new Promise((r) => setImmediate(r));
      }
      assert.equal(peak, 4);
      await until(async () => (await conn.inspectQueue(q)).messageCount === 0, 5000, 'all acked');
      await conn.deleteQueue(q);
    } finally {
      await conn.close();
    }
  });

  test('a refused login or an unknown vhost rejects connect() with ConnectionRefusedError', async () => {
    const u = new URL(broker().url);
    await assert.rejects(connect(`amqp://guest:wrong@${u.host}/`, { reconnect: false }), (e: unknown) => e instanceof ConnectionRefusedError && e.code === 403 && /ACCESS_REFUSED/.test(e.message));
    await assert.rejects(connect(`amqp://guest:guest@${u.host}/no-such-vhost`, { reconnect: false }), (e: unknown) => e instanceof ConnectionRefusedError && e.code === 530 && /NOT_ALLOWED/.test(e.message));
  });

  test('a publish the broker nacks (x-overflow reject-publish) rejects with PublishNackedError; passive queue declare', async () => {
    const conn = await open();
    try {
      const q = new Queue(uniqueName('full'), { durable: false, maxLength: 1, overflow: 'reject-publish' });
      await conn.declare(q);
      await conn.publish('fits', { routingKey: q.name });
      await assert.rejects(conn.publish('overflows', { routingKey: q.name }), PublishNackedError);
      const same = await conn.declare(new Queue(q.name, { passive: true }));
      assert.deepEqual(same, { queue: q.name, messageCount: 1, consumerCount: 0 });
      await assert.rejects(conn.declare(new Queue(uniqueName('absent'), { passive: true })), (e: unknown) => e instanceof ChannelClosedError && e.code === 404);
      await conn.deleteQueue(q);
    } finally {
      await conn.close();
    }
  });
});
