// Disk alarm: with free space below the configured limit, publishers are blocked
// (connection.blocked); raising the limit back releases them.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import amqp from 'amqplib';
import { pino } from 'pino';
import { startBroker } from '../../src/index.js';

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms); });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

test('disk alarm blocks publishers while free space is under the limit', async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'warren-disk-alarm-'));
  const broker = await startBroker({ port: 0, host: '127.0.0.1', dataDir, logger: pino({ level: 'silent' }) });
  const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${broker.port}/`);
  try {
    const ch = await conn.createConfirmChannel();
    const q = (await ch.assertQueue('', { exclusive: true })).queue;
    ch.sendToQueue(q, Buffer.from('before'), { persistent: true });
    await ch.waitForConfirms();
    assert.equal(broker.alarms.diskAlarm, false);

    const blocked = once(conn, 'blocked');
    broker.alarms.setDiskFreeLimit(Number.MAX_SAFE_INTEGER); // no disk has this much free
    await within(blocked, 5000, 'connection.blocked');
    assert.equal(broker.alarms.diskAlarm, true);

    const unblocked = once(conn, 'unblocked');
    broker.alarms.setDiskFreeLimit(1);
    await within(unblocked, 5000, 'connection.unblocked');
    ch.sendToQueue(q, Buffer.from('after'), { persistent: true });
    await within(ch.waitForConfirms(), 5000, 'confirm after the alarm cleared');
    assert.equal((await ch.checkQueue(q)).messageCount, 2);
  } finally {
    await conn.close();
    await broker.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
