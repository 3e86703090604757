import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import type { BasicProperties, FieldTable, FieldValue } from '@warren/protocol';
import type { Connection, Drainable } from './connection.js';
import { Deque } from './deque.js';
import { Queue } from './entities.js';
import type { ManagedChannel } from './managed-channel.js';
import { Message } from './message.js';
import type { DeliverySink, RawDelivery, WireChannel } from './wire/wire-channel.js';

export type MessageHandler<T> = (body: T, message: Message<T>) => unknown;

export interface RetryOptions {
  /** Retries after the first failure before the message is dead-lettered (default 3). */
  maxRetries?: number;
  /**
   * Delays in ms before each retry (the last one repeats). Delayed retries go through retry
   * queues (`<queue>.retry.<ms>`, x-message-ttl + dead-lettering back to the queue). No delays:
   * the message goes straight back to the tail of the queue.
   */
  delays?: number[];
}

export interface DeadLetterOptions {
  /** Exchange for dead letters (default: the queue's x-dead-letter-exchange, else the queue `<queue>.dead-letter`). */
  exchange?: string;
  /** Routing key (default: the queue's x-dead-letter-routing-key, else the message's own). */
  routingKey?: string;
}

export interface ConsumeOptions {
  /** basic.qos prefetch count (default: max(10, concurrency)). */
  prefetch?: number;
  /** Handlers running at once (default 1). */
  concurrency?: number;
  /** Automatic acknowledgement mode: no acks, no retries (default false). */
  noAck?: boolean;
  exclusive?: boolean;
  /** Consumer tag (default: generated); kept across reconnects. */
  consumerTag?: string;
  /** x-priority of this consumer. */
  priority?: number;
  arguments?: FieldTable;
  /** What happens when the handler throws (default { maxRetries: 3 }); false: dead-letter at once. */
  retry?: RetryOptions | false;
  /** Where failed and undecodable messages go; false: basic.reject without requeue (the broker's DLX, if any). */
  deadLetter?: DeadLetterOptions | false;
}

export interface ConsumerEvents {
  /** The handler threw (before retry / dead-letter). */
  handlerError: [err: Error, message: Message<unknown> | undefined];
  /** The broker cancelled the consumer (e.g. its queue was deleted). */
  cancelled: [];
}

let tagCounter = 0;
const TAG_PREFIX = `warren-${randomBytes(4).toString('hex')}-`;

export const RETRY_COUNT_HEADER = 'x-retry-count';
export const ERROR_HEADER = 'x-error';

/**
 * Consumes one queue: decodes each message, runs the handler (up to `concurrency` at once),
 * acks when it resolves and retries / dead-letters when it throws. Survives reconnects and
 * channel errors with the same consumer tag.
 */
export class Consumer<T = unknown> extends EventEmitter<ConsumerEvents> implements DeliverySink, Drainable {
  readonly consumerTag: string;
  private readonly channel: ManagedChannel;
  private readonly backlog = new Deque<RawDelivery>();
  private running = 0;
  private readonly concurrency: number;
  private readonly prefetch: number;
  private readonly noAck: boolean;
  private readonly maxRetries: number;
  private readonly delays: number[];
  private active = true;
  private readonly retryQueues = new Map<number, Queue>();
  private deadLetterQueue: Queue | undefined;

  constructor(
    private readonly conn: Connection,
    private readonly queue: Queue | string,
    private readonly handler: MessageHandler<T>,
    private readonly opts: ConsumeOptions = {},
  ) {
    super();
    this.consumerTag = opts.consumerTag ?? `${TAG_PREFIX}${++tagCounter}`;
    this.concurrency = Math.max(1, opts.concurrency ?? 1);
    this.prefetch = opts.prefetch ?? Math.max(10, this.concurrency);
    this.noAck = opts.noAck ?? false;
    this.maxRetries = opts.retry === false ? 0 : (opts.retry?.maxRetries ?? 3);
    this.delays = opts.retry === false ? [] : (opts.retry?.delays ?? []);
    this.channel = conn.channel({ confirm: false, keepOpen: true, setup: (ch) => this.setup(ch) });
    conn.addDrainable(this);
  }

  /** The queue's current name (a server-named queue gets a new one after a reconnect). */
  get queueName(): string {
    return typeof this.queue === 'string' ? this.queue : this.queue.name;
  }

  async start(): Promise<void> {
    if (typeof this.queue !== 'string') await this.conn.ensureDeclared(this.queue);
    await this.channel.get();
  }

  private async setup(ch: WireChannel): Promise<void> {
    if (!this.noAck && this.prefetch > 0) await ch.call({ name: 'basic.qos', prefetchSize: 0, prefetchCount: this.prefetch, global: false });
    const args: FieldTable = { ...(this.opts.arguments ?? {}) };
    if (this.opts.priority !== undefined) args['x-priority'] = this.opts.priority;
    ch.addConsumer(this.consumerTag, this);
    await ch.call({
      name: 'basic.consume', queue: this.queueName, consumerTag: this.consumerTag, noLocal: false,
      noAck: this.noAck, exclusive: this.opts.exclusive ?? false, nowait: false, arguments: args,
    });
  }

  onDelivery(d: RawDelivery): void {
    if (this.running < this.concurrency) {
      this.running++;
      this.drive(d);
    } else {
      this.backlog.push(d);
    }
  }

  onServerCancel(): void {
    // The queue is gone (or similar): do not re-consume on this channel again.
    this.active = false;
    this.conn.removeDrainable(this);
    void this.conn.releaseChannel(this.channel);
    this.emit('cancelled');
  }

  /**
   * Handles deliveries one after the other: synchronously while handlers return plain values,
   * continuing from `next` when a handler returns a promise.
   */
  private drive(first: RawDelivery | undefined): void {
    let d = first;
    while (d !== undefined) {
      // A delivery from a channel that has gone will come again (redelivered) on the new one.
      if (this.noAck || d.channel.state === 'open') {
        const pending = this.handle(d);
        if (pending !== undefined) {
          pending.then(this.next, this.next);
          return;
        }
      }
      d = this.backlog.shift();
    }
    this.running--;
  }

  private readonly next = (): void => {
    this.drive(this.backlog.shift());
  };

  /** Decodes and runs the handler; returns a promise only when something is still to be awaited. */
  private handle(d: RawDelivery): Promise<void> | undefined {
    let body: T;
    try {
      body = this.conn.serializers.decode(d.body, d.properties) as T;
    } catch (e) {
      this.emit('handlerError', e as Error, undefined);
      return this.noAck ? undefined : this.deadLetter(d, e as Error);
    }
    const msg = new Message<T>(d, body, this.noAck);
    let result: unknown;
    try {
      result = this.handler(body, msg);
    } catch (e) {
      return this.handlerFailed(d, msg, e);
    }
    if (result !== null && typeof result === 'object' && typeof (result as PromiseLike<unknown>).then === 'function') {
      return this.settleAsync(result as PromiseLike<unknown>, d, msg);
    }
    if (!msg.settled) msg.ack();
    return undefined;
  }

  private async settleAsync(result: PromiseLike<unknown>, d: RawDelivery, msg: Message<T>): Promise<void> {
    try {
      await result;
    } catch (e) {
      return this.handlerFailed(d, msg, e);
    }
    if (!msg.settled) msg.ack();
  }

  private handlerFailed(d: RawDelivery, msg: Message<T>, e: unknown): Promise<void> | undefined {
    const err = e instanceof Error ? e : new Error(String(e));
    if (this.listenerCount('handlerError') > 0) this.emit('handlerError', err, msg as Message<unknown>);
    if (msg.settled || this.noAck) return undefined;
    return this.failed(d, err);
  }

  /** The handler failed: retry (requeue at the tail or via a delay queue) or dead-letter. */
  private async failed(d: RawDelivery, err: Error): Promise<void> {
    const retries = retryCount(d.properties.headers);
    if (retries >= this.maxRetries) {
      await this.deadLetter(d, err);
      return;
    }
    const headers: FieldTable = { ...(d.properties.headers ?? {}), [RETRY_COUNT_HEADER]: retries + 1, 'x-last-error': describe(err) };
    const delay = this.delays.length === 0 ? 0 : this.delays[Math.min(retries, this.delays.length - 1)]!;
    try {
      let routingKey = this.queueName;
      if (delay > 0) routingKey = (await this.retryQueue(delay)).name;
      await this.conn.publishEncoded('', routingKey, { ...d.properties, headers }, d.body);
      d.channel.ack(d.deliveryTag, false);
    } catch (_e) {
      d.channel.nack(d.deliveryTag, false, true);
    }
  }

  private async retryQueue(delay: number): Promise<Queue> {
    let q = this.retryQueues.get(delay);
    if (q === undefined) {
      q = new Queue(`${this.queueName}.retry.${delay}`, {
        durable: typeof this.queue === 'string' || this.queue.durable,
        messageTtl: delay,
        deadLetterExchange: '',
        deadLetterRoutingKey: this.queueName,
      });
      this.retryQueues.set(delay, q);
    }
    await this.conn.ensureDeclared(q);
    return q;
  }

  /** Sends the message to the dead-letter target with the error in a header, then acks it. */
  private async deadLetter(d: RawDelivery, err: Error): Promise<void> {
    const dl = this.opts.deadLetter;
    if (dl === false) {
      d.channel.reject(d.deliveryTag, false);
      return;
    }
    const qargs = typeof this.queue === 'string' ? {} : this.queue.arguments;
    let exchange = dl?.exchange ?? (typeof qargs['x-dead-letter-exchange'] === 'string' ? qargs['x-dead-letter-exchange'] : undefined);
    let routingKey = dl?.routingKey ?? (typeof qargs['x-dead-letter-routing-key'] === 'string' ? qargs['x-dead-letter-routing-key'] : d.routingKey);
    try {
      if (exchange === undefined) {
        this.deadLetterQueue ??= new Queue(`${this.queueName}.dead-letter`, { durable: true });
        await this.conn.ensureDeclared(this.deadLetterQueue);
        exchange = '';
        routingKey = this.deadLetterQueue.name;
      }
      const headers: FieldTable = {
        ...(d.properties.headers ?? {}),
        [ERROR_HEADER]: describe(err),
        [RETRY_COUNT_HEADER]: retryCount(d.properties.headers),
        'x-original-exchange': d.exchange,
        'x-original-routing-key': d.routingKey,
        'x-original-queue': this.queueName,
      };
      await this.conn.publishEncoded(exchange, routingKey, { ...d.properties, headers }, d.body);
      d.channel.ack(d.deliveryTag, false);
    } catch (_e) {
      d.channel.nack(d.deliveryTag, false, true);
    }
  }

  /** Waits for running handlers to finish (used by graceful close). */
  async drain(deadline: number): Promise<void> {
    await this.stopConsuming();
    while (this.running > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  }

  private async stopConsuming(): Promise<void> {
    if (!this.active) return;
    this.active = false;
    const ch = this.channel.current;
    if (ch !== undefined && ch.state === 'open') {
      await ch.call({ name: 'basic.cancel', consumerTag: this.consumerTag, nowait: false }).catch(() => undefined);
    }
  }

  shutdown(): void {
    this.active = false;
  }

  /** Stops consuming, waits for running handlers, closes the channel (unhandled prefetched messages return to the queue). */
  async cancel(): Promise<void> {
    await this.drain(Date.now() + (this.conn.options.closeTimeout ?? 10_000));
    this.conn.removeDrainable(this);
    await this.conn.releaseChannel(this.channel);
  }
}

function retryCount(headers: FieldTable | undefined): number {
  const v: FieldValue | undefined = headers?.[RETRY_COUNT_HEADER];
  return typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : 0;
}

function describe(err: Error): string {
  return `${err.name}: ${err.message}`;
}

export type { BasicProperties };
