// kill -9 at any moment loses no confirmed message: a child broker takes persistent publishes
// with confirms, is killed mid-stream, restarts on the same data directory, and every confirmed
// message is consumed afterwards (each exactly once).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import amqp from 'amqplib';
import { txCommit, txSelect } from '../helpers/tx.js';
import { killed, startChild } from '../helpers/child-broker.js';



test('kill -9 during confirmed persistent publishing loses no confirmed message', { timeout: 120_000 }, async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'warren-crash-'));
  const queue = 'crash-test';
  const confirmed = new Set<number>();
  try {
    const first = await startChild(dataDir);
    const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${first.port}/`);
    conn.on('error', () => { /* the broker is killed under it */ });
    const ch = await conn.createConfirmChannel();
    ch.on('error', () => { /* idem */ });
    await ch.assertQueue(queue, { durable: true });
    // Publish until at least 3000 are confirmed, then kill while publishes are still in flight.
    let sent = 0;
    await new Promise<void>((resolve) => {
      const pump = (): void => {
        for (let i = 0; i < 200 && sent < 200_000; i++) {
          const id = sent++;
          ch.sendToQueue(queue, Buffer.from(String(id)), { persistent: true, messageId: String(id) }, (err) => {
            if (err === null || err === undefined) confirmed.add(id);
          });
        }
        if (confirmed.size >= 3000 || sent >= 200_000) resolve();
        else setImmediate(pump);
      };
      pump();
    });
    await killed(first.child);
    assert.ok(sent > confirmed.size, 'the kill must happen with publishes still unconfirmed');

    const second = await startChild(dataDir);
    try {
      const conn2 = await amqp.connect(`amqp://guest:guest@127.0.0.1:${second.port}/`);
      const ch2 = await conn2.createChannel();
      const seen = new Map<number, number>();
      for (let i = 0; i < 250_000; i++) {
        const m = await ch2.get(queue, { noAck: true });
        if (m === false) break;
        const id = Number(m.content.toString());
        seen.set(id, (seen.get(id) ?? 0) + 1);
      }
      const lost = [...confirmed].filter((id) => !seen.has(id));
      assert.deepEqual(lost.slice(0, 10), [], `${lost.length} confirmed messages lost`);
      const duplicated = [...seen].filter(([, n]) => n > 1);
      assert.deepEqual(duplicated, [], 'a message came back twice');
      for (const id of seen.keys()) assert.ok(id < sent, `unknown message ${id}`);
      await conn2.close();
    } finally {
      await killed(second.child);
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('a second broker on the same data directory is refused while the first runs', { timeout: 60_000 }, async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'warren-lock-'));
  try {
    const first = await startChild(dataDir);
    try {
      await assert.rejects(startChild(dataDir), /exited early/);
    } finally {
      await killed(first.child);
    }
    // After a kill -9 the stale lock is taken over.
    const again = await startChild(dataDir);
    await killed(again.child);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('tx.commit of persistent messages: committed messages survive kill -9', { timeout: 60_000 }, async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'warren-txcrash-'));
  try {
    const first = await startChild(dataDir);
    const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${first.port}/`);
    conn.on('error', () => {});
    const ch = await conn.createChannel();
    ch.on('error', () => {});
    await ch.assertQueue('tx-crash', { durable: true });
    await txSelect(ch);
    for (let i = 0; i < 500; i++) ch.sendToQueue('tx-crash', Buffer.from(String(i)), { persistent: true });
    await txCommit(ch);
    await killed(first.child);

    const second = await startChild(dataDir);
    try {
      const conn2 = await amqp.connect(`amqp://guest:guest@127.0.0.1:${second.port}/`);
      const ch2 = await conn2.createChannel();
      assert.equal((await ch2.checkQueue('tx-crash')).messageCount, 500);
      await conn2.close();
    } finally {
      await killed(second.child);
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
