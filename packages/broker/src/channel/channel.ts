import { Buffer } from 'node:buffer';
import type { FieldTable, Method } from '@warren/protocol';
import type { AccessControl, PermissionKind } from '../auth/access-control.js';
import { accessRefused, connectionError, notFound, preconditionFailed } from '../errors.js';
import type { Exchange } from '../exchange/exchange.js';
import { withProperties, withoutBcc } from '../message/build-message.js';
import type { Message } from '../message/message.js';
import { PF_REPLY_TO, PF_USER_ID } from '../message/property-flags.js';
import { Consumer, type ConsumerOwner } from '../queue/consumer.js';
import type { QueueEntry } from '../queue/queue-entry.js';
import type { Queue } from '../queue/queue.js';
import { describeExchange, describeQueue, generatedName } from '../util/names.js';
import type { VirtualHost } from '../vhost/vhost.js';
import { ConfirmTracker } from './confirm-tracker.js';
import { writeDeliver, writeGetOk, writeReturn } from './content-frames.js';
import { PublishAssembler } from './publish-assembler.js';
import { UnackedLog } from './unacked-log.js';
import { ConsumerTimeouts } from './consumer-timeouts.js';
import { delayOf } from '../exchange/delayed-scheduler.js';
import { DIRECT_REPLY_TO, type DirectReplyTo } from './direct-reply-to.js';

import type { ChannelConnection } from './channel-connection.js';
import { MessageCounters } from '../stats/counters.js';

/** Routing keys of direct reply-to replies start with this. */
const REPLY_KEY_PREFIX = `${DIRECT_REPLY_TO}.`;

type TxAction =
  | { kind: 'publish'; msg: Message; exchange: Exchange; mandatory: boolean }
  | { kind: 'ack'; tag: number; multiple: boolean }
  | { kind: 'reject'; tag: number; multiple: boolean; requeue: boolean; failed: boolean };

const scratchSlots: number[] = [];

/**
 * One AMQP channel: its consumers, unacked deliveries, prefetch limits, confirm/tx mode and
 * the publish path (content assembly → routing → queues).
 */
export class Channel implements ConsumerOwner {
  closing = false;
  private readonly consumers = new Map<string, Consumer>();
  private readonly unacked = new UnackedLog();
  private readonly timeouts = new ConsumerTimeouts(
    this.unacked,
    (q) => q.settings.consumerTimeout ?? this.vhost.consumerTimeoutMs,
    (c) => this.consumerTimedOut(c),
  );
  /** Tags taken back from timed-out consumers (their late acks are ignored). */
  private reclaimed: Set<number> | undefined;
  private deliveryTag = 0;
  /** basic.qos global=false: prefetch for consumers created afterwards. */
  private consumerPrefetch = 0;
  /** basic.qos global=true: limit over all the channel's consumers. */
  private channelPrefetch = 0;
  private confirms: ConfirmTracker | undefined;
  private tx: TxAction[] | undefined;
  private lastQueueName = '';
  readonly publish = new PublishAssembler();
  /** exchange name → write permission granted (cached: checked per publish). */
  private readonly writeAllowed = new Map<string, boolean>();
  private replyTo: DirectReplyTo | undefined;

  /** Message counters for the management API; undefined when the broker runs without stats. */
  readonly stats: MessageCounters | undefined;
  readonly createdAt = Date.now();

  constructor(readonly id: number, readonly conn: ChannelConnection) {
    this.stats = conn.statsEnabled ? new MessageCounters() : undefined;
  }

  // ---- introspection (management API) ----------------------------------------------------

  get consumerList(): IterableIterator<Consumer> { return this.consumers.values(); }
  get consumerCount(): number { return this.consumers.size; }
  get unackedCount(): number { return this.unacked.count; }
  get prefetchCount(): number { return this.consumerPrefetch; }
  get globalPrefetchCount(): number { return this.channelPrefetch; }
  get confirmMode(): boolean { return this.confirms !== undefined; }
  get transactional(): boolean { return this.tx !== undefined; }
  get uncommittedMessages(): number { return this.tx?.filter((a) => a.kind === 'publish').length ?? 0; }
  get uncommittedAcks(): number { return this.tx?.filter((a) => a.kind !== 'publish').length ?? 0; }

  get connectionId(): number { return this.conn.id; }
  private get vhost(): VirtualHost { return this.conn.vhost; }
  private get access(): AccessControl { return this.conn.access; }

  // ---- permissions -----------------------------------------------------------------------

  private check(kind: PermissionKind, type: 'queue' | 'exchange', name: string): void {
    const resource = type === 'exchange' && name === '' ? 'amq.default' : name;
    if (!this.access.check(this.conn.user, this.vhost.name, kind, resource)) {
      const what = type === 'queue' ? describeQueue(resource, this.vhost.name) : describeExchange(resource, this.vhost.name);
      throw accessRefused(`${kind} access to ${what} refused for user '${this.conn.user}'`);
    }
  }

  /** Topic permissions: routing/binding keys on topic exchanges. */
  private checkTopic(exchange: string, kind: 'write' | 'read', key: string): void {
    if (!this.conn.topics.allows(this.conn.user, this.vhost.name, exchange, kind, key)) {
      throw accessRefused(`${kind} access to topic '${key}' in exchange '${exchange}' in vhost '${this.vhost.name}' refused for user '${this.conn.user}'`);
    }
  }

  // ---- method dispatch -------------------------------------------------------------------

  handleMethod(m: Method): void {
    if (this.publish.active) {
      throw connectionError(505, `expected content header for class 60, got non content header frame instead`);
    }
    switch (m.name) {
      case 'channel.flow':
        // As RabbitMQ (since 3.3): a client may not stop deliveries with flow; prefetch does that.
        if (!m.active) throw connectionError(540, 'active=false');
        this.conn.send(this.id, { name: 'channel.flow-ok', active: true });
        return;
      case 'channel.flow-ok':
        return;
      case 'exchange.declare': return this.exchangeDeclare(m.exchange, m.type, m.passive, m.durable, m.autoDelete, m.internal, m.arguments, m.nowait);
      case 'exchange.delete': {
        this.check('configure', 'exchange', m.exchange);
        this.vhost.deleteExchange(m.exchange, m.ifUnused);
        if (!m.nowait) this.conn.send(this.id, { name: 'exchange.delete-ok' });
        return;
      }
      case 'exchange.bind':
      case 'exchange.unbind': {
        const dest = this.vhost.exchange(m.destination);
        const src = this.vhost.exchange(m.source);
        this.check('write', 'exchange', m.destination);
        this.check('read', 'exchange', m.source);
        if (m.name === 'exchange.bind') this.vhost.bind(src, dest, m.routingKey, m.arguments);
        else this.vhost.unbind(src, dest, m.routingKey, m.arguments);
        if (!m.nowait) this.conn.send(this.id, { name: m.name === 'exchange.bind' ? 'exchange.bind-ok' : 'exchange.unbind-ok' });
        return;
      }
      case 'queue.declare': return this.queueDeclare(m.queue, m.passive, m.durable, m.exclusive, m.autoDelete, m.arguments, m.nowait);
      case 'queue.bind':
      case 'queue.unbind': {
        const qname = this.resolveQueueName(m.queue);
        const key = m.name === 'queue.bind' && m.queue === '' && m.routingKey === '' ? qname : m.routingKey;
        const q = this.vhost.queue(qname, this.conn.id);
        const ex = this.vhost.exchange(m.exchange);
        this.check('write', 'queue', qname);
        this.check('read', 'exchange', m.exchange);
        if (m.name === 'queue.bind' && ex.type === 'topic') this.checkTopic(ex.name, 'read', key);
        if (m.name === 'queue.bind') this.vhost.bind(ex, q, key, m.arguments);
        else this.vhost.unbind(ex, q, key, m.arguments);
        if (m.name === 'queue.unbind') this.conn.send(this.id, { name: 'queue.unbind-ok' });
        else if (!m.nowait) this.conn.send(this.id, { name: 'queue.bind-ok' });
        return;
      }
      case 'queue.purge': {
        const qname = this.resolveQueueName(m.queue);
        const q = this.vhost.queue(qname, this.conn.id);
        this.check('read', 'queue', qname);
        const n = q.purge();
        if (!m.nowait) this.conn.send(this.id, { name: 'queue.purge-ok', messageCount: n });
        return;
      }
      case 'queue.delete': {
        const qname = this.resolveQueueName(m.queue);
        this.check('configure', 'queue', qname);
        const n = this.vhost.deleteQueueChecked(qname, m.ifUnused, m.ifEmpty, this.conn.id);
        if (!m.nowait) this.conn.send(this.id, { name: 'queue.delete-ok', messageCount: n });
        return;
      }
      case 'basic.qos': return this.qos(m.prefetchSize, m.prefetchCount, m.global);
      case 'basic.consume': return this.consume(m.queue, m.consumerTag, m.noLocal, m.noAck, m.exclusive, m.nowait, m.arguments);
      case 'basic.cancel': return this.cancel(m.consumerTag, m.nowait);
      case 'basic.get': return this.get(m.queue, m.noAck);
      case 'basic.ack': return this.ack(m.deliveryTag, m.multiple);
      // RabbitMQ 4.3: basic.reject marks a failed delivery (x-delivery-count), basic.nack does not.
      case 'basic.reject': return this.reject(m.deliveryTag, false, m.requeue, true);
      case 'basic.nack': return this.reject(m.deliveryTag, m.multiple, m.requeue, false);
      case 'basic.recover':
      case 'basic.recover-async':
        // As RabbitMQ: redelivering to the same consumer (requeue=false) is not supported.
        if (!m.requeue) throw connectionError(540, 'requeue=false');
        this.requeueAll(false);
        if (m.name === 'basic.recover') this.conn.send(this.id, { name: 'basic.recover-ok' });
        return;
      case 'confirm.select':
        if (this.tx !== undefined) throw preconditionFailed('cannot switch from tx to confirm mode');
        this.confirms ??= new ConfirmTracker();
        if (!m.nowait) this.conn.send(this.id, { name: 'confirm.select-ok' });
        return;
      case 'tx.select':
        if (this.confirms !== undefined) throw preconditionFailed('cannot switch from confirm to tx mode');
        this.tx ??= [];
        this.conn.send(this.id, { name: 'tx.select-ok' });
        return;
      case 'tx.commit': return this.txCommit();
      case 'tx.rollback':
        if (this.tx === undefined) throw preconditionFailed('channel is not transactional');
        this.tx = [];
        this.conn.send(this.id, { name: 'tx.rollback-ok' });
        return;
      default:
        throw connectionError(540, `${m.name} is not valid on a channel here`);
    }
  }

  // ---- declarations ------------------------------------------------------------------------

  private exchangeDeclare(name: string, type: string, passive: boolean, durable: boolean, autoDelete: boolean, internal: boolean, args: FieldTable, nowait: boolean): void {
    if (!passive) this.check('configure', 'exchange', name);
    if (!passive && name !== '' && args['alternate-exchange'] !== undefined) {
      const ae = args['alternate-exchange'];
      this.check('read', 'exchange', name);
      if (typeof ae === 'string') this.check('write', 'exchange', ae);
    }
    this.vhost.declareExchange({ name, type, passive, durable, autoDelete, internal, args });
    if (!nowait) this.conn.send(this.id, { name: 'exchange.declare-ok' });
  }

  private queueDeclare(name: string, passive: boolean, durable: boolean, exclusive: boolean, autoDelete: boolean, args: FieldTable, nowait: boolean): void {
    if (name === DIRECT_REPLY_TO) {
      // Passive/active declare of the pseudo-queue succeeds, as in RabbitMQ.
      this.lastQueueName = name;
      if (!nowait) this.conn.send(this.id, { name: 'queue.declare-ok', queue: name, messageCount: 0, consumerCount: 0 });
      return;
    }
    if (!passive && name !== '') this.check('configure', 'queue', name);
    if (!passive && !this.vhost.queues.has(name)) {
      const max = this.conn.vhostLimit('max-queues');
      if (max !== undefined && this.vhost.queues.size >= max) {
        throw preconditionFailed(`cannot declare queue '${name}': queue limit in vhost '${this.vhost.name}' (${max}) is reached`);
      }
    }
    const { queue } = this.vhost.declareQueue({ name, passive, durable, exclusive, autoDelete, args }, this.conn.id);
    this.lastQueueName = queue.name;
    if (!nowait) {
      this.conn.send(this.id, { name: 'queue.declare-ok', queue: queue.name, messageCount: queue.messageCount, consumerCount: queue.consumerCount });
    }
  }

  /** An empty queue name means "the last queue declared on this channel" (AMQP 0-9-1). */
  private resolveQueueName(name: string): string {
    if (name !== '') return name;
    if (this.lastQueueName === '') throw notFound('no previously declared queue');
    return this.lastQueueName;
  }

  // ---- consumers -------------------------------------------------------------------------

  private qos(prefetchSize: number, prefetchCount: number, global: boolean): void {
    if (prefetchSize !== 0) throw connectionError(540, `prefetch_size!=0 (${prefetchSize})`);
    if (global) this.channelPrefetch = prefetchCount;
    else this.consumerPrefetch = prefetchCount;
    this.conn.send(this.id, { name: 'basic.qos-ok' });
    this.redispatch();
  }

  private consume(queueName: string, tag: string, _noLocal: boolean, noAck: boolean, exclusive: boolean, nowait: boolean, args: FieldTable): void {
    const qname = this.resolveQueueName(queueName);
    if (tag === '') tag = generatedName('amq.ctag-');
    else if (this.consumers.has(tag) || this.replyTo?.consumerTag === tag) {
      throw connectionError(530, `attempt to reuse consumer tag '${tag}'`);
    }
    if (qname === DIRECT_REPLY_TO) {
      if (!noAck) throw preconditionFailed('reply consumer cannot acknowledge');
      if (this.replyTo !== undefined) throw preconditionFailed('reply consumer already set');
      this.replyTo = this.conn.directReplyTo.register(this, tag);
      if (!nowait) this.conn.send(this.id, { name: 'basic.consume-ok', consumerTag: tag });
      return;
    }
    const q = this.vhost.queue(qname, this.conn.id);
    this.check('read', 'queue', qname);
    if (q.hasExclusiveConsumer() || (exclusive && q.consumerCount > 0)) {
      throw accessRefused(`${describeQueue(qname, this.vhost.name)} in exclusive use`);
    }
    let priority = 0;
    const p = args['x-priority'];
    if (p !== undefined) {
      // RabbitMQ names the queue and the rejected AMQP type.
      if (typeof p !== 'number' || !Number.isInteger(p)) {
        throw preconditionFailed(`invalid arg 'x-priority' for ${describeQueue(qname, this.vhost.name)}: {unacceptable_type,${typeof p === 'string' || Buffer.isBuffer(p) ? 'longstr' : typeof p === 'boolean' ? 'bool' : typeof p === 'number' ? 'double' : 'table'}}`);
      }
      priority = p;
    }
    const c = new Consumer(tag, this, q, noAck, exclusive, this.consumerPrefetch, priority, args);
    this.consumers.set(tag, c);
    this.conn.consumerAdded(q);
    if (!nowait) this.conn.send(this.id, { name: 'basic.consume-ok', consumerTag: tag });
    q.addConsumer(c);
  }

  private cancel(tag: string, nowait: boolean): void {
    if (this.replyTo?.consumerTag === tag) {
      this.replyTo.unregister();
      this.replyTo = undefined;
    } else {
      const c = this.consumers.get(tag);
      if (c !== undefined) {
        this.consumers.delete(tag);
        this.conn.consumerRemoved(c.queue);
        c.queue.removeConsumer(c);
      }
    }
    if (!nowait) this.conn.send(this.id, { name: 'basic.cancel-ok', consumerTag: tag });
  }

  /** ConsumerOwner: the queue was deleted. */
  cancelledByServer(c: Consumer): void {
    if (this.consumers.get(c.tag) !== c) return;
    this.consumers.delete(c.tag);
    this.conn.consumerRemoved(c.queue);
    if (!this.closing && this.conn.capabilities.consumerCancelNotify) {
      this.conn.send(this.id, { name: 'basic.cancel', consumerTag: c.tag, nowait: true });
    }
  }

  /** ConsumerOwner: prefetch limits, channel.flow and the connection's output backlog. */
  canDeliver(c: Consumer): boolean {
    if (this.closing || !this.conn.writable()) return false;
    if (c.noAck) return true;
    if (c.prefetch !== 0 && c.unacked >= c.prefetch) return false;
    return this.channelPrefetch === 0 || this.unacked.count < this.channelPrefetch;
  }

  /** ConsumerOwner: writes basic.deliver and tracks the delivery until it is acked. */
  deliver(c: Consumer, entry: QueueEntry): void {
    const tag = ++this.deliveryTag;
    if (!c.noAck) {
      const now = Date.now();
      this.unacked.push(tag, entry, c, c.queue, now);
      c.unacked++;
      this.timeouts.delivered(c.queue, now);
    }
    const s = this.stats;
    if (s !== undefined) {
      if (c.noAck) s.deliverNoAck++;
      else s.deliver++;
      if (entry.redelivered) s.redeliver++;
    }
    writeDeliver(this.conn.output(), this.id, this.conn.frameMax, c.tagBytes, tag, entry.redelivered, entry.msg);
  }

  /** Direct reply-to: a reply published to this channel's pseudo-queue. */
  deliverReply(tagBytes: Buffer, msg: Message): void {
    writeDeliver(this.conn.output(), this.id, this.conn.frameMax, tagBytes, ++this.deliveryTag, false, msg);
  }

  /** Re-runs dispatch for every queue this channel consumes from. */
  redispatch(): void {
    for (const c of this.consumers.values()) c.queue.dispatch();
  }

  private get(queueName: string, noAck: boolean): void {
    const qname = this.resolveQueueName(queueName);
    const q = this.vhost.queue(qname, this.conn.id);
    this.check('read', 'queue', qname);
    const entry = q.get(Date.now());
    if (entry === undefined) {
      if (this.stats !== undefined) this.stats.getEmpty++;
      if (q.stats !== undefined) q.stats.getEmpty++;
      this.conn.send(this.id, { name: 'basic.get-empty' });
      return;
    }
    countGet(this.stats, noAck, entry.redelivered);
    countGet(q.stats, noAck, entry.redelivered);
    const tag = ++this.deliveryTag;
    if (!noAck) {
      this.unacked.push(tag, entry, undefined, q);
      q.unackedCount++;
    } else {
      q.discard(entry);
    }
    writeGetOk(this.conn.output(), this.id, this.conn.frameMax, tag, entry.redelivered, q.messageCount, entry.msg);
  }

  // ---- acknowledgements --------------------------------------------------------------------

  private ack(tag: number, multiple: boolean): void {
    if (this.tx !== undefined) {
      this.validateTag(tag, multiple);
      this.tx.push({ kind: 'ack', tag, multiple });
      return;
    }
    this.settle(tag, multiple, false, false);
  }

  private reject(tag: number, multiple: boolean, requeue: boolean, failed: boolean): void {
    if (this.tx !== undefined) {
      this.validateTag(tag, multiple);
      this.tx.push({ kind: 'reject', tag, multiple, requeue, failed });
      return;
    }
    this.settle(tag, multiple, true, requeue, failed);
  }

  private validateTag(tag: number, multiple: boolean): void {
    if (multiple && tag === 0) return;
    if (this.unacked.slotOf(tag) < 0 && this.reclaimed?.has(tag) !== true) throw preconditionFailed(`unknown delivery tag ${tag}`);
  }

  /** Acks (rejected=false) or rejects deliveries; rejected ones are requeued or dead-lettered. */
  private settle(tag: number, multiple: boolean, rejected: boolean, requeue: boolean, failed = false): void {
    const slots = scratchSlots;
    slots.length = 0;
    if (multiple) {
      if (tag === 0) this.unacked.allSlots(slots);
      else this.unacked.slotsUpTo(tag, slots);
      if (slots.length === 0 && tag !== 0) {
        if (tag > this.deliveryTag) throw preconditionFailed(`unknown delivery tag ${tag}`);
        return;
      }
    } else {
      const s = this.unacked.slotOf(tag);
      if (s < 0) {
        // A late settlement of a delivery taken back from a timed-out consumer is ignored.
        if (this.reclaimed?.delete(tag) === true) return;
        throw preconditionFailed(`unknown delivery tag ${tag}`);
      }
      slots.push(s);
    }
    let lastQueue: Queue | undefined;
    let others: Set<Queue> | undefined;
    let requeued: Map<Queue, QueueEntry[]> | undefined;
    for (let i = 0; i < slots.length; i++) {
      const s = slots[i]!;
      const entry = this.unacked.entryAt(s);
      const q = this.unacked.queueAt(s);
      const c = this.unacked.consumerAt(s);
      if (c !== undefined) c.unacked--;
      this.unacked.remove(s);
      q.settled(1);
      if (rejected && requeue) {
        requeued ??= new Map();
        let list = requeued.get(q);
        if (list === undefined) requeued.set(q, (list = []));
        list.push(entry);
      } else {
        if (rejected && !q.deleted) this.vhost.deadLetter(q, entry, 'rejected');
        else if (!rejected && q.stats !== undefined) q.stats.ack++;
        q.discard(entry);
      }
      if (q !== lastQueue) {
        if (lastQueue !== undefined) (others ??= new Set()).add(lastQueue);
        lastQueue = q;
      }
    }
    if (!rejected && this.stats !== undefined) this.stats.ack += slots.length;
    if (requeued !== undefined) for (const [q, list] of requeued) q.requeue(list, failed);
    // Credit was freed: let the queues deliver more.
    lastQueue?.dispatch();
    if (others !== undefined) for (const q of others) if (q !== lastQueue) q.dispatch();
  }

  /** basic.recover and channel close (a failed attempt): every unacked delivery goes back to its queue. */
  private requeueAll(failed: boolean): void {
    const slots = scratchSlots;
    slots.length = 0;
    this.unacked.allSlots(slots);
    const byQueue = new Map<Queue, QueueEntry[]>();
    for (const s of slots) {
      const q = this.unacked.queueAt(s);
      const c = this.unacked.consumerAt(s);
      if (c !== undefined) c.unacked--;
      let list = byQueue.get(q);
      if (list === undefined) byQueue.set(q, (list = []));
      list.push(this.unacked.entryAt(s));
      this.unacked.remove(s);
      q.settled(1);
    }
    for (const [q, list] of byQueue) q.requeue(list, failed);
  }

  // ---- consumer acknowledgement timeout ------------------------------------------------------

  /**
   * RabbitMQ 4.3's response to a consumer holding a delivery past the timeout: only that
   * consumer is cancelled (basic.cancel when the client announced consumer_cancel_notify) and
   * its unacknowledged deliveries are requeued; late acks for them are ignored.
   */
  private consumerTimedOut(c: Consumer): void {
    if (this.consumers.get(c.tag) !== c) return;
    const slots: number[] = [];
    this.unacked.allSlots(slots);
    const entries: QueueEntry[] = [];
    for (const s of slots) {
      if (this.unacked.consumerAt(s) !== c) continue;
      (this.reclaimed ??= new Set()).add(this.unacked.tagAt(s));
      entries.push(this.unacked.entryAt(s));
      this.unacked.remove(s);
    }
    c.unacked = 0;
    c.queue.settled(entries.length);
    this.consumers.delete(c.tag);
    this.conn.consumerRemoved(c.queue);
    c.queue.removeConsumer(c);
    if (this.conn.capabilities.consumerCancelNotify) this.conn.send(this.id, { name: 'basic.cancel', consumerTag: c.tag, nowait: true });
    c.queue.requeue(entries, false);
  }

  // ---- publishing --------------------------------------------------------------------------

  /** A complete message arrived on this channel. */
  published(msg: Message): void {
    try {
      msg.scanProperties();
    } catch {
      throw connectionError(502, 'malformed content header properties');
    }
    if (msg.expirationMs === -2) {
      throw preconditionFailed(`invalid expiration '${msg.properties().expiration ?? ''}'`);
    }
    const exchangeName = msg.exchange;
    let allowed = this.writeAllowed.get(exchangeName);
    if (allowed === undefined) {
      allowed = this.access.check(this.conn.user, this.vhost.name, 'write', exchangeName === '' ? 'amq.default' : exchangeName);
      this.writeAllowed.set(exchangeName, allowed);
    }
    if (!allowed) this.check('write', 'exchange', exchangeName);
    const ex = this.vhost.exchange(exchangeName);
    if (ex.type === 'topic') this.checkTopic(ex.name, 'write', msg.routingKey);
    if (ex.internal) throw accessRefused(`cannot publish to internal ${describeExchange(exchangeName, this.vhost.name)}`);
    const flags = msg.propertyFlags;
    if ((flags & (PF_USER_ID | PF_REPLY_TO)) !== 0) msg = this.applySpecialProperties(msg, flags);
    const mandatory = this.publish.mandatory;
    if (this.tx !== undefined) {
      this.tx.push({ kind: 'publish', msg, exchange: ex, mandatory });
      return;
    }
    this.deliverPublished(msg, ex, mandatory);
  }

  /** user-id validation and direct reply-to rewriting (the rare paths). */
  private applySpecialProperties(msg: Message, flags: number): Message {
    const props = msg.properties();
    if ((flags & PF_USER_ID) !== 0 && props.userId !== this.conn.user && !this.conn.isImpersonator) {
      throw preconditionFailed(`user_id property set to '${props.userId ?? ''}' but authenticated user was '${this.conn.user}'`);
    }
    let rewritten = msg;
    if ((flags & PF_REPLY_TO) !== 0 && props.replyTo === DIRECT_REPLY_TO) {
      if (this.replyTo === undefined) throw preconditionFailed('fast reply consumer does not exist');
      rewritten = withProperties(msg, { ...props, replyTo: this.replyTo.address });
    }
    return rewritten;
  }

  /** Routes a message, enqueues it, and answers mandatory returns and confirms; true when it went to disk. */
  /**
   * Routes a message, enqueues it, and answers mandatory returns and confirms; true when it went
   * to disk. The message still has its BCC header: it routes copies, and is removed before any
   * queue or reply sees the message (a delayed exchange keeps it until the message is due).
   */
  private deliverPublished(published: Message, ex: Exchange, mandatory: boolean): boolean {
    const confirmTag = this.confirms?.next() ?? 0;
    let targets: Queue[];
    let delivered = false;
    let stored = false;
    const msg = withoutBcc(published);
    const delay = ex.delayedType !== undefined ? delayOf(published) : 0;
    if (delay > 0) {
      // x-delayed-message: held now, routed when due (so never returned as unroutable).
      stored = this.vhost.delayed.hold(published, delay, ex.durable, Date.now());
      delivered = true;
      targets = [];
    } else if (ex.isDefault && published.routingKey.startsWith(REPLY_KEY_PREFIX)) {
      delivered = this.conn.directReplyTo.deliver(msg.routingKey, msg);
      targets = [];
    } else {
      targets = this.vhost.routeCopies(ex, published);
    }
    if (ex.stats !== undefined) ex.stats.published(targets.length);
    let rejected = false;
    if (targets.length > 0) {
      const now = Date.now();
      for (let i = 0; i < targets.length; i++) {
        const q = targets[i]!;
        if (q.enqueue(msg, now) === 'rejected') rejected = true;
        else {
          if (q.overloaded) this.conn.throttleBy(q);
          if (q.persistent && msg.deliveryMode === 2) stored = true;
        }
      }
    }
    if (targets.length === 0 && !delivered && mandatory) {
      writeReturn(this.conn.output(), this.id, this.conn.frameMax, 312, 'NO_ROUTE', msg);
    }
    const s = this.stats;
    if (s !== undefined) {
      s.publish++;
      if (targets.length === 0 && !delivered) {
        if (mandatory) s.returnUnroutable++;
        else s.dropUnroutable++;
      }
      if (confirmTag !== 0 && !rejected) s.confirm++;
    }
    const durability = this.conn.durability;
    if (stored && durability !== undefined) {
      const storeSeq = durability.awaitSync(this);
      // Confirmed only once on disk; a nack (a queue refused it) is final at once.
      if (confirmTag !== 0 && !rejected) {
        this.confirms!.awaitStore(confirmTag, storeSeq);
        return true;
      }
    }
    if (confirmTag !== 0) {
      this.confirms!.settle(confirmTag, !rejected);
      this.queueConfirms();
    }
    return stored;
  }

  /** The store synced up to `seq`; returns whether this channel still waits for the store. */
  storeSynced(seq: number): boolean {
    if (this.closing) return false;
    if (this.commitOkAfter !== 0 && seq >= this.commitOkAfter) {
      this.commitOkAfter = 0;
      this.conn.send(this.id, { name: 'tx.commit-ok' });
    }
    if (this.confirms === undefined) return this.commitOkAfter !== 0;
    this.confirms.storeSynced(seq);
    if (this.confirms.releasable) this.queueConfirms();
    return this.confirms.waitingForStore || this.commitOkAfter !== 0;
  }

  /** Store sequence the pending tx.commit-ok waits for (0 = none). */
  private commitOkAfter = 0;

  /** Asks the connection to write this channel's settled confirms at its next flush. */
  private queueConfirms(): void {
    if (this.confirmsQueued) return;
    this.confirmsQueued = true;
    this.conn.confirmPending(this);
  }

  private confirmsQueued = false;

  /** Writes settled confirms (called by the connection before it flushes). */
  flushConfirms(): void {
    this.confirmsQueued = false;
    if (!this.closing) this.confirms?.flush(this.conn.output(), this.id);
  }

  private txCommit(): void {
    if (this.tx === undefined) throw preconditionFailed('channel is not transactional');
    const actions = this.tx;
    this.tx = undefined; // apply for real
    let stored = false;
    try {
      for (const a of actions) {
        if (a.kind === 'publish') stored = this.deliverPublished(a.msg, a.exchange, a.mandatory) || stored;
        else if (a.kind === 'ack') this.settle(a.tag, a.multiple, false, false);
        else this.settle(a.tag, a.multiple, true, a.requeue, a.failed);
      }
    } finally {
      this.tx = [];
    }
    const durability = this.conn.durability;
    if (stored && durability !== undefined) {
      // As in RabbitMQ, commit-ok for persistent messages comes once they are on disk.
      this.commitOkAfter = durability.awaitSync(this);
      return;
    }
    this.conn.send(this.id, { name: 'tx.commit-ok' });
  }

  // ---- lifecycle ---------------------------------------------------------------------------

  /** Releases everything the channel holds: consumers cancelled, unacked requeued. */
  teardown(): void {
    const first = !this.closing;
    this.closing = true;
    for (const c of this.consumers.values()) {
      this.conn.consumerRemoved(c.queue);
      c.queue.removeConsumer(c);
    }
    this.consumers.clear();
    this.replyTo?.unregister();
    this.replyTo = undefined;
    this.conn.durability?.forget(this);
    this.timeouts.stop();
    this.requeueAll(true);
    this.publish.reset();
    if (first && this.stats !== undefined) this.conn.retireStats(this.stats);
  }
}

function countGet(s: MessageCounters | undefined, noAck: boolean, redelivered: boolean): void {
  if (s === undefined) return;
  if (noAck) s.getNoAck++;
  else s.get++;
  if (redelivered) s.redeliver++;
}


