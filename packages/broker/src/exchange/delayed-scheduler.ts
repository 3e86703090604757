import type { FieldValue } from '@warren/protocol';
import { Typed } from '@warren/protocol';
import { messageFromStored, type Message } from '../message/message.js';
import type { QueueStore } from '../queue/queue.js';
import { DelayHeap } from './delay-heap.js';

/** Longest single setTimeout Node accepts; longer delays re-arm. */
const MAX_TIMER_MS = 0x7fffffff;

/**
 * The `x-delay` header in ms, or 0 for no delay: a missing, negative or non-numeric value
 * means "deliver now", as the delayed-message plugin did. Fractions are truncated.
 */
export function delayOf(msg: Message): number {
  let v: FieldValue | undefined = msg.headers()?.['x-delay'];
  if (v instanceof Typed) v = v.value;
  const n = typeof v === 'bigint' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n) || n <= 0) return 0;
  return Math.floor(n);
}

/** What the scheduler needs from its virtual host. */
export interface DelayedHost {
  /** Routes a due message through its delayed exchange; false when the exchange is gone. */
  releaseDelayed(msg: Message): void;
}

/**
 * Messages held by x-delayed-message exchanges until their delay has passed: a binary heap
 * keyed by due time and one timer for the earliest. Persistent messages published to durable
 * delayed exchanges are kept in the message store (a record of due time + message bytes
 * under one pseudo-queue key per vhost) so they survive a restart or a kill -9.
 */
export class DelayedScheduler {
  /**
   * Held messages as compact copies of their stored bytes (no Message object, no view of a
   * socket read chunk kept alive); the tag is the store record id (0 = transient).
   */
  private readonly heap = new DelayHeap<Buffer>();
  private timer: NodeJS.Timeout | undefined;
  private timerAt = 0;
  private store: QueueStore | undefined;
  readonly storeKey: string;
  private stopped = false;

  constructor(vhost: string, private readonly host: DelayedHost) {
    this.storeKey = delayedStoreKey(vhost);
  }

  attachStore(store: QueueStore): void {
    this.store = store;
  }

  get size(): number { return this.heap.size; }

  /** Holds `msg` for `delayMs`; returns true when it was written to the store. */
  hold(msg: Message, delayMs: number, durableExchange: boolean, now: number): boolean {
    const due = now + delayMs;
    let recordId = 0;
    if (this.store !== undefined && durableExchange && msg.deliveryMode === 2) {
      const rec = Buffer.allocUnsafe(8 + msg.data.length);
      rec.writeDoubleBE(due, 0);
      msg.data.copy(rec, 8);
      recordId = this.store.writeMessage(rec);
      this.store.enqueue(this.storeKey, recordId);
    }
    const data = Buffer.allocUnsafe(msg.data.length);
    msg.data.copy(data);
    this.heap.push(due, data, recordId);
    this.schedule(now);
    return recordId !== 0;
  }

  /** Recovery: a stored delay record (already on disk). */
  restore(recordId: number, record: Buffer): void {
    this.heap.push(record.readDoubleBE(0), record.subarray(8), recordId);
    this.schedule(Date.now());
  }

  /** Drops the messages held for a deleted exchange. */
  dropExchange(name: string): void {
    const removed = this.heap.filter((data) => exchangeOf(data) !== name);
    for (const r of removed) this.forget(r.tag);
    this.schedule(Date.now());
  }

  private forget(recordId: number): void {
    if (recordId !== 0 && this.store !== undefined) {
      this.store.remove(this.storeKey, recordId);
      this.store.requestSync();
    }
  }

  private schedule(now: number): void {
    const due = this.heap.peekDue();
    if (this.stopped || due === Infinity) return;
    if (this.timer !== undefined && this.timerAt <= due) return;
    clearTimeout(this.timer);
    this.timerAt = due;
    this.timer = setTimeout(() => this.fire(), Math.min(MAX_TIMER_MS, Math.max(0, due - now)));
    this.timer.unref();
  }

  private fire(): void {
    this.timer = undefined;
    const now = Date.now();
    // Bounded: at most the messages held now.
    for (let n = this.heap.size; n > 0 && this.heap.peekDue() <= now; n--) {
      const recordId = this.heap.peekTag();
      const data = this.heap.pop()!;
      this.host.releaseDelayed(messageFromStored(data));
      this.forget(recordId);
    }
    this.schedule(now);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/** Store key of a vhost's delayed messages: sorts with the vhost's queues, never a queue name clients can see. */
export function delayedStoreKey(vhost: string): string {
  return `${vhost}\u0000\u0001delayed`;
}

/** The exchange name at the start of stored message bytes. */
function exchangeOf(data: Buffer): string {
  return data.toString('utf8', 1, 1 + data[0]!);
}
