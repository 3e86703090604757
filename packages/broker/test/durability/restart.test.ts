// What a restart must keep beyond the messages themselves: message TTLs keep counting from the
// original arrival (as in RabbitMQ, not restarted from zero when the broker comes back), and
// delivery counts (x-delivery-count) keep counting too.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import amqp from 'amqplib';
import { pino } from 'pino';
import { startBroker, type WarrenBroker } from '../../src/index.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Run {
  ch: amqp.ConfirmChannel;
  /** Closes the connection, then the broker. */
  stop(): Promise<void>;
}

/** A broker on `dataDir` (a fresh one for each test) with one confirm channel. */
async function run(dataDir: string): Promise<Run> {
  const broker: WarrenBroker = await startBroker({ port: 0, host: '127.0.0.1', dataDir, logger: pino({ level: 'silent' }) });
  const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${broker.port}/`);
  const ch = await conn.createConfirmChannel();
  return { ch, stop: async () => { await conn.close(); await broker.close(); } };
}

function tempDataDir(t: { after(fn: () => void): void }, prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('queue and per-message TTLs count from the original arrival across a restart', { timeout: 60_000 }, async (t) => {
  const dataDir = tempDataDir(t, 'warren-ttl-');
  let r = await run(dataDir);
  let ch = r.ch;
  await ch.assertQueue('ttl.dead', { durable: true });
  await ch.assertQueue('ttl.short', { durable: true, arguments: { 'x-message-ttl': 1500, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': 'ttl.dead' } });
  await ch.assertQueue('ttl.long', { durable: true, arguments: { 'x-message-ttl': 600_000 } });
  await ch.assertQueue('ttl.per-message', { durable: true });
  ch.sendToQueue('ttl.short', Buffer.from('short'), { persistent: true });
  ch.sendToQueue('ttl.long', Buffer.from('long'), { persistent: true });
  ch.sendToQueue('ttl.per-message', Buffer.from('expiring'), { persistent: true, expiration: '1500' });
  ch.sendToQueue('ttl.per-message', Buffer.from('lasting'), { persistent: true, expiration: '600000' });
  await ch.waitForConfirms();
  await r.stop();

  // Down for longer than the short TTLs: they are over when the broker comes back.
  await sleep(1800);
  r = await run(dataDir);
  t.after(() => r.stop());
  ch = r.ch;

  assert.equal((await ch.checkQueue('ttl.short')).messageCount, 0);
  assert.equal((await ch.checkQueue('ttl.long')).messageCount, 1);
  const dead = await ch.get('ttl.dead', { noAck: true });
  assert.ok(dead !== false, 'the expired message is dead-lettered');
  assert.equal(dead.content.toString(), 'short');
  const death = (dead.properties.headers?.['x-death'] as Array<Record<string, unknown>>)[0]!;
  assert.equal(death.reason, 'expired');
  assert.equal(death.queue, 'ttl.short');

  const left = await ch.get('ttl.per-message', { noAck: true });
  assert.ok(left !== false);
  assert.equal(left.content.toString(), 'lasting');
  assert.equal(await ch.get('ttl.per-message', { noAck: true }), false);
});

test('a message restored with time left still expires at its original deadline', { timeout: 60_000 }, async (t) => {
  const dataDir = tempDataDir(t, 'warren-ttl-');
  const TTL = 2500;
  const DOWN = 1200;
  let r = await run(dataDir);
  await r.ch.assertQueue('ttl.mid', { durable: true, arguments: { 'x-message-ttl': TTL } });
  r.ch.sendToQueue('ttl.mid', Buffer.from('mid'), { persistent: true });
  await r.ch.waitForConfirms();
  const sentAt = Date.now();
  await r.stop();
  // Down for a while: a TTL restarted at recovery would end at least DOWN ms after the original deadline.
  await sleep(DOWN);
  r = await run(dataDir);
  t.after(() => r.stop());
  assert.equal((await r.ch.checkQueue('ttl.mid')).messageCount, 1, 'not expired yet right after the restart');
  await sleep(Math.max(0, sentAt + TTL + 300 - Date.now()));
  assert.equal((await r.ch.checkQueue('ttl.mid')).messageCount, 0);
});

test('x-delivery-count survives a restart: the delivery limit counts attempts made before it', { timeout: 60_000 }, async (t) => {
  const dataDir = tempDataDir(t, 'warren-dcount-');
  let r = await run(dataDir);
  let ch = r.ch;
  await ch.assertQueue('dcount.dead', { durable: true });
  await ch.assertQueue('dcount.q', { durable: true, arguments: { 'x-delivery-limit': 2, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': 'dcount.dead' } });
  ch.sendToQueue('dcount.q', Buffer.from('poison'), { persistent: true });
  await ch.waitForConfirms();
  // Two failed attempts (reject with requeue), each redelivered with the count so far.
  for (let attempt = 0; attempt < 2; attempt++) {
    const m = await ch.get('dcount.q');
    assert.ok(m !== false);
    assert.equal(m.properties.headers?.['x-delivery-count'], attempt === 0 ? undefined : attempt);
    ch.reject(m, true);
  }
  assert.equal((await ch.checkQueue('dcount.q')).messageCount, 1);
  await r.stop();

  r = await run(dataDir);
  t.after(() => r.stop());
  ch = r.ch;
  const m = await ch.get('dcount.q');
  assert.ok(m !== false);
  assert.equal(m.fields.redelivered, true);
  assert.equal(m.properties.headers?.['x-delivery-count'], 2);
  // A third failure is over the limit of 2: dead-lettered, not requeued.
  ch.reject(m, true);
  await ch.checkQueue('dcount.q');
  assert.equal(await ch.get('dcount.q'), false);
  const dead = await ch.get('dcount.dead', { noAck: true });
  assert.ok(dead !== false);
  assert.equal(dead.content.toString(), 'poison');
  assert.equal((dead.properties.headers?.['x-death'] as Array<Record<string, unknown>>)[0]!.reason, 'delivery_limit');
});
