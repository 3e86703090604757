// Durable storage for persistent messages of durable queues: append-only segment files written with
// writev + fdatasync (record layout in record-format.ts).
//
// - A message is stored once (MESSAGE record) however many queues hold it; each queue's hold, delivery
//   and removal are small ENQUEUE / DELIVER / REMOVE records (DROPQ removes a whole queue).
// - Writes only append to an in-memory pending list (headers go into a shared arena, message bytes are
//   referenced, not copied). A flush writes the pending buffers with one writev per segment and
//   fdatasyncs; writes made meanwhile wait for the next flush, and requestSync() during a flush asks for
//   exactly one follow-up (group commit, no timer). syncedSeq / onSynced report what is durable.
// - Each segment counts its live records (see Segment.live). A segment with none left is unlinked once
//   the records that killed it are synced; the REMOVE records that cancel entries of an older segment
//   keep their own segment alive until that older segment is gone (else recovery would resurrect them).
// - Recovery reads every segment with a few large reads, checks each record's CRC, truncates a torn tail
//   of the newest segment, skips damaged records elsewhere with a warning, and rebuilds the queues and
//   the message index. Each run appends to a new segment.
//
// Memory per stored message: 16 bytes in the paged MessageIndex, plus 12 bytes (QueueEntries) per queue
// holding it. See test/store/bench.ts for measured figures.
//
// The Buffer given to writeMessage is referenced until it is written: it must not be modified afterwards.
import { closeSync, fdatasync, fsync, openSync, readSync, unlinkSync, writev } from 'node:fs';
import { mkdir, open as openFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { crc32, crc32Table } from './crc32.js';
import { MessageIndex } from './message-index.js';
import { QueueEntries } from './queue-entries.js';
import {
  ENTRY_RECORD_BYTES,
  DROP_QUEUE_RECORD_BYTES,
  FORMAT_VERSION,
  MESSAGE_AT_HEADER_BYTES,
  MESSAGE_HEADER_BYTES,
  QUEUE_RECORD_HEADER_BYTES,
  REC_DELIVER,
  REC_DELIVERY_COUNT,
  COUNT_RECORD_BYTES,
  REC_DROP_QUEUE,
  REC_ENQUEUE,
  REC_MESSAGE,
  REC_MESSAGE_AT,
  REC_QUEUE,
  REC_REMOVE,
  REC_SEGMENT,
  SEGMENT_MAGIC,
  SEGMENT_RECORD_BYTES,
  readU64,
  writeU64,
} from './record-format.js';
import { Segment, parseSegmentFileName, segmentFileName } from './segment.js';
import { scanSegment } from './segment-scanner.js';

export interface StoreLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface RecoveredQueue {
  /** Queue key: vhost + '\u0000' + name (opaque to the store). */
  key: string;
  /** In enqueue order. */
  entries: RecoveredEntry[];
}

export interface RecoveredEntry {
  msgId: number;
  delivered: boolean;
  /** Failed delivery attempts recorded with markDelivered (x-delivery-count); absent when none. */
  deliveryCount?: number;
}

export interface MessageStoreOptions {
  logger?: StoreLogger;
  /** Size at which the store starts a new segment file (default 64 MiB). */
  segmentBytes?: number;
}

/** Counters for tests and diagnostics. */
export interface MessageStoreStats {
  flushes: number;
  fdatasyncs: number;
  writevs: number;
  bytesWritten: number;
}

const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;
const MAX_SEGMENT_BYTES = 1024 * 1024 * 1024;
/** Data offsets are u32 in the index: segments stay below 4 GiB. */
const MAX_MESSAGE_BYTES = 1024 * 1024 * 1024;
/** Flag in the index's length word: the 8 bytes before the data hold the arrival time (MESSAGE_AT). */
const STAMPED = 0x80000000;
const LENGTH_MASK = 0x7fffffff;
const MAX_KEY_BYTES = 65536;
const ARENA_BYTES = 256 * 1024;
/** Unsynced bytes that trigger a flush even if nobody asked for one (bounds pending memory). */
const AUTO_FLUSH_BYTES = 16 * 1024 * 1024;
const READ_CHUNK_BYTES = 16 * 1024 * 1024;
const PROGRESS_INTERVAL_MS = 1000;

// A queue entry is one small integer: enqueue segment slot + (deliver segment slot + 1) * SLOT_SPAN,
// below 2^30 so V8 keeps it unboxed. That caps live segments at SLOT_SPAN - 1 (2 TiB at 64 MiB each).
const SLOT_SPAN = 0x8000;
const SLOT_MASK = SLOT_SPAN - 1;
const MAX_SLOTS = SLOT_SPAN - 1;

interface QueueState {
  readonly key: string;
  readonly keyBytes: Buffer;
  /** Number written in this process's QUEUE records. */
  readonly qid: number;
  /** Segment whose QUEUE record binds qid (records in other segments need a new one first). */
  defSeg: Segment | undefined;
  /** msgId → packed entry, in enqueue (= msgId) order. */
  readonly entries: QueueEntries;
  /** Delivery counts of the (few) entries that have one (msgId → count, as in their DCOUNT record). */
  counts: Map<number, number> | undefined;
}

/** Pending bytes of one segment: bufs are written contiguously from `start`. */
interface Batch {
  readonly seg: Segment;
  readonly start: number;
  readonly bufs: Buffer[];
  bytes: number;
}

export class MessageStore {
  /** Called once per completed group sync with the new syncedSeq. */
  onSynced: ((syncedSeq: number) => void) | undefined = undefined;
  readonly stats: MessageStoreStats = { flushes: 0, fdatasyncs: 0, writevs: 0, bytesWritten: 0 };

  private readonly logger: StoreLogger | undefined;
  private readonly segmentBytes: number;
  /** A fully dead active segment at least this big is rolled so it can be deleted (disk falls back when drained). */
  private readonly drainedRollBytes: number;
  private dirFd = -1;
  /** Existing segments, oldest first. */
  private readonly segments: Segment[] = [];
  private readonly slots: (Segment | undefined)[] = [];
  private readonly freeSlots: number[] = [];
  private active!: Segment;
  private readonly index = new MessageIndex();
  private readonly queues = new Map<string, QueueState>();
  private nextQid = 1;
  private nextId = 1;
  private seq = 0;
  private synced = 0;
  private stampCounter = 0;

  private arena = Buffer.allocUnsafe(ARENA_BYTES);
  private arenaPos = 0;
  /** Start of the arena bytes not yet handed to the current batch. */
  private runStart = 0;
  private batches: Batch[] = [];
  private current!: Batch;
  private pendingBytes = 0;
  /** Batches being written by the running flush (still readable from memory). */
  private inflight: Batch[] = [];

  private flushing = false;
  private flushScheduled = false;
  private syncAgain = false;
  private dirDirty = false;
  private flushDone: Promise<void> = Promise.resolve();
  private readonly dying: Segment[] = [];
  private readonly touched: Segment[] = [];
  private replaying = false;
  private closing = false;
  private closed = false;
  private failure: Error | undefined;
  private readonly flushTick = (): void => this.startFlush();

  private constructor(
    private readonly dir: string,
    opts: MessageStoreOptions,
  ) {
    this.logger = opts.logger;
    const segmentBytes = opts.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    if (!Number.isInteger(segmentBytes) || segmentBytes < 1024 || segmentBytes > MAX_SEGMENT_BYTES) {
      throw new RangeError(`segmentBytes must be an integer in [1024, ${MAX_SEGMENT_BYTES}]`);
    }
    this.segmentBytes = segmentBytes;
    this.drainedRollBytes = Math.min(4 * 1024 * 1024, Math.floor(segmentBytes / 4));
  }

  static async open(dir: string, opts: MessageStoreOptions = {}): Promise<MessageStore> {
    await mkdir(dir, { recursive: true });
    const store = new MessageStore(dir, opts);
    try {
      await store.recover();
    } catch (err) {
      store.closeFiles();
      throw err;
    }
    return store;
  }

  get writeSeq(): number {
    return this.seq;
  }

  get syncedSeq(): number {
    return this.synced;
  }

  get diskBytes(): number {
    let n = 0;
    for (const seg of this.segments) n += seg.size;
    return n;
  }

  /** Every queue with live entries (after open: what was recovered). */
  recovered(): RecoveredQueue[] {
    const out: RecoveredQueue[] = [];
    for (const q of this.queues.values()) {
      if (q.entries.size === 0) continue;
      const entries: RecoveredEntry[] = new Array<RecoveredEntry>(q.entries.size);
      let i = 0;
      const counts = q.counts;
      q.entries.forEach((msgId, v) => {
        const n = counts?.get(msgId);
        entries[i++] = n === undefined ? { msgId, delivered: v >= SLOT_SPAN } : { msgId, delivered: v >= SLOT_SPAN, deliveryCount: n };
      });
      out.push({ key: q.key, entries });
    }
    return out;
  }

  readMessage(msgId: number): Buffer {
    if (this.closed) throw new Error('message store is closed');
    const page = this.index.locate(msgId);
    if (page === undefined) throw new Error(`message ${msgId} is not in the store`);
    const w = page.words;
    const at = this.index.at;
    const seg = this.slots[w[at] - 1]!;
    const offset = w[at + 1];
    const length = w[at + 2] & LENGTH_MASK;
    if (length === 0) return Buffer.alloc(0);
    if (offset + length <= seg.written) return readFromFile(seg, offset, length);
    const pending = this.findPending(seg, offset, length);
    if (pending === undefined) throw new Error(`message ${msgId}: bytes neither written nor pending`);
    return pending;
  }

  /**
   * Reads several messages (e.g. a queue paging in its next entries) with as few reads as
   * possible: ids whose bytes lie close together in one segment share one read, and each
   * result is a view of it. `out[i]` receives the bytes of `msgIds[i]`.
   */
  readMessages(msgIds: readonly number[], out: Buffer[]): void {
    if (this.closed) throw new Error('message store is closed');
    const at = this.index.at;
    let i = 0;
    while (i < msgIds.length) {
      const page = this.index.locate(msgIds[i]!);
      if (page === undefined) throw new Error(`message ${msgIds[i]} is not in the store`);
      const seg = this.slots[page.words[at] - 1]!;
      const start = page.words[at + 1];
      let end = start + (page.words[at + 2] & LENGTH_MASK);
      // Extend the run while the next message is in the same segment, after this one, on disk and near.
      let j = i + 1;
      const offs: number[] = [start];
      const lens: number[] = [page.words[at + 2] & LENGTH_MASK];
      while (j < msgIds.length) {
        const p2 = this.index.locate(msgIds[j]!);
        if (p2 === undefined) break;
        const w2 = p2.words;
        const a2 = this.index.at;
        const o2 = w2[a2 + 1];
        const l2 = w2[a2 + 2] & LENGTH_MASK;
        if (this.slots[w2[a2] - 1] !== seg || o2 < end || o2 + l2 - start > READ_AHEAD_MAX || o2 + l2 > seg.written) break;
        offs.push(o2);
        lens.push(l2);
        end = o2 + l2;
        j++;
      }
      if (j === i + 1 || end > seg.written) {
        out[i] = this.readMessage(msgIds[i]!);
        i++;
        continue;
      }
      const buf = readFromFile(seg, start, end - start);
      for (let k = 0; k < offs.length; k++) out[i + k] = buf.subarray(offs[k]! - start, offs[k]! - start + lens[k]!);
      i = j;
    }
  }

  /**
   * Stores a message's bytes once and returns its id. With `arrivedAt` (ms since the epoch) the record
   * keeps the arrival time, which recovery hands back (readMessageWithArrival) so TTLs keep counting.
   */
  writeMessage(data: Buffer, arrivedAt = 0): number {
    this.assertWritable();
    if (data.length > MAX_MESSAGE_BYTES) throw new RangeError(`message of ${data.length} bytes exceeds ${MAX_MESSAGE_BYTES}`);
    this.seq++;
    const id = this.nextId++;
    const stamped = arrivedAt > 0;
    const headerBytes = stamped ? MESSAGE_AT_HEADER_BYTES : MESSAGE_HEADER_BYTES;
    this.ensureRoom(headerBytes + data.length);
    const p = this.reserve(headerBytes);
    const a = this.arena;
    a.writeUInt32LE(headerBytes - 8 + data.length, p);
    a[p + 8] = stamped ? REC_MESSAGE_AT : REC_MESSAGE;
    writeU64(a, p + 9, id);
    if (stamped) writeU64(a, p + 17, arrivedAt);
    a.writeUInt32LE(crc32(data, 0, data.length, crc32Table(a, p + 8, p + headerBytes)), p + 4);
    const seg = this.active;
    this.index.add(id, seg.slot, seg.size + headerBytes, stamped ? data.length | STAMPED : data.length);
    seg.live++;
    this.commit(headerBytes);
    this.pushData(data);
    this.maybeAutoFlush();
    return id;
  }

  /**
   * readMessage, also giving the arrival time written with the message (0 when it was written
   * without one) in `arrival.at`: one read for both, used by recovery.
   */
  readMessageWithArrival(msgId: number, arrival: { at: number }): Buffer {
    arrival.at = 0;
    const page = this.index.locate(msgId);
    if (page === undefined || this.closed) return this.readMessage(msgId);
    const w = page.words;
    const at = this.index.at;
    const seg = this.slots[w[at] - 1]!;
    const offset = w[at + 1];
    const length = w[at + 2] & LENGTH_MASK;
    if ((w[at + 2] & STAMPED) === 0 || offset + length > seg.written) return this.readMessage(msgId);
    const buf = readFromFile(seg, offset - 8, length + 8);
    arrival.at = readU64(buf, 0);
    return buf.subarray(8);
  }

  enqueue(key: string, msgId: number): void {
    this.assertWritable();
    const q = this.queueFor(key);
    if (q.entries.has(msgId)) throw new Error(`message ${msgId} is already in queue ${JSON.stringify(key)}`);
    if (!this.index.addRef(msgId)) throw new Error(`message ${msgId} is not in the store`);
    this.seq++;
    this.appendEntryRecord(REC_ENQUEUE, q, msgId);
    q.entries.set(msgId, this.active.slot);
    this.active.live++;
    this.maybeAutoFlush();
  }

  /**
   * Records that an entry was delivered. Only the first delivery is written (recovery needs just the
   * flag), unless `deliveryCount` > 0: failed attempts so far (x-delivery-count), written each time.
   */
  markDelivered(key: string, msgId: number, deliveryCount = 0): void {
    this.assertWritable();
    const q = this.queues.get(key);
    const v = q === undefined ? -1 : q.entries.get(msgId);
    if (q === undefined || v < 0 || (v >= SLOT_SPAN && deliveryCount === 0)) return;
    this.seq++;
    if (deliveryCount > 0) {
      this.appendCountRecord(q, msgId, deliveryCount);
      (q.counts ??= new Map()).set(msgId, deliveryCount);
    } else {
      this.appendEntryRecord(REC_DELIVER, q, msgId);
    }
    // The record just written is counted first: the active segment must not look dead (and roll
    // over) while it holds it.
    q.entries.set(msgId, (v & SLOT_MASK) + (this.active.slot + 1) * SLOT_SPAN);
    this.active.live++;
    // The newest delivery record is the one kept alive; an earlier one stops counting.
    if (v >= SLOT_SPAN) {
      const old = this.slots[Math.floor(v / SLOT_SPAN) - 1]!;
      old.live--;
      this.checkDead(old);
    }
    this.maybeAutoFlush();
  }

  /** Removes msgId from queue `key`; a no-op when the queue does not hold it. */
  remove(key: string, msgId: number): void {
    this.assertWritable();
    const q = this.queues.get(key);
    const v = q === undefined ? -1 : q.entries.get(msgId);
    if (q === undefined || v < 0) return;
    this.seq++;
    this.appendEntryRecord(REC_REMOVE, q, msgId);
    q.entries.delete(msgId);
    q.counts?.delete(msgId);
    this.dropEntry(msgId, v, this.active, ++this.stampCounter, true);
    for (const seg of this.touched) this.checkDead(seg);
    this.touched.length = 0;
    this.maybeAutoFlush();
  }

  removeQueue(key: string): void {
    this.assertWritable();
    const q = this.queues.get(key);
    if (q === undefined) return;
    this.queues.delete(key);
    if (q.entries.size === 0) return;
    this.seq++;
    this.appendDropQueue(q);
    this.dropAllEntries(q, this.active);
    for (const seg of this.segments.slice()) this.checkDead(seg);
    this.maybeAutoFlush();
  }

  requestSync(): void {
    if (this.flushing) {
      this.syncAgain = true;
      return;
    }
    if (!this.flushScheduled && !this.closed) {
      this.flushScheduled = true;
      // setImmediate, not now: writes made in the same event-loop turn join this flush.
      setImmediate(this.flushTick);
    }
  }

  async close(): Promise<void> {
    if (this.closed || this.closing) return;
    this.closing = true;
    try {
      await this.drain();
    } finally {
      this.closed = true;
      this.closeFiles();
    }
  }

  // ---- appending ----

  private assertWritable(): void {
    if (this.closing) throw new Error('message store is closed');
    if (this.failure !== undefined) throw this.failure;
  }

  private queueFor(key: string): QueueState {
    let q = this.queues.get(key);
    if (q === undefined) {
      const keyBytes = Buffer.from(key, 'utf8');
      if (keyBytes.length > MAX_KEY_BYTES) throw new RangeError(`queue key longer than ${MAX_KEY_BYTES} bytes`);
      q = { key, keyBytes, qid: this.nextQid++, defSeg: undefined, entries: new QueueEntries(), counts: undefined };
      this.queues.set(key, q);
    }
    return q;
  }

  /** Rolls to a new segment when `bytes` more would overflow the active one (a lone big record may). */
  private ensureRoom(bytes: number): void {
    if (this.active.size + bytes > this.segmentBytes && this.active.size > SEGMENT_RECORD_BYTES) this.rollover();
  }

  /** Position in the arena where `bytes` bytes can be written (committed with commit()). */
  private reserve(bytes: number): number {
    if (this.arenaPos + bytes > this.arena.length) {
      this.closeRun();
      this.arena = Buffer.allocUnsafe(Math.max(ARENA_BYTES, bytes));
      this.arenaPos = 0;
      this.runStart = 0;
    }
    return this.arenaPos;
  }

  private commit(bytes: number): void {
    this.arenaPos += bytes;
    this.current.bytes += bytes;
    this.active.size += bytes;
    this.pendingBytes += bytes;
  }

  private pushData(data: Buffer): void {
    this.closeRun();
    this.current.bufs.push(data);
    this.current.bytes += data.length;
    this.active.size += data.length;
    this.pendingBytes += data.length;
  }

  /** Hands the arena bytes written since the last run to the current batch. */
  private closeRun(): void {
    if (this.arenaPos > this.runStart) {
      this.current.bufs.push(this.arena.subarray(this.runStart, this.arenaPos));
      this.runStart = this.arenaPos;
    }
  }

  private maybeAutoFlush(): void {
    if (this.pendingBytes >= AUTO_FLUSH_BYTES) this.requestSync();
  }

  /** Ensures room for a queue record of `bytes` and that the active segment binds q's qid. */
  private prepareQueueRecord(q: QueueState, bytes: number): void {
    const defBytes = QUEUE_RECORD_HEADER_BYTES + q.keyBytes.length;
    this.ensureRoom(q.defSeg === this.active ? bytes : bytes + defBytes);
    if (q.defSeg === this.active) return;
    const p = this.reserve(defBytes);
    const a = this.arena;
    a.writeUInt32LE(5 + q.keyBytes.length, p);
    a[p + 8] = REC_QUEUE;
    a.writeUInt32LE(q.qid, p + 9);
    q.keyBytes.copy(a, p + QUEUE_RECORD_HEADER_BYTES);
    a.writeUInt32LE(crc32(a, p + 8, p + defBytes), p + 4);
    this.commit(defBytes);
    q.defSeg = this.active;
  }

  private appendEntryRecord(type: number, q: QueueState, msgId: number): void {
    this.prepareQueueRecord(q, ENTRY_RECORD_BYTES);
    const p = this.reserve(ENTRY_RECORD_BYTES);
    const a = this.arena;
    a.writeUInt32LE(13, p);
    a[p + 8] = type;
    a.writeUInt32LE(q.qid, p + 9);
    writeU64(a, p + 13, msgId);
    a.writeUInt32LE(crc32Table(a, p + 8, p + ENTRY_RECORD_BYTES), p + 4);
    this.commit(ENTRY_RECORD_BYTES);
  }

  private appendCountRecord(q: QueueState, msgId: number, count: number): void {
    this.prepareQueueRecord(q, COUNT_RECORD_BYTES);
    const p = this.reserve(COUNT_RECORD_BYTES);
    const a = this.arena;
    a.writeUInt32LE(17, p);
    a[p + 8] = REC_DELIVERY_COUNT;
    a.writeUInt32LE(q.qid, p + 9);
    writeU64(a, p + 13, msgId);
    a.writeUInt32LE(count, p + 21);
    a.writeUInt32LE(crc32Table(a, p + 8, p + COUNT_RECORD_BYTES), p + 4);
    this.commit(COUNT_RECORD_BYTES);
  }

  private appendDropQueue(q: QueueState): void {
    this.prepareQueueRecord(q, DROP_QUEUE_RECORD_BYTES);
    const p = this.reserve(DROP_QUEUE_RECORD_BYTES);
    const a = this.arena;
    a.writeUInt32LE(5, p);
    a[p + 8] = REC_DROP_QUEUE;
    a.writeUInt32LE(q.qid, p + 9);
    a.writeUInt32LE(crc32Table(a, p + 8, p + DROP_QUEUE_RECORD_BYTES), p + 4);
    this.commit(DROP_QUEUE_RECORD_BYTES);
  }

  // ---- segments and liveness ----

  private addSegment(id: number): Segment {
    let slot = this.freeSlots.pop();
    if (slot === undefined) {
      if (this.slots.length >= MAX_SLOTS) throw new Error(`message store: more than ${MAX_SLOTS} live segments`);
      slot = this.slots.length;
      this.slots.push(undefined);
    }
    const seg = new Segment(id, slot, this.dir);
    this.slots[slot] = seg;
    this.segments.push(seg);
    return seg;
  }

  /** Creates segment `id`, makes it the active one and appends its SEGMENT record. */
  private createSegment(id: number): void {
    const seg = this.addSegment(id);
    seg.fd = openSync(seg.path, 'wx+');
    this.dirDirty = true;
    this.active = seg;
    this.current = { seg, start: 0, bufs: [], bytes: 0 };
    this.batches.push(this.current);
    const p = this.reserve(SEGMENT_RECORD_BYTES);
    const a = this.arena;
    a.writeUInt32LE(17, p);
    a[p + 8] = REC_SEGMENT;
    a.writeUInt32LE(SEGMENT_MAGIC, p + 9);
    a.writeUInt32LE(FORMAT_VERSION, p + 13);
    writeU64(a, p + 17, this.nextId);
    a.writeUInt32LE(crc32Table(a, p + 8, p + SEGMENT_RECORD_BYTES), p + 4);
    this.commit(SEGMENT_RECORD_BYTES);
  }

  private rollover(): void {
    this.closeRun();
    const old = this.active;
    this.createSegment(old.id + 1);
    this.checkDead(old);
  }

  /**
   * Drops one queue entry whose cancelling record lives in `holder`: the entry, its delivery mark and
   * its message reference stop counting; the holder keeps one tombstone per older segment it cancels.
   */
  private dropEntry(msgId: number, v: number, holder: Segment, stamp: number, track: boolean): void {
    const enq = this.slots[v & SLOT_MASK]!;
    if (enq !== holder && enq.stamp !== stamp) {
      enq.stamp = stamp;
      enq.addTombstone(holder);
    }
    enq.live--;
    if (track) this.touched.push(enq);
    const dlv = Math.floor(v / SLOT_SPAN);
    if (dlv !== 0) {
      const seg = this.slots[dlv - 1]!;
      seg.live--;
      if (track) this.touched.push(seg);
    }
    const msgSlot = this.index.release(msgId);
    if (msgSlot >= 0) {
      const seg = this.slots[msgSlot]!;
      seg.live--;
      if (track) this.touched.push(seg);
    }
  }

  private dropAllEntries(q: QueueState, holder: Segment): void {
    const stamp = ++this.stampCounter;
    q.entries.forEach((msgId, v) => this.dropEntry(msgId, v, holder, stamp, false));
    q.entries.clear();
    q.counts = undefined;
  }

  private checkDead(seg: Segment): void {
    if (seg.live !== 0 || seg.dying || this.replaying) return;
    if (seg === this.active) {
      if (seg.size >= this.drainedRollBytes && !this.closing) {
        this.rollover();
        this.requestSync();
      }
      return;
    }
    seg.dying = true;
    seg.deathSeq = this.seq;
    this.dying.push(seg);
  }

  /** Unlinks dead segments whose death is durable; releases their tombstone holders. */
  private reap(): void {
    let released: Segment[] | undefined;
    for (let i = 0; i < this.dying.length; ) {
      const seg = this.dying[i];
      if (seg.deathSeq > this.synced) {
        i++;
        continue;
      }
      this.dying.splice(i, 1);
      this.unlinkSegment(seg);
      if (seg.tombstonesIn !== undefined) {
        for (const [holder, n] of seg.tombstonesIn) {
          holder.live -= n;
          (released ??= []).push(holder);
        }
        seg.tombstonesIn = undefined;
      }
    }
    if (released === undefined) return;
    // The holders may die only after the unlink above is durable (directory fsync in the next flush):
    // a virtual write makes their deathSeq wait for it.
    this.seq++;
    for (const holder of released) this.checkDead(holder);
    this.requestSync();
  }

  private unlinkSegment(seg: Segment): void {
    if (seg.fd >= 0) {
      closeSync(seg.fd);
      seg.fd = -1;
    }
    try {
      unlinkSync(seg.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        this.logger?.warn({ err, file: seg.path }, 'message store: could not delete dead segment');
      }
    }
    this.dirDirty = true;
    const i = this.segments.indexOf(seg);
    if (i >= 0) this.segments.splice(i, 1);
    this.slots[seg.slot] = undefined;
    this.freeSlots.push(seg.slot);
  }

  // ---- flushing ----

  private startFlush(): void {
    this.flushScheduled = false;
    if (this.closed || this.failure !== undefined) return;
    if (this.flushing) {
      this.syncAgain = true;
      return;
    }
    if (this.pendingBytes === 0 && this.synced === this.seq && !this.dirDirty) return;
    this.closeRun();
    const batches = this.batches;
    this.inflight = batches;
    this.current = { seg: this.active, start: this.active.size, bufs: [], bytes: 0 };
    this.batches = [this.current];
    this.pendingBytes = 0;
    const target = this.seq;
    const syncDir = this.dirDirty;
    this.dirDirty = false;
    this.flushing = true;
    this.stats.flushes++;
    this.flushDone = this.writeAndSync(batches, syncDir).then(
      () => this.flushed(target),
      (err: unknown) => this.flushFailed(err),
    );
  }

  private async writeAndSync(batches: Batch[], syncDir: boolean): Promise<void> {
    const toSync: Segment[] = [];
    for (const b of batches) {
      if (b.bytes === 0) continue;
      await this.writeBatch(b);
      if (toSync[toSync.length - 1] !== b.seg) toSync.push(b.seg);
    }
    for (const seg of toSync) {
      await fdatasyncAsync(seg.fd);
      this.stats.fdatasyncs++;
    }
    if (syncDir) await fsyncAsync(this.dirFd);
  }

  private async writeBatch(b: Batch): Promise<void> {
    let bufs = b.bufs;
    let pos = b.start;
    let left = b.bytes;
    for (let attempts = 0; left > 0; attempts++) {
      const n = await writevAsync(b.seg.fd, bufs, pos);
      this.stats.writevs++;
      this.stats.bytesWritten += n;
      pos += n;
      left -= n;
      b.seg.written = pos;
      if (left > 0) {
        if (n === 0 || attempts > 1000) throw new Error(`writev to ${b.seg.path} made no progress`);
        bufs = dropWritten(bufs, n);
      }
    }
  }

  private flushed(target: number): void {
    this.inflight = [];
    this.synced = target;
    // Still `flushing` here: a sync requested by reap() becomes the single follow-up below.
    this.reap();
    this.flushing = false;
    if (this.syncAgain) {
      this.syncAgain = false;
      this.startFlush();
    }
    const cb = this.onSynced;
    if (cb !== undefined) {
      try {
        cb(target);
      } catch (err) {
        // A throwing handler is the caller's bug: surface it as an uncaught exception, outside the store.
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }

  private flushFailed(err: unknown): void {
    this.flushing = false;
    this.failure = err instanceof Error ? err : new Error(String(err));
    this.logger?.warn({ err: this.failure, dir: this.dir }, 'message store: write or sync failed; the store accepts no more writes');
  }

  /** Flushes until everything written (and every pending deletion) is durable. */
  private async drain(): Promise<void> {
    for (let rounds = 0; ; rounds++) {
      if (this.failure !== undefined) throw this.failure;
      if (rounds > 1_000_000) throw new Error('message store: drain did not settle');
      if (this.flushing) {
        await this.flushDone;
        continue;
      }
      if (this.pendingBytes === 0 && this.synced === this.seq && !this.dirDirty) return;
      this.startFlush();
      await this.flushDone;
    }
  }

  private findPending(seg: Segment, offset: number, length: number): Buffer | undefined {
    for (const list of [this.inflight, this.batches]) {
      for (const b of list) {
        if (b.seg !== seg || offset < b.start || offset >= b.start + b.bytes) continue;
        let pos = b.start;
        for (const buf of b.bufs) {
          if (pos === offset && buf.length === length) return buf;
          pos += buf.length;
          if (pos > offset) break;
        }
      }
    }
    return undefined;
  }

  private closeFiles(): void {
    for (const seg of this.segments) {
      if (seg.fd >= 0) {
        closeSync(seg.fd);
        seg.fd = -1;
      }
    }
    if (this.dirFd >= 0) {
      closeSync(this.dirFd);
      this.dirFd = -1;
    }
  }

  // ---- recovery ----

  private async recover(): Promise<void> {
    const started = performance.now();
    this.dirFd = openSync(this.dir, 'r');
    const ids = (await readdir(this.dir))
      .map(parseSegmentFileName)
      .filter((id) => id >= 0)
      .sort((a, b) => a - b);
    let totalBytes = 0;
    for (const id of ids) totalBytes += (await stat(path.join(this.dir, segmentFileName(id)))).size;
    if (ids.length > 0) this.logger?.info({ dir: this.dir, segments: ids.length, bytes: totalBytes }, 'message store: recovering');

    const ctx: ReplayContext = { nextId: 1, maxId: 0, records: 0, damaged: 0, orphans: 0 };
    let buf = Buffer.alloc(0);
    let bytesDone = 0;
    let lastLog = started;
    this.replaying = true;
    for (let i = 0; i < ids.length; i++) {
      const seg = this.addSegment(ids[i]);
      const isLast = i === ids.length - 1;
      const fh = await openFile(seg.path, isLast ? 'r+' : 'r');
      try {
        const size = (await fh.stat()).size;
        if (buf.length < size) buf = Buffer.allocUnsafe(size);
        let got = 0;
        while (got < size) {
          const { bytesRead } = await fh.read(buf, got, Math.min(READ_CHUNK_BYTES, size - got), got);
          if (bytesRead === 0) break;
          got += bytesRead;
        }
        const qids = new Map<number, QueueState>();
        const image = buf;
        const result = scanSegment(image, got, (type, start, end) => this.replayRecord(image, type, start, end, seg, qids, ctx));
        ctx.records += result.records;
        for (const d of result.damaged) {
          ctx.damaged++;
          this.logger?.warn({ file: seg.path, offset: d.offset, bytes: d.bytes }, 'message store: skipped a damaged record');
        }
        let length = got;
        if (result.tailBytes > 0) {
          if (isLast) {
            await fh.truncate(result.validEnd);
            await fh.datasync();
            length = result.validEnd;
            this.logger?.warn({ file: seg.path, offset: result.validEnd, bytes: result.tailBytes }, 'message store: truncated a torn tail');
          } else {
            ctx.damaged++;
            this.logger?.warn({ file: seg.path, offset: result.validEnd, bytes: result.tailBytes }, 'message store: skipped damaged bytes at the end of a segment');
          }
        }
        seg.size = length;
        seg.written = length;
        bytesDone += got;
      } finally {
        await fh.close();
      }
      const now = performance.now();
      if (now - lastLog >= PROGRESS_INTERVAL_MS && !isLast) {
        lastLog = now;
        this.logger?.info({ segment: i + 1, segments: ids.length, bytes: bytesDone, totalBytes, messages: this.index.size }, 'message store: recovery progress');
      }
    }
    this.replaying = false;

    // Messages that no queue references (written but never enqueued, or all entries removed) are dead.
    this.index.forgetUnreferenced((slot) => this.slots[slot]!.live--);
    let entries = 0;
    for (const [key, q] of this.queues) {
      if (q.entries.size === 0) this.queues.delete(key);
      else entries += q.entries.size;
    }
    this.nextId = Math.max(ctx.nextId, ctx.maxId + 1);
    const previous = this.segments.slice();
    this.createSegment(ids.length > 0 ? ids[ids.length - 1] + 1 : 1);
    for (const seg of previous) this.checkDead(seg);
    if (ids.length > 0) {
      this.logger?.info(
        {
          messages: this.index.size,
          queues: this.queues.size,
          entries,
          records: ctx.records,
          damagedRecords: ctx.damaged,
          deadSegments: this.dying.length,
          ms: Math.round(performance.now() - started),
        },
        'message store: recovered',
      );
    }
    // Make the new segment (and its nextMsgId) durable before any old segment is deleted.
    await this.drain();
  }

  private replayRecord(buf: Buffer, type: number, start: number, end: number, seg: Segment, qids: Map<number, QueueState>, ctx: ReplayContext): void {
    switch (type) {
      case REC_SEGMENT: {
        if (buf.readUInt32LE(start) !== SEGMENT_MAGIC || buf.readUInt32LE(start + 4) !== FORMAT_VERSION) {
          throw new Error(`${seg.path}: unsupported segment format ${buf.readUInt32LE(start + 4)}`);
        }
        ctx.nextId = Math.max(ctx.nextId, readU64(buf, start + 8));
        return;
      }
      case REC_MESSAGE: {
        const id = readU64(buf, start);
        if (this.index.locate(id) !== undefined) {
          ctx.orphans++;
          return;
        }
        this.index.add(id, seg.slot, start + 8, end - start - 8);
        seg.live++;
        if (id > ctx.maxId) ctx.maxId = id;
        return;
      }
      case REC_MESSAGE_AT: {
        const id = readU64(buf, start);
        if (this.index.locate(id) !== undefined) {
          ctx.orphans++;
          return;
        }
        this.index.add(id, seg.slot, start + 16, (end - start - 16) | STAMPED);
        seg.live++;
        if (id > ctx.maxId) ctx.maxId = id;
        return;
      }
      case REC_QUEUE:
        qids.set(buf.readUInt32LE(start), this.queueFor(buf.toString('utf8', start + 4, end)));
        return;
      case REC_DROP_QUEUE: {
        const q = qids.get(buf.readUInt32LE(start));
        if (q === undefined) ctx.orphans++;
        else this.dropAllEntries(q, seg);
        return;
      }
      default:
        break;
    }
    const q = qids.get(buf.readUInt32LE(start));
    const id = readU64(buf, start + 4);
    if (q === undefined) {
      ctx.orphans++;
      return;
    }
    const v = q.entries.get(id);
    if (type === REC_ENQUEUE) {
      // No live message: its MESSAGE record was deleted with its segment (the entry was removed) or damaged.
      if (v < 0 && this.index.addRef(id)) {
        q.entries.set(id, seg.slot);
        seg.live++;
      } else {
        ctx.orphans++;
      }
    } else if (v < 0) {
      ctx.orphans++;
    } else if (type === REC_DELIVER || type === REC_DELIVERY_COUNT) {
      if (v >= SLOT_SPAN) this.slots[Math.floor(v / SLOT_SPAN) - 1]!.live--;
      q.entries.set(id, (v & SLOT_MASK) + (seg.slot + 1) * SLOT_SPAN);
      seg.live++;
      if (type === REC_DELIVERY_COUNT) (q.counts ??= new Map()).set(id, buf.readUInt32LE(start + 12));
    } else if (type === REC_REMOVE) {
      q.entries.delete(id);
      q.counts?.delete(id);
      this.dropEntry(id, v, seg, ++this.stampCounter, false);
    }
  }
}

interface ReplayContext {
  nextId: number;
  maxId: number;
  records: number;
  damaged: number;
  /** Records about messages / entries / queues no longer present (normal after segment deletion). */
  orphans: number;
}

/** Upper bound of one batched read (readMessages). */
const READ_AHEAD_MAX = 4 * 1024 * 1024;

function readFromFile(seg: Segment, offset: number, length: number): Buffer {
  if (seg.fd < 0) seg.fd = openSync(seg.path, 'r');
  const buf = Buffer.allocUnsafe(length);
  let got = 0;
  while (got < length) {
    const n = readSync(seg.fd, buf, got, length - got, offset + got);
    if (n === 0) throw new Error(`${seg.path}: unexpected end of file at ${offset + got}`);
    got += n;
  }
  return buf;
}

/** The buffers left after the first `n` bytes of `bufs` were written. */
function dropWritten(bufs: Buffer[], n: number): Buffer[] {
  let i = 0;
  while (i < bufs.length && n >= bufs[i].length) n -= bufs[i++].length;
  const rest = bufs.slice(i);
  if (n > 0) rest[0] = rest[0].subarray(n);
  return rest;
}

function writevAsync(fd: number, bufs: Buffer[], position: number): Promise<number> {
  return new Promise((resolve, reject) => {
    writev(fd, bufs, position, (err, n) => (err ? reject(err) : resolve(n)));
  });
}

function fdatasyncAsync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => {
    fdatasync(fd, (err) => (err ? reject(err) : resolve()));
  });
}

function fsyncAsync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => {
    fsync(fd, (err) => (err ? reject(err) : resolve()));
  });
}
