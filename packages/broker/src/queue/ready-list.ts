import { Ring } from '../util/ring.js';
import type { QueueEntry } from './queue-entry.js';

/**
 * Ready (undelivered) entries of a queue: one FIFO, or one FIFO per priority level for
 * x-max-priority queues (highest level first, FIFO within a level).
 */
export class ReadyList {
  private readonly levels: Ring<QueueEntry>[];
  length = 0;
  bytes = 0;

  constructor(maxPriority = 0) {
    this.levels = [];
    for (let i = 0; i <= maxPriority; i++) this.levels.push(new Ring<QueueEntry>());
  }

  private levelOf(e: QueueEntry): Ring<QueueEntry> {
    const top = this.levels.length - 1;
    return this.levels[e.priority > top ? top : e.priority]!;
  }

  push(e: QueueEntry): void {
    (this.levels.length === 1 ? this.levels[0]! : this.levelOf(e)).push(e);
    this.length++;
    this.bytes += e.size;
  }

  /** Puts a requeued entry back at the head of its level. */
  unshift(e: QueueEntry): void {
    this.levelOf(e).unshift(e);
    this.length++;
    this.bytes += e.size;
  }

  shift(): QueueEntry | undefined {
    if (this.length === 0) return undefined;
    for (let i = this.levels.length - 1; i >= 0; i--) {
      const e = this.levels[i]!.shift();
      if (e !== undefined) {
        this.length--;
        this.bytes -= e.size;
        return e;
      }
    }
    return undefined;
  }

  /** Entry at position i in delivery order (highest priority level first). */
  at(i: number): QueueEntry | undefined {
    for (let l = this.levels.length - 1; l >= 0; l--) {
      const ring = this.levels[l]!;
      if (i < ring.length) return ring.at(i);
      i -= ring.length;
    }
    return undefined;
  }

  peek(): QueueEntry | undefined {
    if (this.length === 0) return undefined;
    for (let i = this.levels.length - 1; i >= 0; i--) {
      const e = this.levels[i]!.peek();
      if (e !== undefined) return e;
    }
    return undefined;
  }

  /** Removes everything; returns the removed entries in order. */
  drain(): QueueEntry[] {
    const out: QueueEntry[] = [];
    for (let i = this.levels.length - 1; i >= 0; i--) {
      const ring = this.levels[i]!;
      for (let e = ring.shift(); e !== undefined; e = ring.shift()) out.push(e);
    }
    this.length = 0;
    this.bytes = 0;
    return out;
  }

  *[Symbol.iterator](): IterableIterator<QueueEntry> {
    for (let i = this.levels.length - 1; i >= 0; i--) yield* this.levels[i]!;
  }
}
