import { Typed, type FieldTable } from '@warren/protocol';
import { withProperties } from '../message/build-message.js';
import type { Message } from '../message/message.js';
import type { Consumer } from './consumer.js';
import { QueueEntry } from './queue-entry.js';
import type { QueueSettings } from './queue-arguments.js';
import { ReadyList } from './ready-list.js';
import type { MessageCounters } from '../stats/counters.js';

export type DeadLetterReason = 'rejected' | 'expired' | 'maxlen' | 'delivery_limit';

/** What a queue needs from its virtual host. */
export interface QueueHost {
  deadLetter(queue: Queue, entry: QueueEntry, reason: DeadLetterReason): void;
  /** Auto-delete / x-expires asks to be removed. */
  deleteQueue(queue: Queue): void;
}

/** A publisher connection that pauses reading while a queue it feeds is over its limit. */
export interface ThrottledPublisher {
  unthrottle(queue: Queue): void;
}

export type EnqueueResult = 'ok' | 'rejected';

/** The durable store as a queue sees it (persistent messages of durable queues only). */
export interface QueueStore {
  writeMessage(data: Buffer, arrivedAt?: number): number;
  enqueue(key: string, msgId: number): void;
  markDelivered(key: string, msgId: number, deliveryCount?: number): void;
  remove(key: string, msgId: number): void;
  removeQueue(key: string): void;
  /** Group commit: asks for a sync soon (coalesced; nothing waits on it). */
  requestSync(): void;
}

/** Bytes of ready message bodies a durable queue keeps in memory; persisted ones beyond it are paged out. */
const PAGE_WINDOW_BYTES = 4 * 1024 * 1024;
/** Paged-out entries loaded together when the head of a queue needs one. */
const PAGE_IN_BATCH = 256;
const pageBatch: QueueEntry[] = [];
const pageIds: number[] = [];
const pageMsgs: Message[] = [];
/** Backlog (ready messages with consumers attached) above which publishers are paused. */
const FLOW_HIGH = 2_000;
const FLOW_LOW = 1_000;

export class Queue {
  readonly ready: ReadyList;
  readonly consumers: Consumer[] = [];
  /** Deliveries not yet acknowledged, over all channels. */
  unackedCount = 0;
  private rr = 0;
  private uniformPriority = true;
  private hadConsumers = false;
  private ttlTimer: NodeJS.Timeout | undefined;
  private ttlTimerAt = 0;
  private expiresTimer: NodeJS.Timeout | undefined;
  private throttled: Set<ThrottledPublisher> | undefined;
  deleted = false;
  /** Marks the queue as already chosen during one routing pass (de-duplication). */
  routeMark = 0;
  /** Statistics for declare-ok / management. */
  publishedCount = 0;
  deliveredCount = 0;
  /** Message counters for the management API; undefined when the broker runs without stats. */
  stats: MessageCounters | undefined;
  /** Set for durable, non-exclusive queues when the broker has a data directory. */
  private store: QueueStore | undefined;
  /** Bytes of ready entries whose message is in memory (the paging window). */
  private loadedBytes = 0;
  /** Rebuilds paged-out messages from their stored bytes (batched: out[i] for storeIds[i]). */
  private loadMessages: ((storeIds: readonly number[], out: Message[]) => void) | undefined;
  readonly storeKey: string;
  /** Effective settings: x-arguments merged with the policy and operator policy in force. */
  settings: QueueSettings;
  /** Names of the policy / operator policy in force (for listings). */
  policyName: string | undefined;
  operatorPolicyName: string | undefined;

  constructor(
    readonly name: string,
    readonly vhost: string,
    readonly durable: boolean,
    /** Owning connection id for exclusive queues; 0 when not exclusive. */
    readonly exclusiveOwner: number,
    readonly autoDelete: boolean,
    readonly args: FieldTable,
    /** Settings from the x-arguments alone (policies are merged into `settings`). */
    readonly argSettings: QueueSettings,
    private readonly host: QueueHost,
  ) {
    this.settings = argSettings;
    this.ready = new ReadyList(argSettings.maxPriority ?? 0);
    this.storeKey = `${vhost}\u0000${name}`;
    this.touch();
  }

  /**
   * A policy change: new limits apply at once (a lower max-length trims the head with
   * drop-head, as RabbitMQ does); a new message TTL applies to messages published from now on.
   */
  applySettings(s: QueueSettings): void {
    const before = this.settings;
    this.settings = s;
    if (s.expires !== before.expires) this.touch();
    if (s.overflow === 'drop-head' && (s.maxLength !== undefined || s.maxLengthBytes !== undefined)) {
      const maxLen = s.maxLength ?? Infinity;
      const maxBytes = s.maxLengthBytes ?? Infinity;
      while (this.ready.length > 0 && (this.ready.length > maxLen || this.ready.bytes > maxBytes)) {
        this.drop(this.takeHead()!, 'maxlen');
      }
      this.checkFlow();
    }
  }

  attachStore(store: QueueStore, load: (storeIds: readonly number[], out: Message[]) => void): void {
    if (this.durable && this.exclusiveOwner === 0) {
      this.store = store;
      this.loadMessages = load;
    }
  }

  /** Adds to the tail; a persisted entry beyond the memory window keeps only its index. */
  private pushReady(entry: QueueEntry): void {
    if (entry.storeId !== 0 && this.loadedBytes + entry.size > PAGE_WINDOW_BYTES && this.ready.length > 0) {
      entry.pageOut();
    } else {
      this.loadedBytes += entry.size;
    }
    this.ready.push(entry);
  }

  /** Removes the head, loading its message from disk if it was paged out. */
  private takeHead(): QueueEntry | undefined {
    const head = this.ready.peek();
    if (head === undefined) return undefined;
    if (head.pagedOut) this.pageInFromHead();
    const entry = this.ready.shift()!;
    this.loadedBytes -= entry.size;
    return entry;
  }

  /** Loads the paged-out entries at the head in one batch (read-ahead), within the window. */
  private pageInFromHead(): void {
    const batch = pageBatch;
    const ids = pageIds;
    batch.length = 0;
    ids.length = 0;
    let bytes = 0;
    for (let i = 0; i < this.ready.length && batch.length < PAGE_IN_BATCH && bytes < PAGE_WINDOW_BYTES / 2; i++) {
      const e = this.ready.at(i)!;
      if (!e.pagedOut) break;
      batch.push(e);
      ids.push(e.storeId);
      bytes += e.size;
    }
    const msgs = pageMsgs;
    msgs.length = batch.length;
    this.loadMessages!(ids, msgs);
    for (let i = 0; i < batch.length; i++) {
      const m = msgs[i]!;
      m.storeId = ids[i]!;
      batch[i]!.pageIn(m);
      this.loadedBytes += batch[i]!.size;
    }
    msgs.length = 0;
    batch.length = 0;
  }

  /** Bytes of ready message bodies held in memory. */
  get memoryBytes(): number { return this.loadedBytes; }

  get persistent(): boolean { return this.store !== undefined; }

  /** Writes a persistent message's arrival in this queue to the store. */
  private persist(msg: Message, entry: QueueEntry, now: number): void {
    const store = this.store!;
    // With its arrival time: after a restart, TTLs (of any queue holding it) keep counting from it.
    if (msg.storeId === 0) msg.storeId = store.writeMessage(msg.data, now);
    store.enqueue(this.storeKey, msg.storeId);
    entry.storeId = msg.storeId;
  }

  /** An entry left the queue for good (acked, dropped, expired, purged): forget it on disk. */
  discard(entry: QueueEntry): void {
    if (this.store !== undefined && entry.storeId !== 0) {
      this.store.remove(this.storeKey, entry.storeId);
      this.store.requestSync();
    }
  }

  /** Dead-letters (if configured) and forgets an entry. */
  private drop(entry: QueueEntry, reason: DeadLetterReason): void {
    this.host.deadLetter(this, entry, reason);
    this.discard(entry);
  }

  /** Recovery: puts back an entry read from the store (already on disk). */
  restore(entry: QueueEntry): void {
    this.pushReady(entry);
    if (entry.expiresAt !== 0) this.scheduleExpiry(Date.now());
  }

  get messageCount(): number { return this.ready.length; }
  get consumerCount(): number { return this.consumers.length; }

  /** Adds a routed message; 'rejected' when x-overflow=reject-publish(-dlx) refuses it. */
  enqueue(msg: Message, now: number): EnqueueResult {
    const s = this.settings;
    let ttl = s.messageTtl ?? -1;
    if (msg.expirationMs >= 0 && (ttl < 0 || msg.expirationMs < ttl)) ttl = msg.expirationMs;
    const entry = new QueueEntry(msg, ttl < 0 ? 0 : now + ttl);
    if ((s.maxLength !== undefined || s.maxLengthBytes !== undefined) && !this.makeRoomFor(msg)) {
      if (s.overflow === 'drop-head') {
        // Even an empty queue cannot hold it (limit 0 or a bigger body): it is dropped at once.
        this.host.deadLetter(this, entry, 'maxlen');
        return 'ok';
      }
      if (s.overflow === 'reject-publish-dlx') this.host.deadLetter(this, entry, 'maxlen');
      return 'rejected';
    }
    this.publishedCount++;
    if (this.stats !== undefined) this.stats.publish++;
    if (this.ready.length === 0) {
      const c = this.pickConsumer();
      if (ttl === 0 && c === undefined) {
        // TTL 0: deliverable now or expired at once, as in RabbitMQ.
        this.host.deadLetter(this, entry, 'expired');
        return 'ok';
      }
      if (this.store !== undefined && msg.deliveryMode === 2) this.persist(msg, entry, now);
      if (c !== undefined) {
        this.deliverTo(c, entry);
        return 'ok';
      }
    } else if (this.store !== undefined && msg.deliveryMode === 2) {
      this.persist(msg, entry, now);
    }
    this.pushReady(entry);
    if (entry.expiresAt !== 0) this.scheduleExpiry(now);
    if (this.consumers.length > 0) this.dispatch();
    return 'ok';
  }

  /** Applies x-max-length(-bytes): with drop-head the oldest messages make room; false if it cannot fit. */
  private makeRoomFor(msg: Message): boolean {
    const s = this.settings;
    const maxLen = s.maxLength ?? Infinity;
    const maxBytes = s.maxLengthBytes ?? Infinity;
    if (maxLen < 1 || msg.bodySize > maxBytes) return false;
    if (this.ready.length + 1 <= maxLen && this.ready.bytes + msg.bodySize <= maxBytes) return true;
    if (s.overflow !== 'drop-head') return false;
    while (this.ready.length > 0 && (this.ready.length + 1 > maxLen || this.ready.bytes + msg.bodySize > maxBytes)) {
      this.drop(this.takeHead()!, 'maxlen');
    }
    return true;
  }

  /** Delivers ready messages to consumers that have capacity. */
  dispatch(): void {
    if (this.consumers.length === 0) return;
    const now = this.ttlTimer !== undefined ? Date.now() : 0;
    while (this.ready.length > 0) {
      const c = this.pickConsumer();
      if (c === undefined) break;
      const entry = this.takeHead()!;
      if (entry.expiresAt !== 0 && entry.expiresAt <= (now || Date.now())) {
        this.drop(entry, 'expired');
        continue;
      }
      this.deliverTo(c, entry);
    }
    this.checkFlow();
  }

  private deliverTo(c: Consumer, entry: QueueEntry): void {
    this.deliveredCount++;
    const s = this.stats;
    if (s !== undefined) {
      if (c.noAck) s.deliverNoAck++;
      else s.deliver++;
      if (entry.redelivered) s.redeliver++;
    }
    if (entry.deliveryCount !== 0) this.withDeliveryCount(entry);
    if (c.noAck) this.discard(entry);
    else {
      this.unackedCount++;
      if (entry.storeId !== 0) {
        this.store!.markDelivered(this.storeKey, entry.storeId);
        this.store!.requestSync();
      }
    }
    c.owner.deliver(c, entry);
  }

  /** basic.get: the next live ready entry, expired ones dead-lettered on the way. */
  get(now: number): QueueEntry | undefined {
    this.touch();
    for (;;) {
      const entry = this.takeHead();
      if (entry === undefined) return undefined;
      if (entry.expiresAt !== 0 && entry.expiresAt <= now) {
        this.drop(entry, 'expired');
        continue;
      }
      this.deliveredCount++;
      if (entry.deliveryCount !== 0) this.withDeliveryCount(entry);
      if (entry.storeId !== 0) {
        this.store!.markDelivered(this.storeKey, entry.storeId);
        this.store!.requestSync();
      }
      this.checkFlow();
      return entry;
    }
  }

  /**
   * Returns unacknowledged entries to the head of the queue, oldest first. `failed` marks a
   * failed delivery attempt (basic.reject with requeue, a channel that closed while holding the
   * message), which counts towards x-delivery-limit as in RabbitMQ 4.3; past the limit the
   * message is dead-lettered with reason delivery_limit instead of requeued.
   */
  requeue(entries: QueueEntry[], failed = false): void {
    if (this.deleted) return;
    const limit = this.settings.deliveryLimit ?? -1;
    for (let i = entries.length - 1; i >= 0; i--) {
      const e = entries[i]!;
      if (failed) {
        e.deliveryCount++;
        if (limit >= 0 && e.deliveryCount > limit) {
          this.drop(e, 'delivery_limit');
          continue;
        }
        // The count survives a restart with the message.
        if (e.storeId > 0) this.store!.markDelivered(this.storeKey, e.storeId, e.deliveryCount);
      }
      e.redelivered = true;
      this.loadedBytes += e.size;
      this.ready.unshift(e);
      if (e.expiresAt !== 0) this.scheduleExpiry(Date.now());
    }
    this.dispatch();
  }

  /** A redelivery after failed attempts carries the x-delivery-count header (rare path: rebuilt once). */
  private withDeliveryCount(entry: QueueEntry): void {
    const n = entry.deliveryCount;
    const msg = entry.msg;
    const props = msg.properties();
    const current = props.headers?.['x-delivery-count'];
    if (current instanceof Typed && current.value === n) return;
    const headers: FieldTable = { ...(props.headers ?? {}), 'x-delivery-count': new Typed('l', n) };
    const m = withProperties(msg, { ...props, headers });
    m.storeId = msg.storeId;
    m.expirationMs = msg.expirationMs;
    entry.pageIn(m);
  }

  /** An unacked delivery was settled (ack, reject, or dropped with its channel). */
  settled(count: number): void {
    this.unackedCount -= count;
  }

  addConsumer(c: Consumer): void {
    let i = this.consumers.length;
    while (i > 0 && this.consumers[i - 1]!.priority < c.priority) i--;
    this.consumers.splice(i, 0, c);
    if (c.priority !== this.consumers[0]!.priority || c.priority !== this.consumers[this.consumers.length - 1]!.priority) {
      this.uniformPriority = false;
    }
    this.hadConsumers = true;
    this.touch();
    this.dispatch();
  }

  /** Removes a consumer; auto-delete queues go away with their last consumer. */
  removeConsumer(c: Consumer): void {
    const i = this.consumers.indexOf(c);
    if (i < 0) return;
    this.consumers.splice(i, 1);
    if (this.rr > i) this.rr--;
    if (this.consumers.length === 0) {
      this.uniformPriority = true;
      this.touch();
      if (this.autoDelete && this.hadConsumers) {
        this.host.deleteQueue(this);
        return;
      }
    } else if (this.settings.singleActiveConsumer && i === 0) {
      this.dispatch(); // the next consumer becomes active
    }
  }

  hasExclusiveConsumer(): boolean {
    return this.consumers.length > 0 && this.consumers.some((c) => c.exclusive);
  }

  /** Chooses the next consumer with capacity: highest priority first, round-robin within it. */
  private pickConsumer(): Consumer | undefined {
    const cs = this.consumers;
    const n = cs.length;
    if (n === 0) return undefined;
    if (this.settings.singleActiveConsumer) {
      const c = cs[0]!;
      return c.owner.canDeliver(c) ? c : undefined;
    }
    if (this.uniformPriority) {
      for (let i = 0; i < n; i++) {
        const idx = (this.rr + i) % n;
        const c = cs[idx]!;
        if (c.owner.canDeliver(c)) {
          this.rr = idx + 1 === n ? 0 : idx + 1;
          return c;
        }
      }
      return undefined;
    }
    // Priority groups: the first group (highest priority) with an available consumer wins;
    // the chosen consumer moves to the end of its group for round-robin.
    for (let g = 0; g < n; ) {
      const p = cs[g]!.priority;
      let end = g;
      while (end < n && cs[end]!.priority === p) end++;
      for (let i = g; i < end; i++) {
        const c = cs[i]!;
        if (c.owner.canDeliver(c)) {
          if (end - g > 1) {
            cs.splice(i, 1);
            cs.splice(end - 1, 0, c);
          }
          return c;
        }
      }
      g = end;
    }
    return undefined;
  }

  purge(): number {
    const n = this.ready.length;
    for (const e of this.ready.drain()) this.discard(e);
    this.loadedBytes = 0;
    this.checkFlow();
    return n;
  }

  /** The broker is stopping: no timer may fire afterwards (it would touch a closed store). */
  stopTimers(): void {
    clearTimeout(this.ttlTimer);
    clearTimeout(this.expiresTimer);
    this.ttlTimer = this.expiresTimer = undefined;
  }

  /** Deletes the queue: consumers are cancelled by the server; returns the ready count. */
  destroy(): number {
    this.deleted = true;
    const n = this.ready.length;
    this.ready.drain();
    this.loadedBytes = 0;
    this.store?.removeQueue(this.storeKey);
    clearTimeout(this.ttlTimer);
    clearTimeout(this.expiresTimer);
    const consumers = this.consumers.splice(0);
    for (const c of consumers) c.owner.cancelledByServer(c);
    this.releaseThrottled();
    return n;
  }

  // ---- flow control -------------------------------------------------------------------

  /** Whether a publisher feeding this queue should pause (consumers are falling behind). */
  get overloaded(): boolean {
    return this.ready.length > FLOW_HIGH && this.consumers.length > 0;
  }

  throttle(p: ThrottledPublisher): void {
    (this.throttled ??= new Set()).add(p);
  }

  private checkFlow(): void {
    if (this.throttled !== undefined && this.throttled.size > 0 && (this.ready.length < FLOW_LOW || this.consumers.length === 0)) {
      this.releaseThrottled();
    }
  }

  private releaseThrottled(): void {
    if (this.throttled === undefined) return;
    const list = [...this.throttled];
    this.throttled.clear();
    for (const p of list) p.unthrottle(this);
  }

  forgetPublisher(p: ThrottledPublisher): void {
    this.throttled?.delete(p);
  }

  // ---- TTL and expiry -----------------------------------------------------------------

  /** Expires messages at the head of the queue, as RabbitMQ does. */
  private expireHead(now: number): void {
    for (let e = this.ready.peek(); e !== undefined && e.expiresAt !== 0 && e.expiresAt <= now; e = this.ready.peek()) {
      this.drop(this.takeHead()!, 'expired');
    }
    this.checkFlow();
  }

  private scheduleExpiry(now: number): void {
    const head = this.ready.peek();
    if (head === undefined || head.expiresAt === 0) return;
    const at = head.expiresAt;
    if (this.ttlTimer !== undefined && this.ttlTimerAt <= at) return;
    clearTimeout(this.ttlTimer);
    this.ttlTimerAt = at;
    this.ttlTimer = setTimeout(() => {
      this.ttlTimer = undefined;
      this.ttlTimerAt = 0;
      if (this.deleted) return;
      const t = Date.now();
      this.expireHead(t);
      this.scheduleExpiry(t);
    }, Math.max(0, at - now + 1));
    this.ttlTimer.unref();
  }

  /** Records use of the queue for x-expires (consumers, basic.get, redeclare). */
  touch(): void {
    const ms = this.settings.expires;
    if (ms === undefined) return;
    clearTimeout(this.expiresTimer);
    this.expiresTimer = undefined;
    if (this.consumers.length > 0) return;
    this.expiresTimer = setTimeout(() => {
      if (!this.deleted && this.consumers.length === 0) this.host.deleteQueue(this);
    }, ms);
    this.expiresTimer.unref();
  }
}
