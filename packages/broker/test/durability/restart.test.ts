// What a restart must keep beyond the messages themselves. Message TTLs keep counting: expiry is
// measured from the original arrival,
// as in RabbitMQ, not restarted from zero when the broker comes back.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import amqp from 'amqplib';
import { pino } from 'pino';
import { startBroker, type WarrenBroker } from '../../src/index.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function start(dataDir: string, port = 0): Promise<WarrenBroker> {
  return startBroker({ port, host: '127.0.0.1', dataDir, logger: pino({ level: 'silent' }) });
}

test('queue and per-message TTLs count from the original arrival across a restart', { timeout: 60_000 }, async (t) => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'warren-ttl-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  let broker = await start(dataDir);
  const url = `amqp://guest:guest@127.0.0.1:${broker.port}/`;
  let conn = await amqp.connect(url);
  let ch = await conn.createConfirmChannel();
  await ch.assertQueue('ttl.dead', { durable: true });
  await ch.assertQueue('ttl.short', { durable: true, arguments: { 'x-message-ttl': 1500, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': 'ttl.dead' } });
  await ch.assertQueue('ttl.long', { durable: true, arguments: { 'x-message-ttl': 600_000 } });
  await ch.assertQueue('ttl.per-message', { durable: true });
  ch.sendToQueue('ttl.short', Buffer.from('short'), { persistent: true });
  ch.sendToQueue('ttl.long', Buffer.from('long'), { persistent: true });
  ch.sendToQueue('ttl.per-message', Buffer.from('expiring'), { persistent: true, expiration: '1500' });
  ch.sendToQueue('ttl.per-message', Buffer.from('lasting'), { persistent: true, expiration: '600000' });
  await ch.waitForConfirms();
  await conn.close();
  await broker.close();

  // Down for longer than the short TTLs: they are over when the broker comes back.
  await sleep(1800);
  broker = await start(dataDir);
  conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${broker.port}/`);
  t.after(async () => { await conn.close(); await broker.close(); });
  ch = await conn.createConfirmChannel();

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

test('a message restored with time left still expires on time after the restart', { timeout: 60_000 }, async (t) => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'warren-ttl-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  let broker = await start(dataDir);
  let conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${broker.port}/`);
  let ch = await conn.createConfirmChannel();
  await ch.assertQueue('ttl.mid', { durable: true, arguments: { 'x-message-ttl': 2500 } });
  ch.sendToQueue('ttl.mid', Buffer.from('mid'), { persistent: true });
  await ch.waitForConfirms();
  const sentAt = Date.now();
  await conn.close();
  await broker.close();
  broker = await start(dataDir);
  conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${broker.port}/`);
  t.after(async () => { await conn.close(); await broker.close(); });
  ch = await conn.createConfirmChannel();
  assert.equal((await ch.checkQueue('ttl.mid')).messageCount, 1, 'not expired yet right after the restart');
  // Wait until past the original deadline (plus margin), but well short of a restarted 2.5 s TTL.
  await sleep(Math.max(0, sentAt + 2500 + 400 - Date.now()));
  assert.ok(Date.now() - sentAt < 2500 + 2000);
  assert.equal((await ch.checkQueue('ttl.mid')).messageCount, 0);
});

test('x-delivery-count survives a restart: the delivery limit counts attempts made before it', { timeout: 60_000 }, async (t) => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'warren-dcount-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  let broker = await start(dataDir);
  let conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${broker.port}/`);
  let ch = await conn.createConfirmChannel();
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
  await conn.close();
  await broker.close();

  broker = await start(dataDir);
  conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${broker.port}/`);
  t.after(async () => { await conn.close(); await broker.close(); });
  ch = await conn.createConfirmChannel();
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
