// memory:// runs Warren's broker core in-process, with no sockets: same API, same semantics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, closeMemoryBroker, memoryBroker, Exchange, Queue } from '../src/index.js';
import { until, uniqueName } from './helpers/brokers.js';

test('memory:// carries publish/consume, topic routing and RPC without a socket', async () => {
  const conn = await connect('memory://unit');
  try {
    const logs = new Exchange('logs', 'topic');
    const q = new Queue('', { bindings: [{ exchange: logs, routingKey: 'app.*' }] });
    const got: unknown[] = [];
    await conn.consume(q, (body) => { got.push(body); });
    await conn.publish({ level: 'info' }, { exchange: logs, routingKey: 'app.info' });
    await conn.publish({ level: 'skip' }, { exchange: logs, routingKey: 'other.info' });
    await until(() => got.length === 1, 5000, 'delivery');
    assert.deepEqual(got, [{ level: 'info' }]);
    await conn.rpc.serve<number, number>('square', (n) => n * n);
    assert.equal(await conn.rpc.call<number>('square', 12), 144);
    assert.equal((conn.serverProperties['product'] as Buffer | string).toString(), 'Warren');
  } finally {
    await conn.close();
  }
});

test('memory:// keeps every body intact while both sides reuse their output buffers', async () => {
  const conn = await connect('memory://integrity');
  try {
    const q = new Queue(uniqueName('integrity'), { durable: false });
    const got: Buffer[] = [];
    // Bodies kept past the handler: they must not change when later output reuses buffers.
    await conn.consume(q, (body: Buffer) => { got.push(body); }, { prefetch: 500 });
    const n = 20_000;
    const body = (i: number): Buffer => Buffer.from(`${i}:`.padEnd(8 + (i % 300), String.fromCharCode(97 + (i % 26))));
    const producer = conn.producer({ confirm: false });
    for (let i = 0; i < n; i += 1000) {
      await Promise.all(Array.from({ length: 1000 }, (_, k) => producer.publish(body(i + k), { routingKey: q.name, persistent: false })));
    }
    await until(() => got.length === n, 30_000, 'all deliveries');
    for (let i = 0; i < n; i++) assert.deepEqual(got[i], body(i), `body ${i}`);
    await conn.deleteQueue(q);
  } finally {
    await conn.close();
    await closeMemoryBroker('integrity');
  }
});

test('memory://NAME brokers are separate; connections to one name share its queues', async () => {
  const a1 = await connect('memory://shared-a');
  const a2 = await connect('memory://shared-a');
  const b = await connect('memory://shared-b');
  try {
    const name = uniqueName('mem');
    const sq1 = a1.simpleQueue<string>(name, { durable: false });
    await sq1.put('hello');
    const sq2 = a2.simpleQueue<string>(name, { durable: false });
    const m = await sq2.get({ timeout: 5000 });
    assert.equal(m.body, 'hello');
    m.ack();
    // the other broker does not know the queue
    await assert.rejects(b.inspectQueue(name), /NOT_FOUND/);
    await sq1.close();
    await sq2.close();
  } finally {
    await Promise.all([a1.close(), a2.close(), b.close()]);
    await closeMemoryBroker('shared-b');
  }
});

test('memory:// connections recover when the in-process broker closes them', async () => {
  const conn = await connect('memory://recover', { reconnect: { initialDelay: 5, maxDelay: 50 } });
  try {
    const q = new Queue('jobs', { durable: false });
    const got: number[] = [];
    await conn.consume<number>(q, (n) => { got.push(n); });
    const recovered = new Promise<void>((r) => conn.once('recovered', () => r()));
    const broker = await memoryBroker('recover');
    for (const c of [...broker.connections]) c.forceClose('test');
    await recovered;
    await conn.publish(1, { routingKey: 'jobs' });
    await until(() => got.length === 1, 5000, 'delivery after recovery');
    assert.deepEqual(got, [1]);
  } finally {
    await conn.close();
    await closeMemoryBroker('recover');
  }
});
