import type { FieldTable } from '@warren/protocol';
import { accessRefused, connectionError, notFound, preconditionFailed, resourceLocked } from '../errors.js';
import { delayedTypeOf, Exchange, EXCHANGE_TYPES, type BindingDestination, type ExchangeType } from '../exchange/exchange.js';
import { delayOf, DelayedScheduler, type DelayedHost } from '../exchange/delayed-scheduler.js';
import { withProperties, withoutBcc } from '../message/build-message.js';
import { PF_HEADERS } from '../message/property-flags.js';
import { ExchangeCounters } from '../stats/counters.js';
import type { Message } from '../message/message.js';
import { deadLetterProperties, isDeadLetterCycle } from '../queue/dead-letter.js';
import { EQUIVALENCE_CHECKED_QUEUE_ARGS, parseQueueArguments } from '../queue/queue-arguments.js';
import type { QueueEntry } from '../queue/queue-entry.js';
import { Queue, type DeadLetterReason, type QueueHost } from '../queue/queue.js';
import { describeExchange, describeQueue, generatedName } from '../util/names.js';
import { checkArgs, checkFlag } from './equivalence.js';
import { headersBindingArgsError } from '../routing/headers-router.js';
import { PolicySet, type EffectivePolicy } from '../policy/policy-set.js';
import type { PolicyInput, PolicyKind, PolicyTarget } from '../policy/policy.js';
import { queueSettingsWithPolicy } from '../policy/queue-policy.js';

export interface ExchangeDeclaration {
  name: string; type: string; passive: boolean; durable: boolean; autoDelete: boolean; internal: boolean; args: FieldTable;
}
export interface QueueDeclaration {
  name: string; passive: boolean; durable: boolean; exclusive: boolean; autoDelete: boolean; args: FieldTable;
}

/** Notified of topology changes, so durable ones can be persisted. */
export interface TopologyListener {
  queueCreated(queue: Queue): void;
  /** A durable exchange, queue or binding was added or removed. */
  durableChanged(): void;
}

const ROUTE_CACHE_MAX = 4096;
const MAX_EXCHANGE_HOPS = 64;
let routeEpoch = 0;

/**
 * A virtual host: its exchanges, queues and bindings, declaration rules and routing.
 * Routing results are cached per exchange and routing key and invalidated by any
 * topology change (the vhost's version number).
 */
export class VirtualHost implements QueueHost, DelayedHost {
  readonly exchanges = new Map<string, Exchange>();
  readonly queues = new Map<string, Queue>();
  private version = 0;
  listener: TopologyListener | undefined;
  /** Consumer acknowledgement timeout when a queue sets none (broker option consumerTimeoutMs). */
  consumerTimeoutMs = 30 * 60_000;
  /** Policies and operator policies of this vhost. */
  readonly policies = new PolicySet();
  /** Messages held by this vhost's x-delayed-message exchanges. */
  readonly delayed: DelayedScheduler;

  constructor(
    readonly name: string,
    /** Whether exchanges keep message counters (the broker's stats option). */
    private readonly statsEnabled = false,
  ) {
    this.delayed = new DelayedScheduler(name, this);
    this.addExchange(new Exchange('', name, 'direct', true, false, false, {}, true));
    for (const [n, t] of [['amq.direct', 'direct'], ['amq.fanout', 'fanout'], ['amq.topic', 'topic'], ['amq.headers', 'headers'], ['amq.match', 'headers']] as const) {
      this.addExchange(new Exchange(n, name, t, true, false, false, {}));
    }
  }

  private addExchange(e: Exchange): void {
    if (this.statsEnabled) e.stats = new ExchangeCounters();
    this.exchanges.set(e.name, e);
    this.version++;
  }

  // ---- exchanges ----------------------------------------------------------------------

  declareExchange(d: ExchangeDeclaration): Exchange {
    const what = describeExchange(d.name, this.name);
    if (d.name === '') throw accessRefused(`operation not permitted on the default exchange`);
    const existing = this.exchanges.get(d.name);
    if (d.passive) {
      if (existing === undefined) throw notFound(`no ${what}`);
      return existing;
    }
    if (!EXCHANGE_TYPES.includes(d.type as ExchangeType)) {
      throw connectionError(503, `unknown exchange type '${d.type}'`);
    }
    if (existing !== undefined) {
      checkFlag(what, 'type', d.type, existing.type);
      checkFlag(what, 'durable', d.durable, existing.durable);
      checkFlag(what, 'auto_delete', d.autoDelete, existing.autoDelete);
      checkFlag(what, 'internal', d.internal, existing.internal);
      checkArgs(what, d.args, existing.args, ['alternate-exchange']);
      return existing;
    }
    if (d.name.startsWith('amq.')) throw accessRefused(`exchange name '${d.name}' contains reserved prefix 'amq.*'`);
    const ae = d.args['alternate-exchange'];
    if (ae !== undefined && typeof ae !== 'string' && !Buffer.isBuffer(ae)) {
      throw preconditionFailed(`invalid arg 'alternate-exchange' for ${what}: {unacceptable_type,${typeof ae === 'number' ? (Number.isInteger(ae) ? 'long' : 'double') : typeof ae === 'boolean' ? 'bool' : 'table'}}`);
    }
    if (d.type === 'x-delayed-message' && delayedTypeOf(d.args) === undefined) {
      // The delayed-message plugin's wording.
      throw preconditionFailed(`Invalid argument, 'x-delayed-type' must be an existing exchange type`);
    }
    const ex = new Exchange(d.name, this.name, d.type as ExchangeType, d.durable, d.autoDelete, d.internal, d.args);
    this.applyExchangePolicy(ex);
    this.addExchange(ex);
    if (ex.durable) this.listener?.durableChanged();
    return ex;
  }

  /** Finds an exchange or fails with 404 in RabbitMQ's words. */
  exchange(name: string): Exchange {
    const ex = this.exchanges.get(name);
    if (ex === undefined) throw notFound(`no ${describeExchange(name, this.name)}`);
    return ex;
  }

  deleteExchange(name: string, ifUnused: boolean): void {
    if (name === '' || name.startsWith('amq.')) {
      throw accessRefused(name === '' ? 'operation not permitted on the default exchange' : `deletion of system ${describeExchange(name, this.name)} not allowed`);
    }
    const ex = this.exchanges.get(name);
    if (ex === undefined) return; // idempotent, as in RabbitMQ
    if (ifUnused && (ex.router.bindingCount > 0 || ex.inboundBindings > 0)) {
      throw preconditionFailed(`${describeExchange(name, this.name)} in use`);
    }
    this.removeExchange(ex);
  }

  private removeExchange(ex: Exchange): void {
    ex.deleted = true;
    if (ex.delayedType !== undefined) this.delayed.dropExchange(ex.name);
    this.exchanges.delete(ex.name);
    for (const b of [...ex.router.bindings()]) if (b.target instanceof Exchange) b.target.inboundBindings--;
    // bindings where this exchange is the destination
    for (const src of this.exchanges.values()) {
      if (src.router.hasBindingsTo(ex)) src.router.unbindAll(ex);
    }
    this.version++;
    if (ex.durable) this.listener?.durableChanged();
  }

  // ---- queues -------------------------------------------------------------------------

  declareQueue(d: QueueDeclaration, connectionId: number): { queue: Queue; created: boolean } {
    const name = d.name === '' ? generatedName('amq.gen-') : d.name;
    const what = describeQueue(name, this.name);
    const existing = this.queues.get(name);
    if (existing !== undefined) {
      this.checkExclusiveAccess(existing, connectionId);
      if (!d.passive) {
        checkFlag(what, 'durable', d.durable, existing.durable);
        checkFlag(what, 'auto_delete', d.autoDelete, existing.autoDelete);
        if (d.exclusive !== (existing.exclusiveOwner !== 0)) throw this.lockedError(name);
        checkArgs(what, d.args, existing.args, EQUIVALENCE_CHECKED_QUEUE_ARGS);
      }
      existing.touch();
      return { queue: existing, created: false };
    }
    if (d.passive) throw notFound(`no ${what}`);
    if (name.startsWith('amq.') && d.name !== '') throw accessRefused(`queue name '${name}' contains reserved prefix 'amq.*'`);
    const settings = parseQueueArguments(d.args, name, this.name);
    if (settings.queueType === 'quorum' && (!d.durable || d.exclusive || d.autoDelete)) {
      throw preconditionFailed(`invalid property '${!d.durable ? 'non-durable' : d.exclusive ? 'exclusive' : 'auto-delete'}' for ${what}`);
    }
    const q = new Queue(name, this.name, d.durable, d.exclusive ? connectionId : 0, d.autoDelete, d.args, settings, this);
    this.applyQueuePolicy(q);
    this.queues.set(name, q);
    this.version++;
    this.listener?.queueCreated(q);
    if (q.durable && !d.exclusive) this.listener?.durableChanged();
    return { queue: q, created: true };
  }

  private lockedError(name: string) {
    return resourceLocked(
      `cannot obtain exclusive access to locked ${describeQueue(name, this.name)}. It could be originally declared on another connection or the exclusive property value does not match that of the original declaration.`,
    );
  }

  private checkExclusiveAccess(q: Queue, connectionId: number): void {
    if (q.exclusiveOwner !== 0 && q.exclusiveOwner !== connectionId) throw this.lockedError(q.name);
  }

  /** A queue this connection may use: 404 if missing, 405 if another connection's exclusive queue. */
  queue(name: string, connectionId: number): Queue {
    const q = this.queues.get(name);
    if (q === undefined) throw notFound(`no ${describeQueue(name, this.name)}`);
    this.checkExclusiveAccess(q, connectionId);
    return q;
  }

  deleteQueueChecked(name: string, ifUnused: boolean, ifEmpty: boolean, connectionId: number): number {
    const q = this.queues.get(name);
    if (q === undefined) return 0; // idempotent, as in RabbitMQ
    this.checkExclusiveAccess(q, connectionId);
    if (ifUnused && q.consumerCount > 0) throw preconditionFailed(`${describeQueue(name, this.name)} in use`);
    if (ifEmpty && q.messageCount > 0) throw preconditionFailed(`${describeQueue(name, this.name)} not empty`);
    return this.removeQueue(q);
  }

  /** QueueHost: auto-delete and x-expires. */
  deleteQueue(q: Queue): void {
    if (!q.deleted) this.removeQueue(q);
  }

  private removeQueue(q: Queue): number {
    this.queues.delete(q.name);
    for (const ex of [...this.exchanges.values()]) {
      if (ex.router.hasBindingsTo(q)) {
        ex.router.unbindAll(q);
        this.maybeAutoDeleteExchange(ex);
      }
    }
    this.version++;
    const n = q.destroy();
    if (q.durable && q.exclusiveOwner === 0) this.listener?.durableChanged();
    return n;
  }

  /** Exclusive queues die with their connection. */
  connectionClosed(connectionId: number): void {
    for (const q of [...this.queues.values()]) {
      if (q.exclusiveOwner === connectionId) this.removeQueue(q);
    }
  }

  // ---- policies -----------------------------------------------------------------------

  private static queueTarget(q: Queue): PolicyTarget {
    return { type: 'queue', queueType: q.argSettings.queueType };
  }

  private applyQueuePolicy(q: Queue): void {
    const eff = this.policies.effective(q.name, VirtualHost.queueTarget(q));
    q.policyName = eff.policy;
    q.operatorPolicyName = eff.operatorPolicy;
    q.applySettings(queueSettingsWithPolicy(q.argSettings, q.args, eff.definition));
  }

  private applyExchangePolicy(ex: Exchange): void {
    if (ex.isDefault) return;
    const eff = this.policies.effective(ex.name, { type: 'exchange' });
    ex.policyName = eff.policy;
    const ae = eff.definition['alternate-exchange'];
    ex.policyAlternateExchange = typeof ae === 'string' ? ae : undefined;
  }

  /** Validates and stores a policy, then applies it to every existing queue and exchange. */
  setPolicy(kind: PolicyKind, p: PolicyInput): void {
    this.policies.set(kind, p);
    this.reapplyPolicies();
  }

  clearPolicy(kind: PolicyKind, name: string): boolean {
    if (!this.policies.clear(kind, name)) return false;
    this.reapplyPolicies();
    return true;
  }

  /** The policy, operator policy and merged definition in force for a queue or exchange. */
  effectivePolicy(name: string, type: 'queue' | 'exchange'): EffectivePolicy {
    if (type === 'exchange') return this.policies.effective(name, { type: 'exchange' });
    const q = this.queues.get(name);
    return this.policies.effective(name, q !== undefined ? VirtualHost.queueTarget(q) : { type: 'queue', queueType: 'classic' });
  }

  private reapplyPolicies(): void {
    for (const ex of this.exchanges.values()) this.applyExchangePolicy(ex);
    for (const q of [...this.queues.values()]) this.applyQueuePolicy(q);
    this.version++; // alternate exchanges may have changed: cached routes are stale
  }

  // ---- bindings -----------------------------------------------------------------------

  bind(source: Exchange, destination: BindingDestination, key: string, args: FieldTable): void {
    if (source.isDefault || (destination instanceof Exchange && destination.isDefault)) {
      throw accessRefused(`operation not permitted on the default exchange`);
    }
    if (source.type === 'headers') {
      const invalid = headersBindingArgsError(args);
      if (invalid !== null) throw preconditionFailed(invalid);
    }
    if (source.router.bind(key, args, destination)) {
      if (destination instanceof Exchange) destination.inboundBindings++;
      this.version++;
      if (source.durable && destination.durable) this.listener?.durableChanged();
    }
  }

  unbind(source: Exchange, destination: BindingDestination, key: string, args: FieldTable): void {
    if (source.isDefault || (destination instanceof Exchange && destination.isDefault)) {
      throw accessRefused(`operation not permitted on the default exchange`);
    }
    if (source.router.unbind(key, args, destination)) {
      if (destination instanceof Exchange) {
        destination.inboundBindings--;
        this.maybeAutoDeleteExchange(destination);
      }
      this.version++;
      if (source.durable && destination.durable) this.listener?.durableChanged();
      this.maybeAutoDeleteExchange(source);
    }
  }

  /** Auto-delete exchanges go away when their last binding (as source) is removed. */
  private maybeAutoDeleteExchange(ex: Exchange): void {
    if (ex.autoDelete && !ex.deleted && ex.router.bindingCount === 0) this.removeExchange(ex);
  }

  // ---- routing ------------------------------------------------------------------------

  /**
   * Queues a message published to `ex` with `routingKey` reaches: each at most once, through
   * exchange-to-exchange bindings and alternate exchanges. Cached unless headers matter.
   */
  route(ex: Exchange, routingKey: string, msg: Message | undefined): Queue[] {
    if (ex.cacheVersion !== this.version) {
      ex.routeCache.clear();
      ex.cacheVersion = this.version;
    }
    const cached = ex.routeCache.get(routingKey);
    if (cached !== undefined) return cached;
    const out: Queue[] = [];
    const epoch = ++routeEpoch;
    const usedHeaders = this.routeInto(ex, routingKey, undefined, msg, out, epoch, epoch, 0);
    if (!usedHeaders) {
      if (ex.routeCache.size >= ROUTE_CACHE_MAX) ex.routeCache.clear();
      ex.routeCache.set(routingKey, out);
    }
    return out;
  }

  /**
   * Routes with the message's routing key plus extra keys (CC/BCC) in one pass, as RabbitMQ
   * does: every exchange matches all keys at once, and its alternate exchange is used only when
   * none of them matched.
   */
  routeExtraKeys(ex: Exchange, keys: readonly string[], msg: Message): Queue[] {
    const out: Queue[] = [];
    const epoch = ++routeEpoch;
    this.routeInto(ex, msg.routingKey, keys, msg, out, epoch, epoch, 0);
    return out;
  }

  /**
   * Returns whether the result depended on message headers (not cacheable). `epoch` marks
   * queues already chosen (one copy per queue); `exEpoch` marks exchanges visited in this
   * pass (each exchange routes once, which also ends cycles of exchange-to-exchange bindings).
   * An exchange's alternate exchange is used when its own bindings match nothing (RabbitMQ:
   * even if they match only exchanges that route nowhere).
   */
  private routeInto(ex: Exchange, key: string, extra: readonly string[] | undefined, msg: Message | undefined, out: Queue[], epoch: number, exEpoch: number, depth: number): boolean {
    if (ex.routeMark === exEpoch || depth > MAX_EXCHANGE_HOPS) return false;
    ex.routeMark = exEpoch;
    let usedHeaders = false;
    let matched: number;
    if (ex.isDefault) {
      matched = this.addQueueNamed(key, out, epoch);
      if (extra !== undefined) for (const k of extra) matched += this.addQueueNamed(k, out, epoch);
    } else {
      const targets: BindingDestination[] = [];
      let headers: FieldTable | undefined;
      if (ex.router.usesHeaders) {
        usedHeaders = true;
        headers = msg?.headers() ?? undefined;
      }
      ex.router.route(key, headers, targets);
      if (extra !== undefined) for (const k of extra) ex.router.route(k, headers, targets);
      matched = targets.length;
      for (const t of targets) {
        if (t instanceof Queue) {
          if (t.routeMark !== epoch) {
            t.routeMark = epoch;
            out.push(t);
          }
        } else {
          if (this.routeInto(t, key, extra, msg, out, epoch, exEpoch, depth + 1)) usedHeaders = true;
        }
      }
    }
    if (matched === 0) {
      const aeName = ex.alternateExchange;
      const ae = aeName !== undefined ? this.exchanges.get(aeName) : undefined;
      if (ae !== undefined && this.routeInto(ae, key, extra, msg, out, epoch, exEpoch, depth + 1)) usedHeaders = true;
    }
    return usedHeaders;
  }

  /** Default exchange: the queue named by the key; returns 1 when it exists. */
  private addQueueNamed(key: string, out: Queue[], epoch: number): number {
    const q = this.queues.get(key);
    if (q === undefined) return 0;
    if (q.routeMark !== epoch) {
      q.routeMark = epoch;
      out.push(q);
    }
    return 1;
  }

  // ---- delayed messages ---------------------------------------------------------------

  /** DelayedHost: a held message is due; it is routed now by its exchange's x-delayed-type. */
  releaseDelayed(held: Message): void {
    const ex = this.exchanges.get(held.exchange);
    if (ex === undefined || ex.delayedType === undefined) return;
    const targets = this.routeCopies(ex, held);
    if (ex.stats !== undefined) ex.stats.publishOut += targets.length;
    this.enqueueAll(targets, withoutBcc(held));
  }

  /**
   * Publishes a message that comes from outside any channel (the management API): a delayed
   * exchange holds it; otherwise it is routed (CC and BCC included) and enqueued. Returns whether
   * a queue took it or the exchange holds it.
   */
  publishDirect(ex: Exchange, msg: Message): boolean {
    const delay = ex.delayedType !== undefined ? delayOf(msg) : 0;
    if (delay > 0) {
      this.delayed.hold(msg, delay, ex.durable, Date.now());
      ex.stats?.published(0);
      return true;
    }
    const targets = this.routeCopies(ex, msg);
    ex.stats?.published(targets.length);
    this.enqueueAll(targets, withoutBcc(msg));
    return targets.length > 0;
  }

  /**
   * Routes a published message by its routing key plus the keys of its CC and BCC headers, in one
   * pass (one copy per queue). Queues should get `withoutBcc(msg)`.
   */
  routeCopies(ex: Exchange, msg: Message): Queue[] {
    if ((msg.propertyFlags & PF_HEADERS) === 0) return this.route(ex, msg.routingKey, msg);
    const headers = msg.headers();
    const extra = headerKeys(headers?.['CC']);
    extra.push(...headerKeys(headers?.['BCC']));
    return extra.length > 0 ? this.routeExtraKeys(ex, extra, msg) : this.route(ex, msg.routingKey, msg);
  }

  private enqueueAll(targets: Queue[], msg: Message): void {
    const now = Date.now();
    for (const q of targets) q.enqueue(msg, now);
  }

  // ---- dead-lettering -----------------------------------------------------------------

  /** QueueHost: republishes a dead message to the queue's dead-letter exchange. */
  deadLetter(queue: Queue, entry: QueueEntry, reason: DeadLetterReason): void {
    const dlxName = queue.settings.deadLetterExchange;
    if (dlxName === undefined) return;
    const dlx = this.exchanges.get(dlxName);
    if (dlx === undefined) return;
    const msg = entry.msg;
    const props = deadLetterProperties(msg, queue.name, reason, Date.now());
    const keys = queue.settings.deadLetterRoutingKey !== undefined ? [queue.settings.deadLetterRoutingKey] : [msg.routingKey];
    const dead = withProperties(msg, props, dlx.name, keys[0]!);
    let targets = this.route(dlx, keys[0]!, dead);
    if (queue.settings.deadLetterRoutingKey === undefined) {
      const cc = headerKeys(msg.headers()?.['CC']);
      if (cc.length > 0) targets = this.routeExtraKeys(dlx, cc, dead);
    }
    const now = Date.now();
    for (const q of targets) {
      if (isDeadLetterCycle(props, q.name)) continue;
      q.enqueue(dead, now);
    }
  }

  /** All bindings of this vhost (source, destination, key, args), for listing. */
  *bindings(): IterableIterator<{ source: Exchange; destination: BindingDestination; key: string; args: FieldTable }> {
    for (const ex of this.exchanges.values()) {
      if (ex.isDefault) continue;
      for (const b of ex.router.bindings()) yield { source: ex, destination: b.target, key: b.key, args: b.args };
    }
  }
}

/** The routing keys of a CC / BCC header: its strings (an array of longstr), else none. */
function headerKeys(v: unknown): string[] {
  const out: string[] = [];
  if (!Array.isArray(v)) return out;
  for (const k of v) {
    if (typeof k === 'string') out.push(k);
    else if (Buffer.isBuffer(k)) out.push(k.toString('utf8'));
  }
  return out;
}
