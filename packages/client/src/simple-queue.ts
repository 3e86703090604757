import type { Connection } from './connection.js';
import { Queue, type QueueOptions } from './entities.js';
import { TimeoutError } from './errors.js';
import type { ManagedChannel } from './managed-channel.js';
import { Message } from './message.js';
import type { Producer, PublishOptions } from './producer.js';
import { sleep } from './backoff.js';

export interface SimpleQueueOptions extends QueueOptions {
  serializer?: string;
  compression?: string;
}

/** Polling interval bounds for get() while the queue is empty, ms. */
const POLL_MIN_MS = 5;
const POLL_MAX_MS = 100;

/**
 * Kombu's SimpleQueue: one durable queue (declared on first use) with put / get / qsize / clear.
 * get() returns a Message that must be acked (or rejected), as in Kombu.
 */
export class SimpleQueue<T = unknown> {
  readonly queue: Queue;
  private readonly producer: Producer<T>;
  private readonly channel: ManagedChannel;

  constructor(
    private readonly conn: Connection,
    name: string,
    opts: SimpleQueueOptions = {},
  ) {
    this.queue = new Queue(name, opts);
    this.producer = conn.producer<T>({ serializer: opts.serializer, compression: opts.compression });
    this.channel = conn.channel({ confirm: false, keepOpen: false });
  }

  /** Publishes one message to the queue; resolves when the broker confirmed it. */
  async put(body: T, opts: Omit<PublishOptions, 'exchange' | 'routingKey'> = {}): Promise<void> {
    await this.conn.ensureDeclared(this.queue);
    await this.producer.publish(body, { ...opts, exchange: '', routingKey: this.queue.name });
  }

  /**
   * The next message. `timeout` (ms): how long to wait for one (default: wait until one comes;
   * 0: do not wait). Rejects with TimeoutError when none came. `decode: false` gives the body
   * as received (a Buffer). A body that cannot be decoded is rejected (requeue false: the queue's
   * dead-letter exchange gets it, if any) and get() rejects with DecodeError.
   */
  async get(opts: { timeout?: number; noAck?: boolean; decode?: boolean } = {}): Promise<Message<T>> {
    await this.conn.ensureDeclared(this.queue);
    const deadline = opts.timeout === undefined ? Infinity : Date.now() + opts.timeout;
    let wait = POLL_MIN_MS;
    for (;;) {
      const ch = await this.channel.get();
      const d = await ch.get(this.queue.name, opts.noAck ?? false);
      if (d !== undefined) {
        if (opts.decode === false) return new Message<T>(d, d.body as T, opts.noAck ?? false);
        let body: T;
        try {
          body = this.conn.serializers.decode(d.body, d.properties) as T;
        } catch (e) {
          if (opts.noAck !== true) ch.reject(d.deliveryTag, false);
          throw e;
        }
        return new Message<T>(d, body, opts.noAck ?? false);
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new TimeoutError(`queue "${this.queue.name}" is empty`);
      await sleep(Math.min(wait, left));
      wait = Math.min(POLL_MAX_MS, wait * 2);
    }
  }

  /** Messages ready in the queue. */
  async qsize(): Promise<number> {
    await this.conn.ensureDeclared(this.queue);
    return (await this.conn.inspectQueue(this.queue)).messageCount;
  }

  /** Removes every ready message; resolves with how many there were. */
  async clear(): Promise<number> {
    await this.conn.ensureDeclared(this.queue);
    return this.conn.purgeQueue(this.queue);
  }

  async close(): Promise<void> {
    await this.producer.close();
    await this.conn.releaseChannel(this.channel);
  }
}
