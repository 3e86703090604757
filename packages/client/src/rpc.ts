import { randomBytes } from 'node:crypto';
import type { Connection } from './connection.js';
import type { Consumer, ConsumeOptions } from './consumer.js';
import { Queue } from './entities.js';
import { ConnectionLostError, RpcError, TimeoutError } from './errors.js';
import type { ManagedChannel } from './managed-channel.js';
import type { Message } from './message.js';
import type { Producer } from './producer.js';
import type { DeliverySink, RawDelivery, WireChannel } from './wire/wire-channel.js';

export type RpcHandler<T, R> = (payload: T, message: Message<T>) => R | Promise<R>;

export interface RpcServeOptions extends Omit<ConsumeOptions, 'retry' | 'deadLetter' | 'noAck'> {
  /** Serializer for replies (default json). */
  serializer?: string;
}

/** The header that carries a server-side error back to the caller. */
export const RPC_ERROR_HEADER = 'x-rpc-error';
const REPLY_TO = 'amq.rabbitmq.reply-to';

interface PendingCall {
  resolve(v: unknown): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * RPC over RabbitMQ's direct reply-to: calls publish with reply_to = amq.rabbitmq.reply-to on the
 * channel that consumes it, and match replies by correlation id.
 */
export class RpcClient implements DeliverySink {
  private readonly channel: ManagedChannel;
  private readonly pending = new Map<string, PendingCall>();
  private readonly prefix = randomBytes(6).toString('hex');
  private counter = 0;
  private replier: Producer | undefined;

  constructor(private readonly conn: Connection) {
    this.channel = conn.channel({
      confirm: false,
      keepOpen: false,
      setup: async (ch) => {
        const tag = `rpc-${this.prefix}`;
        ch.addConsumer(tag, this);
        await ch.call({ name: 'basic.consume', queue: REPLY_TO, consumerTag: tag, noLocal: false, noAck: true, exclusive: false, nowait: false, arguments: {} });
      },
      lost: (_ch, err) => this.failAll(err),
    });
  }

  /** Sends `payload` to `queue` and resolves with the decoded reply. */
  async call<R = unknown>(queue: string, payload: unknown, opts: { timeout?: number; serializer?: string } = {}): Promise<R> {
    const ch: WireChannel = await this.channel.get();
    const correlationId = `${this.prefix}.${++this.counter}`;
    const props = { replyTo: REPLY_TO, correlationId, deliveryMode: 1 };
    const body = this.conn.serializers.encode(payload, opts.serializer, undefined, props);
    const timeout = opts.timeout ?? 30_000;
    return new Promise<R>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(correlationId);
        reject(new TimeoutError(`RPC call to "${queue}" got no reply within ${timeout} ms`));
      }, timeout);
      this.pending.set(correlationId, { resolve: resolve as (v: unknown) => void, reject, timer });
      ch.publish('', queue, false, props, body, undefined);
    });
  }

  onDelivery(d: RawDelivery): void {
    const id = d.properties.correlationId;
    if (id === undefined) return;
    const p = this.pending.get(id);
    if (p === undefined) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    const remote = d.properties.headers?.[RPC_ERROR_HEADER];
    if (typeof remote === 'string') {
      p.reject(new RpcError(remote));
      return;
    }
    try {
      p.resolve(this.conn.serializers.decode(d.body, d.properties));
    } catch (e) {
      p.reject(e as Error);
    }
  }

  onServerCancel(): void {
    this.failAll(new ConnectionLostError('the broker cancelled the direct reply-to consumer'));
  }

  private failAll(err: Error): void {
    const e = err instanceof ConnectionLostError ? err : new ConnectionLostError(`RPC channel lost: ${err.message}`);
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(e);
    }
    this.pending.clear();
  }

  /**
   * Serves RPC requests from `queue` (a string declares a non-durable queue of that name, as the
   * RabbitMQ tutorials do): the handler's result (or its error) is sent to the caller's reply_to.
   */
  async serve<T = unknown, R = unknown>(queue: Queue | string, handler: RpcHandler<T, R>, opts: RpcServeOptions = {}): Promise<Consumer<T>> {
    const q = typeof queue === 'string' ? new Queue(queue, { durable: false }) : queue;
    this.replier ??= this.conn.producer({ confirm: false });
    const replier = this.replier;
    const serializers = this.conn.serializers;
    return this.conn.consume<T>(q, async (payload, msg) => {
      let result: R | undefined;
      let error: Error | undefined;
      try {
        result = await handler(payload, msg);
      } catch (e) {
        error = e instanceof Error ? e : new Error(String(e));
      }
      const replyTo = msg.replyTo;
      if (replyTo === undefined) return;
      const props = { correlationId: msg.correlationId, deliveryMode: 1, headers: error === undefined ? undefined : { [RPC_ERROR_HEADER]: `${error.name}: ${error.message}` } };
      const body = serializers.encode(error === undefined ? result : null, opts.serializer, undefined, props);
      await replier.publishEncoded('', replyTo, props, body);
    }, { ...opts, retry: false, deadLetter: false });
  }
}
