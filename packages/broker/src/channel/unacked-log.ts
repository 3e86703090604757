import type { Consumer } from '../queue/consumer.js';
import type { QueueEntry } from '../queue/queue-entry.js';
import type { Queue } from '../queue/queue.js';

/**
 * A channel's unacknowledged deliveries, indexed by delivery tag. Tags grow by one per
 * delivery, so slot = (tag - firstTag) in a ring: acks are O(1), "multiple" walks from the
 * head, and settled slots in the middle are left as holes until the head passes them.
 * Parallel arrays instead of one record per delivery keep the delivery path allocation-free.
 */
export class UnackedLog {
  private entries: (QueueEntry | undefined)[];
  private consumers: (Consumer | undefined)[];
  private queues: (Queue | undefined)[];
  /** Delivery time (ms) of each slot, for the consumer acknowledgement timeout. */
  private times: number[];
  private mask: number;
  private head = 0;
  /** Delivery tag stored at `head`. */
  private firstTag = 1;
  /** Slots from head to the newest delivery (live ones and holes). */
  private span = 0;
  /** Live (unsettled) deliveries. */
  count = 0;

  constructor() {
    this.entries = new Array(16);
    this.consumers = new Array(16);
    this.queues = new Array(16);
    this.times = new Array<number>(16).fill(0);
    this.mask = 15;
  }

  /** Records delivery `tag`, which must be the next tag after the last one recorded. */
  push(tag: number, entry: QueueEntry, consumer: Consumer | undefined, queue: Queue, time = 0): void {
    if (this.span === 0) this.firstTag = tag;
    if (this.span === this.entries.length) this.grow();
    const i = (this.head + this.span) & this.mask;
    this.entries[i] = entry;
    this.consumers[i] = consumer;
    this.queues[i] = queue;
    this.times[i] = time;
    this.span++;
    this.count++;
  }

  /** Slot of a live delivery, or -1 when the tag is unknown or already settled. */
  slotOf(tag: number): number {
    const off = tag - this.firstTag;
    if (off < 0 || off >= this.span) return -1;
    const i = (this.head + off) & this.mask;
    return this.entries[i] === undefined ? -1 : i;
  }

  /** Slots of every live delivery with tag <= upTo, oldest first (for "multiple"). */
  slotsUpTo(upTo: number, out: number[]): void {
    const n = Math.min(this.span, upTo - this.firstTag + 1);
    for (let off = 0; off < n; off++) {
      const i = (this.head + off) & this.mask;
      if (this.entries[i] !== undefined) out.push(i);
    }
  }

  /** Every live slot, oldest first. */
  allSlots(out: number[]): void {
    for (let off = 0; off < this.span; off++) {
      const i = (this.head + off) & this.mask;
      if (this.entries[i] !== undefined) out.push(i);
    }
  }

  entryAt(slot: number): QueueEntry { return this.entries[slot]!; }
  consumerAt(slot: number): Consumer | undefined { return this.consumers[slot]; }
  queueAt(slot: number): Queue { return this.queues[slot]!; }
  timeAt(slot: number): number { return this.times[slot]!; }
  /** Delivery tag of a live slot. */
  tagAt(slot: number): number { return this.firstTag + ((slot - this.head) & this.mask); }

  /** Clears a slot (settled) and advances the head past leading holes. */
  remove(slot: number): void {
    this.entries[slot] = undefined;
    this.consumers[slot] = undefined;
    this.queues[slot] = undefined;
    this.count--;
    while (this.span > 0 && this.entries[this.head] === undefined) {
      this.head = (this.head + 1) & this.mask;
      this.firstTag++;
      this.span--;
    }
  }

  private grow(): void {
    const cap = this.entries.length * 2;
    const e = new Array<QueueEntry | undefined>(cap);
    const c = new Array<Consumer | undefined>(cap);
    const q = new Array<Queue | undefined>(cap);
    const t = new Array<number>(cap).fill(0);
    for (let off = 0; off < this.span; off++) {
      const i = (this.head + off) & this.mask;
      e[off] = this.entries[i];
      c[off] = this.consumers[i];
      q[off] = this.queues[i];
      t[off] = this.times[i]!;
    }
    this.entries = e;
    this.consumers = c;
    this.queues = q;
    this.times = t;
    this.head = 0;
    this.mask = cap - 1;
  }
}
