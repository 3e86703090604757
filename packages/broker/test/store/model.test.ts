// Randomised operations against a plain in-memory model, with reopens in between: whatever sequence of
// writes, fan-outs, deliveries, removals, queue deletions and segment rollovers, the recovered state
// equals the model and the disk use falls back once everything is removed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageStore } from '../../src/store/message-store.js';
import { RecordingLogger, body, dirBytes, synced, tempDir } from './helpers.js';

/** Small deterministic PRNG (mulberry32). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface ModelEntry {
  msgId: number;
  delivered: boolean;
  deliveryCount?: number;
}

const KEYS = ['/\u0000a', '/\u0000b', '/\u0000c', 'v2\u0000a'];

for (const seed of [1, 2, 3, 4]) {
  test(`random operations with reopens match the model (seed ${seed})`, async (t) => {
    const dir = tempDir(t);
    const rand = prng(seed);
    const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];
    const segmentBytes = 2048 + Math.floor(rand() * 4096);
    const model = new Map<string, ModelEntry[]>();
    const bodies = new Map<number, Buffer>();
    const logger = new RecordingLogger();
    let store = await MessageStore.open(dir, { segmentBytes, logger });

    const check = (): void => {
      const want = [...model].filter(([, es]) => es.length > 0).map(([key, entries]) => ({ key, entries }));
      const got = store.recovered().sort((x, y) => KEYS.indexOf(x.key) - KEYS.indexOf(y.key));
      want.sort((x, y) => KEYS.indexOf(x.key) - KEYS.indexOf(y.key));
      assert.deepEqual(got, want);
      for (const es of model.values()) for (const e of es) assert.deepEqual(store.readMessage(e.msgId), bodies.get(e.msgId));
    };

    for (let op = 0; op < 1500; op++) {
      const r = rand();
      const key = pick(KEYS);
      const entries = model.get(key) ?? [];
      model.set(key, entries);
      if (r < 0.4) {
        const data = body(op, Math.floor(rand() * 700));
        const id = store.writeMessage(data);
        bodies.set(id, data);
        const targets = KEYS.filter(() => rand() < 0.4);
        if (targets.length === 0) targets.push(key);
        for (const k of targets) {
          store.enqueue(k, id);
          const es = model.get(k) ?? [];
          es.push({ msgId: id, delivered: false });
          model.set(k, es);
        }
      } else if (r < 0.55 && entries.length > 0) {
        const e = pick(entries);
        if (rand() < 0.5) {
          store.markDelivered(key, e.msgId);
        } else {
          // A failed attempt: the count is rewritten each time.
          e.deliveryCount = (e.deliveryCount ?? 0) + 1;
          store.markDelivered(key, e.msgId, e.deliveryCount);
        }
        e.delivered = true;
      } else if (r < 0.9 && entries.length > 0) {
        const i = rand() < 0.7 ? 0 : Math.floor(rand() * entries.length);
        store.remove(key, entries[i].msgId);
        entries.splice(i, 1);
      } else if (r < 0.92) {
        store.removeQueue(key);
        model.set(key, []);
      } else if (r < 0.96) {
        await synced(store);
      } else {
        await synced(store);
        await store.close();
        store = await MessageStore.open(dir, { segmentBytes, logger });
        check();
      }
    }
    await synced(store);
    check();
    await store.close();
    store = await MessageStore.open(dir, { segmentBytes, logger });
    check();

    // Drain everything: only about one segment's worth of bytes may remain.
    for (const [key, es] of model) for (const e of es) store.remove(key, e.msgId);
    model.clear();
    await synced(store);
    await store.close();
    store = await MessageStore.open(dir, { segmentBytes, logger });
    check();
    await store.close();
    assert.ok(dirBytes(dir) <= 100, `drained store keeps ${dirBytes(dir)} bytes`);
    assert.deepEqual(logger.warnings(), []);
  });
}
