// Reconnects, topology recovery, held publishes, ensure(), failover, graceful close and chaos
// (connections killed and the broker restarted mid-traffic) — against Warren and RabbitMQ.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  connect, Exchange, Queue, ConnectionLostError, PublishUnconfirmedError,
} from '../src/index.js';
import type { RawDelivery } from '../src/wire/wire-channel.js';
import { forEachBroker, uniqueName, until } from './helpers/brokers.js';

const fast = { reconnect: { initialDelay: 20, maxDelay: 300 } };

forEachBroker((broker) => {
  test('after the broker closes the connection: reconnect, re-declared topology, new server-named queue, same consumer tags', async () => {
    const conn = await connect(broker().url, fast);
    try {
      const fan = new Exchange(uniqueName('recover-fan'), 'fanout', { durable: false });
      const anon = new Queue('', { bindings: [{ exchange: fan }] });
      const named = new Queue(uniqueName('recover-named'), { durable: true, bindings: [{ exchange: fan }] });
      const gotAnon: Array<{ body: unknown; tag: string }> = [];
      const gotNamed: unknown[] = [];
      const c1 = await conn.consume(anon, (body, msg) => { gotAnon.push({ body, tag: msg.consumerTag }); });
      await conn.consume(named, (body) => { gotNamed.push(body); });
      const firstName = anon.name;
      assert.match(firstName, /^amq\.gen-/);
      await conn.publish('before', { exchange: fan });
      await until(() => gotAnon.length === 1 && gotNamed.length === 1, 10_000, 'first deliveries');

      const events: string[] = [];
      const renamed: Array<{ oldName: string; newName: string }> = [];
      conn.on('disconnect', () => events.push('disconnect'));
      conn.on('recovered', () => events.push('recovered'));
      conn.on('queueRenamed', (r) => renamed.push({ oldName: r.oldName, newName: r.newName }));
      await broker().forceCloseConnections();
      await until(() => events.includes('recovered'), 15_000, 'recovery');
      assert.deepEqual(events, ['disconnect', 'recovered']);
      assert.equal(renamed.length, 1);
      assert.equal(renamed[0]!.oldName, firstName);
      assert.equal(renamed[0]!.newName, anon.name);
      assert.notEqual(anon.name, firstName);

      await conn.publish('after', { exchange: fan });
      await until(() => gotAnon.length === 2 && gotNamed.length === 2, 10_000, 'deliveries after recovery');
      assert.deepEqual(gotAnon.map((g) => g.body), ['before', 'after']);
      assert.deepEqual(gotAnon.map((g) => g.tag), [c1.consumerTag, c1.consumerTag]);
      assert.deepEqual(gotNamed, ['before', 'after']);
      await conn.deleteQueue(named);
      await conn.deleteExchange(fan);
    } finally {
      await conn.close();
    }
  });

  test('publishes made while reconnecting are held and sent after recovery; ensure() retries recoverable failures', async () => {
    const conn = await connect(broker().url, fast);
    try {
      const q = new Queue(uniqueName('held'), { durable: true });
      await conn.declare(q);
      await conn.publish(0, { routingKey: q.name });
      // published the moment the connection is known to be down: held, then confirmed after recovery
      let connectedWhenPublished: boolean | undefined;
      const held = new Promise<void[]>((resolve, reject) => conn.once('disconnect', () => {
        connectedWhenPublished = conn.isConnected;
        Promise.all([1, 2, 3].map((n) => conn.publish(n, { routingKey: q.name }))).then(resolve, reject);
      }));
      await broker().forceCloseConnections();
      await held;
      assert.equal(connectedWhenPublished, false);
      assert.equal((await conn.inspectQueue(q)).messageCount, 4);

      let calls = 0;
      const value = await conn.ensure(async () => {
        calls++;
        if (calls < 3) throw new ConnectionLostError('simulated');
        return 'done';
      }, { initialDelay: 5, maxRetries: 5 });
      assert.equal(value, 'done');
      assert.equal(calls, 3);
      await assert.rejects(conn.ensure(() => { throw new TypeError('not recoverable'); }), TypeError);
      await conn.deleteQueue(q);
    } finally {
      await conn.close();
    }
  });

  test('a consumer whose channel the broker closed with an error is re-opened and keeps consuming', async () => {
    const conn = await connect(broker().url, fast);
    try {
      const q = new Queue(uniqueName('chan-error'), { durable: false });
      const seen: Array<{ body: unknown; redelivered: boolean }> = [];
      await conn.consume(q, (body, msg) => {
        seen.push({ body, redelivered: msg.redelivered });
        if (body === 'bad-ack') {
          // acknowledging an unknown delivery tag: 406 PRECONDITION_FAILED closes the channel
          (msg as unknown as { delivery: RawDelivery }).delivery.channel.ack(999_999, false);
        }
      });
      await conn.publish('bad-ack', { routingKey: q.name });
      await until(() => seen.length >= 1, 10_000, 'first delivery');
      await until(async () => seen.length >= 2, 10_000, 'redelivery on the re-opened channel');
      assert.deepEqual(seen[1], { body: 'bad-ack', redelivered: true });
      await conn.publish('good', { routingKey: q.name });
      await until(() => seen.some((s) => s.body === 'good'), 10_000, 'a new delivery');
      await conn.deleteQueue(q);
    } finally {
      await conn.close();
    }
  });

  test('blocked / unblocked events follow the broker memory alarm; a publish made while blocked is confirmed after', async () => {
    const conn = await connect(broker().url, fast);
    const q = new Queue(uniqueName('blocked'), { durable: false });
    try {
      await conn.declare(q);
      await conn.publish('before the alarm', { routingKey: q.name }); // a publishing connection
      const events: string[] = [];
      conn.on('blocked', (reason) => events.push(`blocked: ${reason}`));
      conn.on('unblocked', () => events.push('unblocked'));
      await broker().setMemoryAlarm(true);
      let confirmed = false;
      const publish = conn.publish('while blocked', { routingKey: q.name }).then(() => { confirmed = true; });
      await until(() => events.length === 1, 15_000, 'connection.blocked');
      assert.match(events[0]!, /^blocked: .*memory/i);
      assert.equal(conn.blocked, true);
      assert.equal(confirmed, false);
      await broker().setMemoryAlarm(false);
      await publish;
      await until(() => events.length === 2, 15_000, 'connection.unblocked');
      assert.equal(events[1], 'unblocked');
      assert.equal(conn.blocked, false);
      assert.equal((await conn.inspectQueue(q)).messageCount, 2);
    } finally {
      await broker().setMemoryAlarm(false);
      await conn.deleteQueue(q).catch(() => 0);
      await conn.close();
    }
  });

  test('a list of URLs fails over to the first broker that answers', async () => {
    const dead = 'amqp://guest:guest@127.0.0.1:1/';
    const conn = await connect([dead, broker().url], { ...fast, connectionTimeout: 2000 });
    try {
      assert.equal(conn.url, broker().url.replace(':guest@', ':***@'));
      const q = new Queue(uniqueName('failover'), { durable: false });
      await conn.declare(q);
      await conn.deleteQueue(q);
    } finally {
      await conn.close();
    }
  });

  test('graceful close waits for running handlers, which then ack', async () => {
    const conn = await connect(broker().url, fast);
    const q = new Queue(uniqueName('graceful'), { durable: true });
    let finished = 0;
    let started = 0;
    await conn.consume(q, async () => {
      started++;
      await new Promise((r) => setTimeout(r, 100));
      finished++;
    }, { concurrency: 2 });
    await conn.publish('a', { routingKey: q.name });
    await conn.publish('b', { routingKey: q.name });
    await until(() => started === 2, 10_000, 'handlers running');
    await conn.close();
    assert.equal(finished, 2);
    const check = await connect(broker().url);
    try {
      assert.equal((await check.inspectQueue(q.name)).messageCount, 0);
      await check.deleteQueue(q.name);
    } finally {
      await check.close();
    }
  });

  test('chaos: connections killed and the broker restarted mid-traffic lose no confirmed publish and no consumer', async () => {
    const producerConn = await connect(broker().url, fast);
    const consumerConn = await connect(broker().url, fast);
    const q = new Queue(uniqueName('chaos'), { durable: true });
    const total = 400;
    const confirmed = new Set<number>();
    const unconfirmed = new Set<number>();
    const firstDeliveries = new Map<number, number>(); // id -> deliveries with redelivered=false
    const received = new Set<number>();
    let consumerDisconnects = 0;
    let consumerRecoveries = 0;
    consumerConn.on('disconnect', () => consumerDisconnects++);
    consumerConn.on('recovered', () => consumerRecoveries++);
    try {
      await consumerConn.consume<{ id: number }>(q, async ({ id }, msg) => {
        if (!msg.redelivered) firstDeliveries.set(id, (firstDeliveries.get(id) ?? 0) + 1);
        received.add(id);
        if (id % 7 === 0) await new Promise((r) => setImmediate(r));
      }, { prefetch: 50, concurrency: 4 });
      const producer = producerConn.producer({ maxInFlight: 64 });
      let next = 0;
      const publishOne = async (id: number): Promise<void> => {
        try {
          await producer.publish({ id }, { routingKey: q.name, messageId: String(id) });
          confirmed.add(id);
        } catch (e) {
          assert.ok(e instanceof PublishUnconfirmedError, `unexpected publish error ${String(e)}`);
          unconfirmed.add(id);
        }
      };
      // The chaos runs beside the publishers: kill every connection once 100 publishes are
      // confirmed, restart the broker once 250 are; publishers wait at id 300 for the chaos to end.
      const chaos = (async () => {
        await until(() => confirmed.size >= 100, 30_000, '100 confirmed publishes');
        await broker().forceCloseConnections();
        await until(() => confirmed.size >= 250, 30_000, '250 confirmed publishes');
        await broker().restart();
      })();
      const workers = Array.from({ length: 8 }, async () => {
        while (next < total) {
          const id = next++;
          if (id >= 300) await chaos;
          await publishOne(id);
        }
      });
      await chaos;
      await Promise.all(workers);
      assert.equal(confirmed.size + unconfirmed.size, total);
      await until(() => [...confirmed].every((id) => received.has(id)), 30_000, 'every confirmed message consumed');
      assert.equal(consumerDisconnects, 2, 'the consumer connection was killed twice');
      assert.equal(consumerRecoveries, 2);
      for (const [id, n] of firstDeliveries) assert.ok(n <= 1, `message ${id} was delivered ${n} times without redelivered`);
      assert.ok(confirmed.size >= total - 64 * 3, `most publishes confirmed (${confirmed.size})`);
    } finally {
      await consumerConn.deleteQueue(q).catch(() => 0);
      await producerConn.close();
      await consumerConn.close();
    }
  });
});
