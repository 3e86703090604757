// Handler failures (retry, delayed retry, dead-lettering), undecodable bodies, and RPC — against Warren and RabbitMQ.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, Exchange, Queue, RpcError, TimeoutError, type Connection } from '../src/index.js';
import { forEachBroker, uniqueName, until } from './helpers/brokers.js';

forEachBroker((broker) => {
  async function open(): Promise<Connection> {
    return connect(broker().url, { reconnect: { initialDelay: 20, maxDelay: 200 } });
  }

  test('a failing handler is retried maxRetries times, then the message is dead-lettered with the error in a header', async () => {
    const conn = await open();
    try {
      const q = new Queue(uniqueName('fails'), { durable: false });
      const seen: number[] = [];
      await conn.consume<{ id: number }>(q, (body, msg) => {
        seen.push(Number(msg.headers['x-retry-count'] ?? 0));
        throw new Error(`boom ${body.id}`);
      }, { retry: { maxRetries: 2 } });
      await conn.publish({ id: 7 }, { routingKey: q.name, headers: { keep: 'me' } });
      const dead = conn.simpleQueue<{ id: number }>(`${q.name}.dead-letter`);
      const m = await dead.get({ timeout: 10_000 });
      assert.deepEqual(seen, [0, 1, 2]);
      assert.deepEqual(m.body, { id: 7 });
      assert.equal(m.headers['x-error'], 'Error: boom 7');
      assert.equal(m.headers['x-retry-count'], 2);
      assert.equal(m.headers['x-original-queue'], q.name);
      assert.equal(m.headers['keep'], 'me');
      m.ack();
      assert.equal((await conn.inspectQueue(q)).messageCount, 0);
      await dead.close();
      await conn.deleteQueue(q);
      await conn.deleteQueue(`${q.name}.dead-letter`);
    } finally {
      await conn.close();
    }
  });

  test('delayed retry goes through a TTL + dead-letter retry queue and comes back', async () => {
    const conn = await open();
    try {
      const q = new Queue(uniqueName('delayed'), { durable: false });
      const attempts: Array<{ retry: unknown; redelivered: boolean }> = [];
      await conn.consume(q, (_body, msg) => {
        attempts.push({ retry: msg.headers['x-retry-count'], redelivered: msg.redelivered });
        if (attempts.length === 1) throw new Error('transient');
      }, { retry: { maxRetries: 3, delays: [30] } });
      await conn.publish('job', { routingKey: q.name });
      await until(() => attempts.length === 2, 10_000, 'the retried delivery');
      assert.deepEqual(attempts.map((a) => a.retry), [undefined, 1]);
      const retryQueue = await conn.inspectQueue(`${q.name}.retry.30`);
      assert.equal(retryQueue.messageCount, 0);
      await conn.deleteQueue(`${q.name}.retry.30`);
      await conn.deleteQueue(q);
    } finally {
      await conn.close();
    }
  });

  test('undecodable bodies (bad JSON, corrupt gzip, unknown type) are dead-lettered with a clear error, the consumer keeps going', async () => {
    const conn = await open();
    try {
      const q = new Queue(uniqueName('undecodable'), { durable: false });
      const handled: unknown[] = [];
      await conn.consume(q, (body) => { handled.push(body); });
      await conn.publish(Buffer.from('{not json'), { routingKey: q.name, contentType: 'application/json' });
      const producer = conn.producer();
      await producer.publishEncoded('', q.name, { contentType: 'application/json', contentEncoding: 'gzip' }, Buffer.from('not gzip at all'));
      await producer.publishEncoded('', q.name, { contentType: 'application/x-unknown' }, Buffer.from('??'));
      await conn.publish({ fine: true }, { routingKey: q.name });
      await until(() => handled.length === 1, 10_000, 'the good message');
      assert.deepEqual(handled, [{ fine: true }]);
      const dead = conn.simpleQueue(`${q.name}.dead-letter`);
      const errors: string[] = [];
      for (let i = 0; i < 3; i++) {
        const m = await dead.get({ timeout: 10_000, noAck: true, decode: false });
        errors.push(String(m.headers['x-error']));
      }
      assert.match(errors[0]!, /^DecodeError: cannot decode body as application\/json/);
      assert.match(errors[1]!, /^DecodeError: cannot decode body: corrupt gzip data/);
      assert.match(errors[2]!, /^DecodeError: cannot decode body: unknown content type "application\/x-unknown"/);
      // SimpleQueue.get on an undecodable body: DecodeError, and the message is rejected (not requeued)
      await producer.publishEncoded('', dead.queue.name, { contentType: 'application/json' }, Buffer.from('{bad'));
      await assert.rejects(dead.get({ timeout: 10_000 }), /DecodeError|cannot decode body as application\/json/);
      assert.equal(await dead.qsize(), 0);
      await dead.close();
      await conn.deleteQueue(q);
      await conn.deleteQueue(`${q.name}.dead-letter`);
    } finally {
      await conn.close();
    }
  });

  test("dead letters follow the queue's x-dead-letter-exchange; deadLetter: false leaves it to the broker", async () => {
    const conn = await open();
    try {
      const dlx = new Exchange(uniqueName('dlx'), 'fanout', { durable: false });
      const parked = new Queue(uniqueName('parked'), { durable: false, bindings: [{ exchange: dlx }] });
      await conn.declare(parked);
      const q1 = new Queue(uniqueName('with-dlx'), { durable: false, deadLetterExchange: dlx.name });
      const q2 = new Queue(uniqueName('broker-dlx'), { durable: false, deadLetterExchange: dlx.name });
      await conn.consume(q1, () => { throw new Error('client side'); }, { retry: false });
      await conn.consume(q2, () => { throw new Error('broker side'); }, { retry: false, deadLetter: false });
      await conn.publish('a', { routingKey: q1.name });
      await conn.publish('b', { routingKey: q2.name });
      const sq = conn.simpleQueue<string>(parked.name, { durable: false });
      const got = new Map<string, Record<string, unknown>>();
      for (let i = 0; i < 2; i++) {
        const m = await sq.get({ timeout: 10_000 });
        got.set(m.body, m.headers);
        m.ack();
      }
      assert.equal(got.get('a')!['x-error'], 'Error: client side');
      assert.ok(Array.isArray(got.get('b')!['x-death']), 'the broker dead-lettered b (x-death header)');
      await sq.close();
      for (const q of [q1, q2, parked]) await conn.deleteQueue(q);
      await conn.deleteExchange(dlx);
    } finally {
      await conn.close();
    }
  });

  test('rpc.call / rpc.serve over direct reply-to: results, remote errors, timeouts, many calls at once', async () => {
    const server = await open();
    const client = await open();
    try {
      const queue = uniqueName('rpc');
      await server.rpc.serve<{ n: number }, number>(queue, ({ n }) => {
        if (n < 0) throw new RangeError('negative');
        return n * 2;
      }, { concurrency: 4 });
      assert.equal(await client.rpc.call<number>(queue, { n: 21 }), 42);
      await assert.rejects(client.rpc.call(queue, { n: -1 }), (e: unknown) => e instanceof RpcError && e.message === 'RangeError: negative');
      const results = await Promise.all(Array.from({ length: 50 }, (_, i) => client.rpc.call<number>(queue, { n: i })));
      assert.deepEqual(results, Array.from({ length: 50 }, (_, i) => i * 2));
      const nobody = uniqueName('no-server');
      await client.declare(new Queue(nobody, { durable: false }));
      await assert.rejects(client.rpc.call(nobody, {}, { timeout: 100 }), (e: unknown) => e instanceof TimeoutError);
      await client.deleteQueue(nobody);
      await server.deleteQueue(queue);
    } finally {
      await client.close();
      await server.close();
    }
  });
});
