// MessageStore: persistence across reopen, single-copy fan-out, group commit, segment rollover and
// deletion of dead segments.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { MessageStore } from '../../src/store/message-store.js';
import { RecordingLogger, body, dirBytes, nextTurn, recoveredMap, segmentFiles, synced, tempDir } from './helpers.js';

const Q1 = '/\u0000orders';
const Q2 = '/\u0000audit';
const Q3 = 'other-vhost\u0000orders';

describe('message store: persistence', () => {
  test('written, enqueued and synced messages come back after reopen with their bytes', async (t) => {
    const dir = tempDir(t);
    const store = await MessageStore.open(dir);
    const big = Buffer.alloc(200_000, 7);
    const empty = Buffer.alloc(0);
    const a = store.writeMessage(body(1));
    const b = store.writeMessage(big);
    const c = store.writeMessage(empty);
    assert.ok(a < b && b < c, 'ids increase');
    store.enqueue(Q1, a);
    store.enqueue(Q1, b);
    store.enqueue(Q2, c);
    store.enqueue(Q2, a);
    store.markDelivered(Q1, b);
    // Readable before the write reached the file (from the pending list) ...
    assert.deepEqual(store.readMessage(b), big);
    await synced(store);
    // ... and after, from the file.
    assert.deepEqual(store.readMessage(b), big);
    assert.deepEqual(store.readMessage(a), body(1));
    await store.close();

    const logger = new RecordingLogger();
    const again = await MessageStore.open(dir, { logger });
    t.after(() => again.close());
    const rec = again.recovered();
    assert.deepEqual(
      rec.map((q) => ({ key: q.key, entries: q.entries })),
      [
        { key: Q1, entries: [{ msgId: a, delivered: false }, { msgId: b, delivered: true }] },
        { key: Q2, entries: [{ msgId: c, delivered: false }, { msgId: a, delivered: false }] },
      ],
    );
    assert.deepEqual(again.readMessage(a), body(1));
    assert.deepEqual(again.readMessage(b), big);
    assert.deepEqual(again.readMessage(c), empty);
    assert.equal(logger.warnings().length, 0);
    assert.ok(logger.lines.some((l) => l.msg?.includes('recovered')), 'recovery is logged');
    // Ids are never reused after a restart.
    assert.ok(again.writeMessage(body(9)) > c);
  });

  test('removed entries and deleted queues are not recovered; fully removed messages are gone', async (t) => {
    const dir = tempDir(t);
    const store = await MessageStore.open(dir);
    const ids = [1, 2, 3, 4].map((n) => store.writeMessage(body(n)));
    for (const id of ids) store.enqueue(Q1, id);
    store.enqueue(Q3, ids[0]);
    store.enqueue(Q3, ids[1]);
    store.remove(Q1, ids[1]);
    store.remove(Q1, ids[2]);
    store.removeQueue(Q3);
    store.remove(Q1, 12345); // not held: a no-op
    assert.throws(() => store.readMessage(ids[2]), /not in the store/);
    assert.deepEqual(store.readMessage(ids[0]), body(1), 'still held by Q1');
    await store.close();

    const again = await MessageStore.open(dir);
    t.after(() => again.close());
    assert.deepEqual(recoveredMap(again), new Map([[Q1, [ids[0], ids[3]]]]));
    assert.throws(() => again.readMessage(ids[1]), /not in the store/);
    assert.throws(() => again.readMessage(ids[2]), /not in the store/);
    assert.deepEqual(again.readMessage(ids[3]), body(4));
  });

  test('a message routed to three queues is stored once and lives until removed from all three', async (t) => {
    const dir = tempDir(t);
    let store = await MessageStore.open(dir);
    const before = store.diskBytes;
    const data = Buffer.alloc(50_000, 0x61);
    const id = store.writeMessage(data);
    for (const q of [Q1, Q2, Q3]) store.enqueue(q, id);
    await synced(store);
    const grown = dirBytes(dir) - before;
    assert.ok(grown >= data.length && grown < data.length + 500, `one copy on disk (grew ${grown} bytes)`);
    assert.equal(store.diskBytes, dirBytes(dir));

    store.remove(Q1, id);
    store.remove(Q2, id);
    await store.close();
    store = await MessageStore.open(dir);
    assert.deepEqual(recoveredMap(store), new Map([[Q3, [id]]]));
    assert.deepEqual(store.readMessage(id), data);
    store.remove(Q3, id);
    assert.throws(() => store.readMessage(id), /not in the store/);
    await store.close();

    store = await MessageStore.open(dir);
    t.after(() => store.close());
    assert.deepEqual(store.recovered(), []);
    assert.ok(dirBytes(dir) < 1000, `the dead message's segment was deleted (${dirBytes(dir)} bytes left)`);
  });

  test('misuse is rejected: unknown message, duplicate entry, writes after close', async (t) => {
    const dir = tempDir(t);
    const store = await MessageStore.open(dir);
    assert.throws(() => store.enqueue(Q1, 999), /not in the store/);
    const id = store.writeMessage(body(1));
    store.enqueue(Q1, id);
    assert.throws(() => store.enqueue(Q1, id), /already in queue/);
    await store.close();
    assert.throws(() => store.writeMessage(body(2)), /closed/);
    await assert.rejects(MessageStore.open(tempDir(t), { segmentBytes: 10 }), RangeError);
  });
});

describe('message store: group commit', () => {
  test('writes made in one turn share one fdatasync and onSynced reports the last seq', async (t) => {
    const store = await MessageStore.open(tempDir(t));
    t.after(() => store.close());
    const seen: number[] = [];
    store.onSynced = (seq) => seen.push(seq);
    const syncsBefore = store.stats.fdatasyncs;
    for (let i = 0; i < 1000; i++) {
      store.enqueue(Q1, store.writeMessage(body(i)));
      store.requestSync();
    }
    const last = store.writeSeq;
    await synced(store);
    assert.equal(store.stats.fdatasyncs - syncsBefore, 1);
    assert.deepEqual(seen, [last]);
    assert.equal(store.syncedSeq, last);
  });

  test('requests made while a sync runs are coalesced into exactly one follow-up sync', async (t) => {
    const store = await MessageStore.open(tempDir(t));
    t.after(() => store.close());
    const seen: number[] = [];
    store.onSynced = (seq) => seen.push(seq);
    const flushesBefore = store.stats.flushes;
    store.enqueue(Q1, store.writeMessage(body(0)));
    store.requestSync();
    const first = store.writeSeq;
    await nextTurn(); // the flush has started and is now waiting for the disk
    assert.equal(store.stats.flushes - flushesBefore, 1);
    for (let i = 1; i <= 500; i++) {
      store.enqueue(Q1, store.writeMessage(body(i)));
      store.requestSync();
    }
    const last = store.writeSeq;
    await synced(store);
    assert.equal(store.stats.flushes - flushesBefore, 2);
    assert.deepEqual(seen, [first, last]);
  });

  test('under a steady stream of writes the number of syncs stays far below the number of writes', async (t) => {
    const store = await MessageStore.open(tempDir(t));
    t.after(() => store.close());
    let calls = 0;
    let lastSeen = 0;
    store.onSynced = (seq) => {
      calls++;
      assert.ok(seq > lastSeen, 'onSynced seqs increase');
      lastSeen = seq;
    };
    const syncsBefore = store.stats.fdatasyncs;
    const rounds = 40;
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < 50; i++) {
        store.enqueue(Q1, store.writeMessage(body(i, 1024)));
        store.requestSync();
      }
      await nextTurn();
    }
    await synced(store);
    const syncs = store.stats.fdatasyncs - syncsBefore;
    assert.ok(syncs <= rounds + 1, `${syncs} fdatasyncs for ${rounds * 50} writes`);
    assert.ok(calls <= rounds + 1);
    assert.equal(lastSeen, store.writeSeq);
  });

  test('markDelivered alone does not sync, but the next sync covers it', async (t) => {
    const dir = tempDir(t);
    const store = await MessageStore.open(dir);
    const id = store.writeMessage(body(1));
    store.enqueue(Q1, id);
    await synced(store);
    const flushes = store.stats.flushes;
    store.markDelivered(Q1, id);
    await nextTurn();
    await nextTurn();
    assert.equal(store.stats.flushes, flushes);
    assert.ok(store.syncedSeq < store.writeSeq);
    await synced(store);
    await store.close();
    const again = await MessageStore.open(dir);
    t.after(() => again.close());
    assert.deepEqual(again.recovered()[0].entries, [{ msgId: id, delivered: true }]);
  });
});

describe('message store: segments', () => {
  test('segments roll over and fully dead ones are deleted, so disk use falls back when drained', async (t) => {
    const dir = tempDir(t);
    const segmentBytes = 16 * 1024;
    let store = await MessageStore.open(dir, { segmentBytes });
    const ids: number[] = [];
    for (let i = 0; i < 300; i++) {
      const id = store.writeMessage(body(i, 1000));
      store.enqueue(Q1, id);
      store.enqueue(Q2, id);
      ids.push(id);
    }
    await synced(store);
    assert.ok(segmentFiles(dir).length >= 15, `rolled over into ${segmentFiles(dir).length} segments`);
    const full = store.diskBytes;
    assert.equal(full, dirBytes(dir));
    assert.ok(full > 300_000);

    // Drain Q1 entirely and Q2 except the first message: only its segment and newer tombstones stay.
    for (const id of ids) store.remove(Q1, id);
    for (const id of ids.slice(1)) store.remove(Q2, id);
    await synced(store);
    await store.close();
    assert.ok(dirBytes(dir) < full / 2, `disk use fell from ${full} to ${dirBytes(dir)}`);

    store = await MessageStore.open(dir, { segmentBytes });
    assert.deepEqual(recoveredMap(store), new Map([[Q2, [ids[0]]]]));
    assert.deepEqual(store.readMessage(ids[0]), body(0, 1000));
    store.remove(Q2, ids[0]);
    await synced(store);
    await store.close();
    assert.ok(dirBytes(dir) < segmentBytes, `drained store uses ${dirBytes(dir)} bytes`);

    store = await MessageStore.open(dir, { segmentBytes });
    t.after(() => store.close());
    assert.deepEqual(store.recovered(), []);
    assert.equal(segmentFiles(dir).length, 1, 'only the new active segment is left');
    assert.ok(store.writeMessage(body(1)) > ids[ids.length - 1], 'ids are not reused after a full drain');
  });

  test('a removal in a newer segment keeps cancelling its entry while the older segment exists', async (t) => {
    const dir = tempDir(t);
    const segmentBytes = 4096;
    let store = await MessageStore.open(dir, { segmentBytes });
    const keep = store.writeMessage(body(1, 500));
    store.enqueue(Q1, keep);
    const gone = store.writeMessage(body(2, 500));
    store.enqueue(Q1, gone);
    // Fill several segments with short-lived messages, then remove `gone` far away from its segment.
    for (let i = 0; i < 40; i++) {
      const id = store.writeMessage(body(100 + i, 500));
      store.enqueue(Q2, id);
      store.remove(Q2, id);
    }
    store.remove(Q1, gone);
    for (let i = 0; i < 40; i++) {
      const id = store.writeMessage(body(200 + i, 500));
      store.enqueue(Q2, id);
      store.remove(Q2, id);
    }
    await synced(store);
    await store.close();
    for (let round = 0; round < 3; round++) {
      store = await MessageStore.open(dir, { segmentBytes });
      assert.deepEqual(recoveredMap(store), new Map([[Q1, [keep]]]), `round ${round}`);
      await store.close();
    }
    assert.ok(segmentFiles(dir).length <= 4, `dead segments deleted (${segmentFiles(dir).length} left)`);
    const first = segmentFiles(dir)[0];
    assert.ok(readFileSync(path.join(dir, first)).includes(body(1, 500)), 'the live message stays in place');
  });
});

describe('message store: delivery counts', () => {
  test('the latest delivery count of an entry comes back after reopen; superseded records let their segments go', async (t) => {
    const dir = tempDir(t);
    let store = await MessageStore.open(dir, { segmentBytes: 4096 });
    const poison = store.writeMessage(body(1));
    const other = store.writeMessage(body(2));
    store.enqueue(Q1, poison);
    store.enqueue(Q1, other);
    store.markDelivered(Q1, other);
    // Many counted attempts, spread over many small segments by filler messages.
    for (let n = 1; n <= 40; n++) {
      store.markDelivered(Q1, poison, n);
      const filler = store.writeMessage(Buffer.alloc(1000, n));
      store.enqueue(Q2, filler);
      store.remove(Q2, filler);
      await synced(store);
    }
    await store.close();

    store = await MessageStore.open(dir, { segmentBytes: 4096 });
    const q = store.recovered().find((r) => r.key === Q1)!;
    assert.deepEqual(q.entries, [{ msgId: poison, delivered: true, deliveryCount: 40 }, { msgId: other, delivered: true }]);
    // Old count records do not pin their segments: only a few segments remain.
    await synced(store);
    await synced(store);
    assert.ok(segmentFiles(dir).length <= 4, `${segmentFiles(dir).length} segments left`);
    store.remove(Q1, poison);
    store.remove(Q1, other);
    await synced(store);
    await store.close();
    store = await MessageStore.open(dir);
    t.after(() => store.close());
    assert.deepEqual(store.recovered(), []);
  });
});
