// Resource alarms: publishers are blocked with connection.blocked while memory is over the
// watermark, and released with connection.unblocked when it clears (amqplib's blocked/unblocked events).
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { test } from 'node:test';
import amqp from 'amqplib';
import { pino } from 'pino';
import { startBroker } from '../../src/index.js';

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms); });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

test('memory alarm blocks a publishing connection and unblocks it when cleared', async () => {
  const broker = await startBroker({ port: 0, host: '127.0.0.1', logger: pino({ level: 'silent' }) });
  const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${broker.port}/`);
  const consumerConn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${broker.port}/`);
  try {
    const ch = await conn.createConfirmChannel();
    const q = (await ch.assertQueue(`alarm-test-${process.pid}`, { autoDelete: false })).queue;
    ch.sendToQueue(q, Buffer.from('before'));
    await ch.waitForConfirms();

    // A watermark of 1 byte puts the broker over the limit at once.
    const blocked = once(conn, 'blocked');
    broker.alarms.setMemoryLimitBytes(1);
    const [reason] = (await within(blocked, 5000, 'connection.blocked')) as [string];
    assert.match(reason, /memory|disk/);

    // While blocked, a publish is not read: its confirm does not arrive.
    let confirmed = false;
    ch.sendToQueue(q, Buffer.from('during'), {}, () => { confirmed = true; });
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(confirmed, false, 'a publish was processed while the connection was blocked');

    // A connection that only consumes is not blocked and keeps working.
    const cch = await consumerConn.createChannel();
    const got = await cch.checkQueue(q);
    assert.equal(got.messageCount, 1);

    const unblocked = once(conn, 'unblocked');
    broker.alarms.setMemoryHighWatermark(0.99);
    await within(unblocked, 5000, 'connection.unblocked');
    await within(ch.waitForConfirms(), 5000, 'the held publish to be confirmed');
    assert.equal(confirmed, true);
    assert.equal((await cch.checkQueue(q)).messageCount, 2);
    await cch.deleteQueue(q);
  } finally {
    await consumerConn.close();
    await conn.close();
    await broker.close();
  }
});
