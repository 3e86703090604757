import type { Message } from '../message/message.js';

/**
 * One message's place in one queue: the per-queue state a shared Message cannot hold.
 * An entry of a durable queue whose message is on disk may be paged out while it waits in the
 * ready list (only its size, priority and store id stay in memory); the queue loads it back
 * before it leaves the ready list, so code outside the ready list always sees `msg`.
 */
export class QueueEntry {
  redelivered = false;
  /** Delivery attempts that ended in a requeue (x-delivery-count, issue 4). */
  deliveryCount = 0;
  /** Id in the message store when this queue persisted the message; 0 otherwise. */
  storeId = 0;
  readonly size: number;
  readonly priority: number;
  private loaded: Message | undefined;

  constructor(
    msg: Message,
    /** Absolute expiry time in ms (Date.now() scale), 0 = never. */
    readonly expiresAt: number,
  ) {
    this.loaded = msg;
    this.size = msg.bodySize;
    this.priority = msg.priority;
  }

  get msg(): Message { return this.loaded!; }
  get pagedOut(): boolean { return this.loaded === undefined; }
  pageOut(): void { this.loaded = undefined; }
  pageIn(msg: Message): void { this.loaded = msg; }
}
