import type { Message } from '../message/message.js';

/** One message's place in one queue: the per-queue state a shared Message cannot hold. */
export class QueueEntry {
  redelivered = false;
  /** Delivery attempts that ended in a requeue (x-delivery-count, issue 4). */
  deliveryCount = 0;
  constructor(
    readonly msg: Message,
    /** Absolute expiry time in ms (Date.now() scale), 0 = never. */
    readonly expiresAt: number,
  ) {}
}
