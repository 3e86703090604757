// Manual benchmark of the message store (not a test): run with
//   node --expose-gc --import tsx packages/broker/test/store/bench.ts [messages-for-recovery]
// 1. publish throughput: 1 KiB messages, each written + enqueued + requestSync, B per event-loop turn
//    (a stand-in for B publishes arriving in one socket read), until all are synced;
// 2. publish + ack: the same with every message removed once synced (segments get deleted);
// 3. recovery: a store of N (default 1M) 1 KiB messages is closed and reopened; time and index memory.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MessageStore } from '../../src/store/message-store.js';

const Q = '/\u0000bench';
const recoveryCount = Number(process.argv[2] ?? 1_000_000);
const payload = Buffer.alloc(1024, 0x42);
const gc = (globalThis as { gc?: () => void }).gc;
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function waitSynced(store: MessageStore): Promise<void> {
  const target = store.writeSeq;
  return new Promise((resolve) => {
    if (store.syncedSeq >= target) return resolve();
    store.onSynced = (seq) => {
      if (seq >= target) resolve();
    };
    store.requestSync();
  });
}

async function publish(total: number, perTurn: number, ack: boolean): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'warren-bench-'));
  try {
    const store = await MessageStore.open(dir);
    const unacked: number[] = [];
    let ackedUpTo = 0;
    const t0 = performance.now();
    const s0 = store.stats.fdatasyncs;
    for (let sent = 0; sent < total; ) {
      for (let i = 0; i < perTurn && sent < total; i++, sent++) {
        const id = store.writeMessage(payload);
        store.enqueue(Q, id);
        store.requestSync();
        if (ack) unacked.push(id, store.writeSeq);
      }
      if (ack) {
        // "Consume and ack" everything already synced.
        while (ackedUpTo < unacked.length && unacked[ackedUpTo + 1] <= store.syncedSeq) {
          store.remove(Q, unacked[ackedUpTo]);
          ackedUpTo += 2;
        }
      }
      await turn();
    }
    await waitSynced(store);
    const ms = performance.now() - t0;
    const diskBeforeAck = store.diskBytes;
    if (ack) for (; ackedUpTo < unacked.length; ackedUpTo += 2) store.remove(Q, unacked[ackedUpTo]);
    await store.close();
    const syncs = store.stats.fdatasyncs - s0;
    console.log(
      `${ack ? 'publish+ack' : 'publish    '} ${total} x 1 KiB, ${perTurn}/turn: ${Math.round(total / (ms / 1000))} msg/s, ` +
        `${syncs} fdatasyncs (${Math.round(total / Math.max(1, syncs))} msgs each), disk ${(diskBeforeAck / 1048576).toFixed(1)} MiB` +
        (ack ? ` before the last acks, ${(store.diskBytes / 1048576).toFixed(2)} MiB after close` : ''),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function fill(dir: string, count: number): Promise<void> {
  const store = await MessageStore.open(dir);
  for (let i = 0; i < count; i++) {
    store.enqueue(Q, store.writeMessage(payload));
    if (i % 4096 === 4095) {
      store.requestSync();
      await turn();
    }
  }
  await store.close();
}

async function recovery(count: number): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'warren-bench-'));
  try {
    await fill(dir, count);
    gc?.();
    const before = process.memoryUsage();
    const lines: string[] = [];
    const t0 = performance.now();
    const store = await MessageStore.open(dir, {
      logger: { info: (o, m) => lines.push(`${m} ${JSON.stringify(o)}`), warn: (o, m) => lines.push(`WARN ${m} ${JSON.stringify(o)}`) },
    });
    const openMs = performance.now() - t0;
    gc?.();
    const after = process.memoryUsage();
    const perMsg = (after.heapUsed + after.arrayBuffers - before.heapUsed - before.arrayBuffers) / count;
    const t1 = performance.now();
    const rec = store.recovered();
    const recMs = performance.now() - t1;
    console.log(
      `recovery of ${count} x 1 KiB (${(store.diskBytes / 1048576).toFixed(0)} MiB): open ${Math.round(openMs)} ms, ` +
        `recovered() ${Math.round(recMs)} ms for ${rec[0]?.entries.length} entries; index memory ≈ ${perMsg.toFixed(1)} bytes/message` +
        (gc ? '' : ' (run with --expose-gc for a precise figure)'),
    );
    for (const l of lines) console.log(`  log: ${l}`);
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await publish(200_000, 128, false);
await publish(200_000, 16, false);
await publish(200_000, 1, false);
await publish(200_000, 128, true);
await recovery(recoveryCount);
