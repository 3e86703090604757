import type { QueueDeclareOk } from '@warren/protocol';
import { Binding, Exchange, Queue, exchangeName } from './entities.js';
import type { WireChannel } from './wire/wire-channel.js';

export interface QueueDeclareResult {
  queue: string;
  messageCount: number;
  consumerCount: number;
}

/** Hears about server-named queues that got a new name when re-declared. */
export interface TopologyListener {
  queueRenamed(queue: Queue, oldName: string, newName: string): void;
  recoveryError(err: Error, entity: Exchange | Queue | Binding): void;
}

/**
 * Everything the application declared on a connection, in declaration order, so that it can be
 * declared again on a fresh connection (topology recovery). `declared` holds what exists on the
 * current connection; it is emptied on every reconnect.
 */
export class Topology {
  private readonly exchanges = new Map<string, Exchange>();
  private readonly queues = new Set<Queue>();
  private readonly bindings: Binding[] = [];
  readonly declared = new WeakSet<object>();

  constructor(private readonly listener: TopologyListener) {}

  async declareExchange(ch: WireChannel, e: Exchange): Promise<void> {
    if (e.isDefault) return;
    await ch.call({
      name: 'exchange.declare', exchange: e.name, type: e.type, passive: e.passive, durable: e.durable,
      autoDelete: e.autoDelete, internal: e.internal, nowait: false, arguments: e.arguments,
    });
    this.exchanges.set(e.name, e);
    this.declared.add(e);
  }

  async declareQueue(ch: WireChannel, q: Queue): Promise<QueueDeclareResult> {
    const ok = (await ch.call({
      name: 'queue.declare', queue: q.serverNamed ? '' : q.name, passive: q.passive, durable: q.durable,
      exclusive: q.exclusive, autoDelete: q.autoDelete, nowait: false, arguments: q.arguments,
    })) as QueueDeclareOk;
    const old = q.name;
    q.name = ok.queue;
    this.queues.add(q);
    this.declared.add(q);
    if (q.serverNamed && old !== '' && old !== ok.queue) this.listener.queueRenamed(q, old, ok.queue);
    for (const spec of q.bindings) {
      if (typeof spec.exchange !== 'string' && !this.declared.has(spec.exchange)) await this.declareExchange(ch, spec.exchange);
      await ch.call({
        name: 'queue.bind', queue: q.name, exchange: exchangeName(spec.exchange), routingKey: spec.routingKey ?? '',
        nowait: false, arguments: spec.arguments ?? {},
      });
    }
    return { queue: ok.queue, messageCount: ok.messageCount, consumerCount: ok.consumerCount };
  }

  async bind(ch: WireChannel, b: Binding): Promise<void> {
    if (typeof b.source !== 'string' && !this.declared.has(b.source)) await this.declareExchange(ch, b.source);
    if (!this.declared.has(b.destination)) await this.declareEntity(ch, b.destination);
    const source = exchangeName(b.source);
    if (b.destination instanceof Queue) {
      await ch.call({ name: 'queue.bind', queue: b.destination.name, exchange: source, routingKey: b.routingKey, nowait: false, arguments: b.arguments });
    } else {
      await ch.call({ name: 'exchange.bind', destination: b.destination.name, source, routingKey: b.routingKey, nowait: false, arguments: b.arguments });
    }
    if (!this.bindings.includes(b)) this.bindings.push(b);
    this.declared.add(b);
  }

  async unbind(ch: WireChannel, b: Binding): Promise<void> {
    const source = exchangeName(b.source);
    if (b.destination instanceof Queue) {
      await ch.call({ name: 'queue.unbind', queue: b.destination.name, exchange: source, routingKey: b.routingKey, arguments: b.arguments });
    } else {
      await ch.call({ name: 'exchange.unbind', destination: b.destination.name, source, routingKey: b.routingKey, nowait: false, arguments: b.arguments });
    }
    this.forgetBinding(b);
  }

  async declareEntity(ch: WireChannel, e: Exchange | Queue | Binding): Promise<unknown> {
    if (e instanceof Exchange) return this.declareExchange(ch, e);
    if (e instanceof Queue) return this.declareQueue(ch, e);
    return this.bind(ch, e);
  }

  forgetQueue(name: string): void {
    for (const q of this.queues) {
      if (q.name !== name) continue;
      this.queues.delete(q);
      this.declared.delete(q);
    }
    for (let i = this.bindings.length - 1; i >= 0; i--) {
      const d = this.bindings[i]!.destination;
      if (d instanceof Queue && d.name === name) this.bindings.splice(i, 1);
    }
  }

  forgetExchange(name: string): void {
    const e = this.exchanges.get(name);
    this.exchanges.delete(name);
    if (e !== undefined) this.declared.delete(e);
    for (let i = this.bindings.length - 1; i >= 0; i--) {
      const b = this.bindings[i]!;
      if (exchangeName(b.source) === name || (b.destination instanceof Exchange && b.destination.name === name)) this.bindings.splice(i, 1);
    }
  }

  private forgetBinding(b: Binding): void {
    const i = this.bindings.indexOf(b);
    if (i >= 0) this.bindings.splice(i, 1);
    this.declared.delete(b);
  }

  /** Everything to declare again on a new connection, in order: exchanges, queues, bindings. */
  entities(): Array<Exchange | Queue | Binding> {
    return [...this.exchanges.values(), ...this.queues, ...this.bindings];
  }

  /** Marks every entity as not yet declared on the (new) connection. */
  forgetSession(): void {
    for (const e of this.entities()) this.declared.delete(e);
  }
}
