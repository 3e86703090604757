import type { Message } from '../message/message.js';

const REDELIVERED = 1;
const PRIORITY_SHIFT = 1;
const PRIORITY_MASK = 0xff << PRIORITY_SHIFT;
const COUNT_SHIFT = 9;

/**
 * One message's place in one queue: the per-queue state a shared Message cannot hold.
 * An entry of a durable queue whose message is on disk may be paged out while it waits in the
 * ready list (only its size, priority and store id stay in memory); the queue loads it back
 * before it leaves the ready list, so code outside the ready list always sees `msg`.
 * A million of these can sit in a paged backlog, so small fields share one integer.
 */
export class QueueEntry {
  /** redelivered (bit 0), priority (bits 1-8), delivery count (bits 9+). */
  private bits: number;
  /** Id in the message store when this queue persisted the message; 0 otherwise. */
  storeId = 0;
  readonly size: number;
  private loaded: Message | undefined;

  constructor(
    msg: Message,
    /** Absolute expiry time in ms (Date.now() scale), 0 = never. */
    readonly expiresAt: number,
  ) {
    this.loaded = msg;
    this.size = msg.bodySize;
    this.bits = (msg.priority & 0xff) << PRIORITY_SHIFT;
  }

  get msg(): Message { return this.loaded!; }
  get pagedOut(): boolean { return this.loaded === undefined; }
  pageOut(): void { this.loaded = undefined; }
  pageIn(msg: Message): void { this.loaded = msg; }

  get priority(): number { return (this.bits & PRIORITY_MASK) >> PRIORITY_SHIFT; }
  get redelivered(): boolean { return (this.bits & REDELIVERED) !== 0; }
  set redelivered(v: boolean) { this.bits = v ? this.bits | REDELIVERED : this.bits & ~REDELIVERED; }
  /** Delivery attempts that ended in a requeue (x-delivery-count, issue 4). */
  get deliveryCount(): number { return this.bits >>> COUNT_SHIFT; }
  set deliveryCount(n: number) { this.bits = (this.bits & ((1 << COUNT_SHIFT) - 1)) | (n << COUNT_SHIFT); }
}
