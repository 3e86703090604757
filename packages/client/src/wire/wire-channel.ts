import { Buffer } from 'node:buffer';
import {
  copyBytes,
  decodeMethod,
  decodeShortString,
  readU32,
  decodeProperties,
  encodeContentHeader,
  type BasicProperties,
  type Method,
} from '@warren/protocol';
import { ChannelClosedError, ConnectionLostError, PublishNackedError, PublishReturnedError } from '../errors.js';
import { ConfirmWindow } from './confirm-window.js';
import type { WireConnection } from './wire-connection.js';

/** One received message (basic.deliver, basic.get-ok or basic.return) with its raw body. */
export interface RawDelivery {
  channel: WireChannel;
  consumerTag: string;
  deliveryTag: number;
  redelivered: boolean;
  exchange: string;
  routingKey: string;
  properties: BasicProperties;
  body: Buffer;
  /** basic.get-ok only: messages left in the queue. */
  messageCount: number;
}

/** Receives the deliveries of one consumer tag. */
export interface DeliverySink {
  onDelivery(d: RawDelivery): void;
  /** The broker cancelled the consumer (queue deleted, or similar). */
  onServerCancel(tag: string): void;
}

/** A publish waiting for its confirm: settled with nothing (ack) or an error (nack, return, loss). */
export interface PublishTicket {
  settle(err: Error | undefined): void;
}

/** What the owner of a channel hears about when it closes. */
export interface ChannelListener {
  onChannelClosed(ch: WireChannel, err: Error): void;
}

interface PendingReply {
  resolve(m: Method | RawDelivery | undefined): void;
  reject(e: Error): void;
}

const EMPTY = Buffer.alloc(0);

const CONTENT_NONE = 0;
const CONTENT_DELIVER = 1;
const CONTENT_RETURN = 2;
const CONTENT_GET = 3;

/**
 * One AMQP channel on a wire connection: synchronous methods answered in order, publishing
 * (with confirm tracking), content assembly for deliveries, returns and basic.get.
 */
export class WireChannel {
  state: 'opening' | 'open' | 'closed' = 'opening';
  listener: ChannelListener | undefined;
  returnListener: ((r: RawDelivery) => void) | undefined;
  /** Why the channel closed (set once closed). */
  closeError: Error | undefined;
  confirmMode = false;
  private readonly replies: PendingReply[] = [];
  private replyHead = 0;
  private readonly consumers = new Map<string, DeliverySink>();
  // Content being assembled (deliver / return / get-ok): method fields, then header, then body.
  private contentKind = CONTENT_NONE;
  private cTag = '';
  private cDeliveryTag = 0;
  private cRedelivered = false;
  private cExchange = '';
  private cRoutingKey = '';
  private cMessageCount = 0;
  private cReplyCode = 0;
  private cReplyText = '';
  private cProps: BasicProperties = {};
  private cBody: Buffer = EMPTY;
  private cBodySize = 0;
  private cBodyPos = 0;
  // Delivery acknowledgements: every tag up to settledUpTo is settled; tags settled out of order
  // above it wait in settledAhead; ackDue is the tag of the coalesced ack still to be written.
  private settledUpTo = 0;
  private readonly settledAhead = new Set<number>();
  private ackDue = 0;
  // Publisher confirms.
  private readonly unconfirmed = new ConfirmWindow();
  private readonly returned: PublishReturnedError[] = [];
  /** The outcome passed to every ticket settled by one multiple confirm. */
  private confirmErr: Error | undefined;
  private readonly settleWithConfirmErr = (t: PublishTicket): void => t.settle(this.confirmErr);

  constructor(
    readonly wire: WireConnection,
    readonly id: number,
  ) {}

  async open(): Promise<void> {
    await this.call({ name: 'channel.open' });
    if (this.state === 'opening') this.state = 'open';
  }

  get isOpen(): boolean {
    return this.state === 'open';
  }

  /** Sends a synchronous method and resolves with its reply (replies come back in order). */
  call(m: Method): Promise<Method> {
    return this.request(m) as Promise<Method>;
  }

  /** basic.get: resolves with the message, or undefined when the queue is empty. */
  get(queue: string, noAck: boolean): Promise<RawDelivery | undefined> {
    return this.request({ name: 'basic.get', queue, noAck }) as Promise<RawDelivery | undefined>;
  }

  private request(m: Method): Promise<Method | RawDelivery | undefined> {
    if (this.state === 'closed') return Promise.reject(this.closeError ?? new ConnectionLostError('channel is closed'));
    return new Promise((resolve, reject) => {
      this.replies.push({ resolve, reject });
      this.wire.sendMethod(this.id, m);
    });
  }

  /** Sends a method that has no reply (ack, nack, reject, nowait variants). */
  send(m: Method): void {
    if (this.state === 'closed') return;
    this.wire.sendMethod(this.id, m);
  }

  /**
   * Acknowledges a delivery. Acks of consecutive tags are coalesced: one basic.ack with
   * multiple=true goes out when the connection flushes. An ack out of order is sent at once.
   */
  ack(deliveryTag: number, multiple: boolean): void {
    if (this.state === 'closed') return;
    if (!multiple && deliveryTag === this.settledUpTo + 1) {
      this.settledUpTo = deliveryTag;
      this.advanceSettled();
      if (this.ackDue === 0) this.wire.ackPending(this);
      this.ackDue = this.settledUpTo;
      return;
    }
    this.writeAck(deliveryTag, multiple);
    if (multiple) {
      if (deliveryTag > this.settledUpTo) this.settledUpTo = deliveryTag;
      for (const t of this.settledAhead) if (t <= deliveryTag) this.settledAhead.delete(t);
      this.advanceSettled();
    } else {
      this.settledAhead.add(deliveryTag);
    }
  }

  nack(deliveryTag: number, multiple: boolean, requeue: boolean): void {
    if (this.state === 'closed') return;
    this.send({ name: 'basic.nack', deliveryTag, multiple, requeue });
    if (!multiple) this.markSettled(deliveryTag);
  }

  reject(deliveryTag: number, requeue: boolean): void {
    if (this.state === 'closed') return;
    this.send({ name: 'basic.reject', deliveryTag, requeue });
    this.markSettled(deliveryTag);
  }

  /** Writes the coalesced ack (called by the connection just before it flushes). */
  writePendingAck(): void {
    const tag = this.ackDue;
    this.ackDue = 0;
    if (tag > 0 && this.state !== 'closed') this.writeAck(tag, true);
  }

  private writeAck(deliveryTag: number, multiple: boolean): void {
    const w = this.wire.writer;
    const f = w.beginFrame(1, this.id);
    w.u32(0x003c0050);
    w.u64(deliveryTag);
    w.u8(multiple ? 1 : 0);
    w.endFrame(f);
    this.wire.scheduleFlush();
  }

  /** A delivery settled by nack/reject: the coalescing pointer may move past it (no ack is sent for it). */
  private markSettled(tag: number): void {
    if (tag === this.settledUpTo + 1) {
      this.settledUpTo = tag;
      this.advanceSettled();
    } else if (tag > this.settledUpTo) {
      this.settledAhead.add(tag);
    }
  }

  private advanceSettled(): void {
    while (this.settledAhead.size > 0 && this.settledAhead.delete(this.settledUpTo + 1)) this.settledUpTo++;
  }

  async confirmSelect(): Promise<void> {
    await this.call({ name: 'confirm.select', nowait: false });
    this.confirmMode = true;
  }

  /** Registers the sink for a consumer tag (before basic.consume, so no delivery is missed). */
  addConsumer(tag: string, sink: DeliverySink): void {
    this.consumers.set(tag, sink);
  }

  removeConsumer(tag: string): void {
    this.consumers.delete(tag);
  }

  /**
   * Encodes a basic.publish with its content header and body frames. In confirm mode the ticket is
   * settled when the broker confirms, otherwise once the bytes are written (after 'drain' when the
   * stream is full); returns the publish sequence number (0 without confirms).
   */
  publish(exchange: string, routingKey: string, mandatory: boolean, props: BasicProperties, body: Buffer, ticket: PublishTicket | undefined): number {
    const w = this.wire.writer;
    const f = w.beginFrame(1, this.id);
    w.u32(0x003c0028);
    w.u16(0);
    w.shortstr(exchange);
    w.shortstr(routingKey);
    w.u8(mandatory ? 1 : 0);
    w.endFrame(f);
    encodeContentHeader(w, this.id, body.length, props);
    const maxBody = this.wire.frameMax - 8;
    for (let off = 0; off < body.length; off += maxBody) {
      const bf = w.beginFrame(3, this.id);
      w.bytes(body, off, Math.min(body.length, off + maxBody));
      w.endFrame(bf);
    }
    this.wire.scheduleFlush();
    if (!this.confirmMode) {
      if (ticket !== undefined) this.wire.settleAfterWrite(ticket);
      return 0;
    }
    return this.unconfirmed.add(ticket);
  }

  get unconfirmedCount(): number {
    return this.unconfirmed.size;
  }

  /** Hands over the tickets still waiting for a confirm (after the channel was lost), oldest first. */
  takeUnconfirmed(): PublishTicket[] {
    return this.unconfirmed.takeAll();
  }

  // ------------------------------------------------------------------ incoming frames

  onMethodFrame(classId: number, methodId: number, buf: Buffer, start: number, end: number): void {
    const key = classId * 0x10000 + methodId;
    if (key === 0x003c003c) {
      // basic.deliver, decoded in place (the hottest incoming method)
      let p = start;
      const tagLen = buf[p]!;
      this.cTag = decodeShortString(buf, p + 1, p + 1 + tagLen);
      p += 1 + tagLen;
      this.cDeliveryTag = readU32(buf, p) * 0x1_0000_0000 + readU32(buf, p + 4);
      this.cRedelivered = (buf[p + 8]! & 1) !== 0;
      p += 9;
      const exLen = buf[p]!;
      this.cExchange = decodeShortString(buf, p + 1, p + 1 + exLen);
      p += 1 + exLen;
      const rkLen = buf[p]!;
      this.cRoutingKey = decodeShortString(buf, p + 1, p + 1 + rkLen);
      this.contentKind = CONTENT_DELIVER;
      return;
    }
    if (key === 0x003c0050) {
      // basic.ack (confirm)
      const tag = readU32(buf, start) * 0x1_0000_0000 + readU32(buf, start + 4);
      this.onConfirm(tag, (buf[start + 8]! & 1) !== 0, undefined);
      return;
    }
    const m = decodeMethod(classId, methodId, buf, start, end);
    switch (m.name) {
      case 'basic.return':
        this.contentKind = CONTENT_RETURN;
        this.cReplyCode = m.replyCode;
        this.cReplyText = m.replyText;
        this.cExchange = m.exchange;
        this.cRoutingKey = m.routingKey;
        this.cTag = '';
        this.cDeliveryTag = 0;
        this.cRedelivered = false;
        return;
      case 'basic.get-ok':
        this.contentKind = CONTENT_GET;
        this.cTag = '';
        this.cDeliveryTag = m.deliveryTag;
        this.cRedelivered = m.redelivered;
        this.cExchange = m.exchange;
        this.cRoutingKey = m.routingKey;
        this.cMessageCount = m.messageCount;
        return;
      case 'basic.get-empty':
        this.resolveReply(undefined);
        return;
      case 'basic.nack':
        this.onConfirm(m.deliveryTag, m.multiple, new PublishNackedError('the broker nacked the publish (basic.nack)'));
        return;
      case 'basic.cancel': {
        const sink = this.consumers.get(m.consumerTag);
        this.consumers.delete(m.consumerTag);
        sink?.onServerCancel(m.consumerTag);
        return;
      }
      case 'channel.close':
        this.wire.sendMethod(this.id, { name: 'channel.close-ok' });
        this.closed(new ChannelClosedError(`channel closed by the broker: ${m.replyCode} ${m.replyText}`, m.replyCode, m.classId, m.methodId));
        return;
      case 'channel.close-ok':
        this.closed(new ConnectionLostError('channel closed by the client'));
        return;
      case 'channel.flow':
        this.wire.sendMethod(this.id, { name: 'channel.flow-ok', active: m.active });
        return;
      default:
        this.resolveReply(m);
    }
  }

  onHeaderFrame(buf: Buffer, start: number, end: number): void {
    if (this.contentKind === CONTENT_NONE) return;
    const size = readU32(buf, start + 4) * 0x1_0000_0000 + readU32(buf, start + 8);
    this.cProps = decodeProperties(buf, start + 12, end);
    this.cBodySize = size;
    this.cBodyPos = 0;
    if (size === 0) {
      this.cBody = EMPTY;
      this.contentComplete();
    } else {
      this.cBody = EMPTY;
    }
  }

  onBodyFrame(buf: Buffer, start: number, end: number): void {
    if (this.contentKind === CONTENT_NONE) return;
    const n = end - start;
    if (this.cBodyPos === 0 && n === this.cBodySize) {
      // Whole body in one frame: a view of the received bytes when they stay valid (as amqplib
      // does), else one copy.
      if (this.wire.stableInput) {
        this.cBody = buf.subarray(start, end);
      } else {
        const b = Buffer.allocUnsafe(n);
        copyBytes(buf, start, b, 0, n);
        this.cBody = b;
      }
      this.cBodyPos = n;
    } else {
      if (this.cBodyPos === 0) this.cBody = Buffer.allocUnsafe(this.cBodySize);
      buf.copy(this.cBody, this.cBodyPos, start, Math.min(end, start + this.cBodySize - this.cBodyPos));
      this.cBodyPos += n;
    }
    if (this.cBodyPos >= this.cBodySize) this.contentComplete();
  }

  private contentComplete(): void {
    const kind = this.contentKind;
    this.contentKind = CONTENT_NONE;
    const d: RawDelivery = {
      channel: this,
      consumerTag: this.cTag,
      deliveryTag: this.cDeliveryTag,
      redelivered: this.cRedelivered,
      exchange: this.cExchange,
      routingKey: this.cRoutingKey,
      properties: this.cProps,
      body: this.cBody,
      messageCount: this.cMessageCount,
    };
    this.cBody = EMPTY;
    if (kind === CONTENT_DELIVER) {
      this.consumers.get(d.consumerTag)?.onDelivery(d);
    } else if (kind === CONTENT_GET) {
      this.resolveReply(d);
    } else if (kind === CONTENT_RETURN) {
      // RabbitMQ sends basic.return before the basic.ack of the same publish: the next confirm
      // whose highest tag is unsettled belongs to this message.
      if (this.confirmMode) {
        this.returned.push(new PublishReturnedError(`message returned by the broker: ${this.cReplyCode} ${this.cReplyText}`, this.cReplyCode, d.exchange, d.routingKey));
      }
      this.returnListener?.(d);
    }
  }

  private onConfirm(tag: number, multiple: boolean, err: Error | undefined): void {
    let own = err;
    if (own === undefined && this.returned.length > 0 && this.unconfirmed.has(tag)) own = this.returned.shift();
    if (multiple) {
      this.confirmErr = err;
      this.unconfirmed.takeBelow(tag, this.settleWithConfirmErr);
      this.confirmErr = undefined;
    }
    this.unconfirmed.take(tag)?.settle(own);
  }

  private resolveReply(v: Method | RawDelivery | undefined): void {
    if (this.replyHead >= this.replies.length) return;
    const r = this.replies[this.replyHead]!;
    this.replies[this.replyHead++] = undefined as unknown as PendingReply;
    if (this.replyHead === this.replies.length) {
      this.replies.length = 0;
      this.replyHead = 0;
    }
    r.resolve(v);
  }

  // ------------------------------------------------------------------ closing

  /** Closes the channel politely; resolves when the broker answered (or the connection went). */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    await this.call({ name: 'channel.close', replyCode: 200, replyText: 'Goodbye', classId: 0, methodId: 0 }).catch(() => undefined);
  }

  connectionLost(err: Error): void {
    this.closed(err);
  }

  private closed(err: Error): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.closeError = err;
    this.wire.channelReleased(this.id);
    const pending = this.replies.slice(this.replyHead);
    this.replies.length = 0;
    this.replyHead = 0;
    for (const r of pending) r.reject(err);
    this.consumers.clear();
    this.listener?.onChannelClosed(this, err);
  }
}
