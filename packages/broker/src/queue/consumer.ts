import { Buffer } from 'node:buffer';
import type { FieldTable } from '@warren/protocol';
import type { Queue } from './queue.js';
import type { QueueEntry } from './queue-entry.js';

/** What a queue needs from the channel that owns a consumer. */
export interface ConsumerOwner {
  /** Whether the consumer may take one more message now (prefetch, flow, output backlog). */
  canDeliver(consumer: Consumer): boolean;
  deliver(consumer: Consumer, entry: QueueEntry): void;
  /** The queue went away (deleted): tell the client with a server-sent basic.cancel. */
  cancelledByServer(consumer: Consumer): void;
  /** Identity of the connection, for exclusive-queue checks. */
  readonly connectionId: number;
}

export class Consumer {
  /** Unacknowledged deliveries for this consumer (per-consumer prefetch). */
  unacked = 0;
  /** The consumer's tag as a length-prefixed shortstr, ready to copy into basic.deliver. */
  readonly tagBytes: Buffer;

  constructor(
    readonly tag: string,
    readonly owner: ConsumerOwner,
    readonly queue: Queue,
    readonly noAck: boolean,
    readonly exclusive: boolean,
    /** basic.qos prefetch-count (global=false) in force when the consumer was created; 0 = unlimited. */
    readonly prefetch: number,
    readonly priority: number,
    readonly args: FieldTable,
  ) {
    const len = Buffer.byteLength(tag);
    this.tagBytes = Buffer.allocUnsafe(1 + len);
    this.tagBytes[0] = len;
    this.tagBytes.write(tag, 1, 'utf8');
  }
}
