import type { BasicProperties, FieldTable } from '@warren/protocol';
import type { Connection, Drainable } from './connection.js';
import { Deque } from './deque.js';
import { Exchange } from './entities.js';
import { ChannelClosedError, ClientClosedError, ConnectionLostError, PublishUnconfirmedError, WarrenClientError } from './errors.js';
import type { ManagedChannel } from './managed-channel.js';
import type { PublishTicket, RawDelivery, WireChannel } from './wire/wire-channel.js';

export interface PublishOptions {
  /** Exchange name or Exchange object (declared on first use); default: the producer's, else "". */
  exchange?: Exchange | string;
  routingKey?: string;
  /** json (default), msgpack, text, raw, or a registered name. A Buffer body with none given goes out raw. */
  serializer?: string;
  /** gzip, deflate or br (sent as content_encoding). */
  compression?: string;
  headers?: FieldTable;
  priority?: number;
  /** Per-message TTL in ms. */
  expiration?: number | string;
  /** delivery_mode 2 (default true). */
  persistent?: boolean;
  /** Reject the publish with PublishReturnedError when no queue takes the message. */
  mandatory?: boolean;
  correlationId?: string;
  replyTo?: string;
  messageId?: string;
  type?: string;
  timestamp?: Date | number;
  appId?: string;
  userId?: string;
  /** Overrides the serializer's content type. */
  contentType?: string;
}

export interface ProducerOptions {
  /** Default exchange for publish() (default ""). */
  exchange?: Exchange | string;
  /** Default routing key. */
  routingKey?: string;
  serializer?: string;
  compression?: string;
  /** Publisher confirms (default true): publish() resolves when the broker has the message. */
  confirm?: boolean;
  /** Most unconfirmed publishes at once (default 1000); further publishes wait. */
  maxInFlight?: number;
  /** Most publishes waiting (window full or reconnecting) before publish() rejects (default 100 000). */
  maxHeld?: number;
  /**
   * Re-send publishes whose confirm was lost with the connection (at-least-once: the broker may
   * then hold two copies). Default false: they reject with PublishUnconfirmedError.
   */
  republishUnconfirmed?: boolean;
  /** Called for returned messages (mandatory, unroutable) — with confirms the publish also rejects. */
  onReturn?: (message: RawDelivery) => void;
}

/** One publish on its way: the encoded message and its promise. */
class PublishRequest implements PublishTicket {
  resolve!: () => void;
  reject!: (e: Error) => void;

  constructor(
    readonly producer: Producer<unknown>,
    readonly exchange: string,
    readonly exchangeEntity: Exchange | undefined,
    readonly routingKey: string,
    readonly mandatory: boolean,
    readonly props: BasicProperties,
    readonly body: Buffer,
  ) {}

  settle(err: Error | undefined): void {
    this.producer.settled(this, err);
  }
}

/** The request whose promise is being created: one shared executor instead of a bound one per publish. */
let creating: PublishRequest | undefined;

function executor(resolve: () => void, reject: (e: Error) => void): void {
  creating!.resolve = resolve;
  creating!.reject = reject;
}

/**
 * Publishes with publisher confirms (by default) through its own channel. Backpressure: at most
 * `maxInFlight` unconfirmed publishes; more wait in order, as do publishes made while the
 * connection is being recovered; they are sent once it is back.
 */
export class Producer<T = unknown> implements Drainable {
  private readonly channel: ManagedChannel;
  private readonly held = new Deque<PublishRequest>();
  private inFlight = 0;
  private pumping = false;
  private closedError: Error | undefined;
  private readonly confirm: boolean;
  private readonly maxInFlight: number;
  private readonly maxHeld: number;

  constructor(
    private readonly conn: Connection,
    private readonly opts: ProducerOptions = {},
  ) {
    this.confirm = opts.confirm ?? true;
    this.maxInFlight = Math.max(1, opts.maxInFlight ?? 1000);
    this.maxHeld = opts.maxHeld ?? 100_000;
    this.channel = conn.channel({
      confirm: this.confirm,
      keepOpen: false,
      setup: async (ch) => {
        ch.returnListener = this.opts.onReturn;
      },
      lost: (ch, err) => this.channelLost(ch, err),
    });
    conn.addDrainable(this);
  }

  /** Unconfirmed plus waiting publishes. */
  get pending(): number {
    return this.inFlight + this.held.length;
  }

  /** Publishes one message; resolves when the broker confirmed it (at once without confirms). */
  publish(body: T, options: PublishOptions = {}): Promise<void> {
    if (this.closedError !== undefined) return Promise.reject(this.closedError);
    const o = this.opts;
    const ex = options.exchange ?? o.exchange ?? '';
    const entity = typeof ex === 'string' ? undefined : ex;
    const props = buildProperties(options);
    let bytes: Buffer;
    try {
      bytes = this.conn.serializers.encode(body, options.serializer ?? o.serializer, options.compression ?? o.compression, props);
    } catch (e) {
      return Promise.reject(e as Error);
    }
    const req = new PublishRequest(
      this as Producer<unknown>, typeof ex === 'string' ? ex : ex.name, entity, options.routingKey ?? o.routingKey ?? '',
      options.mandatory ?? false, props, bytes,
    );
    return this.enqueue(req, entity);
  }

  /** Publishes bytes that are already encoded, with their properties as given. */
  publishEncoded(exchange: string, routingKey: string, props: BasicProperties, body: Buffer, mandatory = false): Promise<void> {
    if (this.closedError !== undefined) return Promise.reject(this.closedError);
    return this.enqueue(new PublishRequest(this as Producer<unknown>, exchange, undefined, routingKey, mandatory, props, body), undefined);
  }

  private enqueue(req: PublishRequest, entity: Exchange | undefined): Promise<void> {
    creating = req;
    const promise = new Promise<void>(executor);
    creating = undefined;
    const ch = this.channel.current;
    if (this.held.length === 0 && ch !== undefined && ch.state === 'open' && this.inFlight < this.maxInFlight
      && (entity === undefined || entity.isDefault || this.conn.isDeclared(entity))) {
      this.send(ch, req);
    } else if (this.held.length >= this.maxHeld) {
      req.reject(new WarrenClientError(`publish buffer full (${this.maxHeld} publishes waiting for the broker)`));
    } else {
      this.held.push(req);
      this.pump();
    }
    return promise;
  }

  private send(ch: WireChannel, req: PublishRequest): void {
    this.inFlight++;
    ch.publish(req.exchange, req.routingKey, req.mandatory, req.props, req.body, req);
  }

  /** Called by a request when its confirm (or failure) arrives. */
  settled(req: PublishRequest, err: Error | undefined): void {
    this.inFlight--;
    if (err === undefined) req.resolve();
    else req.reject(err);
    if (this.held.length > 0) this.pump();
  }

  /** Sends waiting publishes while the window allows, opening the channel / waiting for recovery as needed. */
  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    void this.pumpLoop().finally(() => {
      this.pumping = false;
    });
  }

  private async pumpLoop(): Promise<void> {
    while (this.held.length > 0 && this.closedError === undefined) {
      if (this.inFlight >= this.maxInFlight) return;
      let ch: WireChannel;
      try {
        ch = await this.channel.get();
        const entity = this.held.peek()!.exchangeEntity;
        if (entity !== undefined && !entity.isDefault && !this.conn.isDeclared(entity)) await this.conn.ensureDeclared(entity);
      } catch (e) {
        if (this.conn.isDown) {
          this.failHeld(e as Error);
          return;
        }
        if (e instanceof ConnectionLostError || (e instanceof ChannelClosedError && e.code === 0)) continue; // wait for recovery
        if (e instanceof ClientClosedError || this.closedError !== undefined) {
          this.failHeld(e as Error);
          return;
        }
        // A declaration error (e.g. 406 PRECONDITION_FAILED) fails the publish that needed it.
        this.held.shift()?.reject(e as Error);
        continue;
      }
      while (this.held.length > 0 && this.inFlight < this.maxInFlight && ch.state === 'open') {
        const next = this.held.peek()!;
        if (next.exchangeEntity !== undefined && !next.exchangeEntity.isDefault && !this.conn.isDeclared(next.exchangeEntity)) break;
        this.held.shift();
        this.send(ch, next);
      }
    }
  }

  private channelLost(ch: WireChannel, err: Error): void {
    if (!this.confirm) return; // unwritten publishes were settled by the connection
    const tickets = ch.takeUnconfirmed() as PublishRequest[];
    this.inFlight -= tickets.length;
    const retry = this.opts.republishUnconfirmed === true && err instanceof ConnectionLostError && this.closedError === undefined;
    if (retry) {
      for (let i = tickets.length - 1; i >= 0; i--) this.held.unshift(tickets[i]!);
    } else {
      const e = err instanceof ConnectionLostError
        ? new PublishUnconfirmedError(`connection lost before the broker confirmed the publish (${err.message}); it may or may not have been stored`)
        : err;
      for (const t of tickets) t.reject(e);
    }
    if (this.held.length > 0) this.pump();
  }

  private failHeld(err: Error): void {
    for (const r of this.held.drain()) r.reject(err);
  }

  /** Waits until every publish is confirmed (or the deadline passes). */
  async drain(deadline: number): Promise<void> {
    while (this.pending > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  }

  shutdown(err: Error): void {
    this.closedError ??= err;
    this.failHeld(err);
    const ch = this.channel.current;
    if (ch !== undefined) {
      const tickets = ch.takeUnconfirmed() as PublishRequest[];
      this.inFlight -= tickets.length;
      for (const t of tickets) t.reject(err);
    }
  }

  /** Waits for pending publishes, then closes the producer's channel. */
  async close(): Promise<void> {
    await this.drain(Date.now() + (this.conn.options.closeTimeout ?? 10_000));
    this.shutdown(new ClientClosedError('producer was closed'));
    this.conn.removeDrainable(this);
    await this.conn.releaseChannel(this.channel);
  }
}

/** Maps publish options to AMQP basic properties (content type/encoding are filled by the serializer). */
export function buildProperties(o: PublishOptions): BasicProperties {
  const p: BasicProperties = { deliveryMode: o.persistent === false ? 1 : 2 };
  if (o.headers !== undefined) p.headers = o.headers;
  if (o.priority !== undefined) p.priority = o.priority;
  if (o.expiration !== undefined) p.expiration = String(o.expiration);
  if (o.correlationId !== undefined) p.correlationId = o.correlationId;
  if (o.replyTo !== undefined) p.replyTo = o.replyTo;
  if (o.messageId !== undefined) p.messageId = o.messageId;
  if (o.type !== undefined) p.type = o.type;
  if (o.timestamp !== undefined) p.timestamp = o.timestamp instanceof Date ? Math.floor(o.timestamp.getTime() / 1000) : o.timestamp;
  if (o.appId !== undefined) p.appId = o.appId;
  if (o.userId !== undefined) p.userId = o.userId;
  if (o.contentType !== undefined) p.contentType = o.contentType;
  return p;
}
