import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import type { BasicProperties, FieldTable, QueuePurgeOk, QueueDeleteOk } from '@warren/protocol';
import { Binding, Exchange, Queue } from './entities.js';
import { ClientClosedError, ConnectionLostError, isRecoverable } from './errors.js';
import { backoffDelay, sleep, type RetryPolicy } from './backoff.js';
import { ManagedChannel, type ChannelHost, type ManagedChannelOptions } from './managed-channel.js';
import { Topology, type QueueDeclareResult, type TopologyListener } from './topology.js';
import { openTransport } from './transport.js';
import { parseBrokerUrl, type BrokerAddress } from './url.js';
import { WireConnection, type WireListener } from './wire/wire-connection.js';
import { serializers, type SerializerRegistry } from './serialization.js';
import { Producer, type ProducerOptions, type PublishOptions } from './producer.js';
import { Consumer, type ConsumeOptions, type MessageHandler } from './consumer.js';
import { RpcClient, type RpcServeOptions, type RpcHandler } from './rpc.js';
import { SimpleQueue, type SimpleQueueOptions } from './simple-queue.js';

export interface ConnectionOptions {
  /** Heartbeat in seconds (default 60; 0 disables). A `heartbeat` URL parameter wins. */
  heartbeat?: number;
  frameMax?: number;
  channelMax?: number;
  /** Time allowed for TCP/TLS connect plus the AMQP handshake, ms (default 10 000). */
  connectionTimeout?: number;
  /** TLS options for amqps:// (ca, cert, key, rejectUnauthorized, servername...). */
  tls?: TlsOptions;
  /** Reconnect policy after the connection is lost, or false to stay down (default: retry forever, 100 ms..10 s). */
  reconnect?: RetryPolicy | false;
  /** Shown in the broker's management UI as connection_name. */
  name?: string;
  /** Serializer registry (default: the shared `serializers`). */
  serializers?: SerializerRegistry;
  /** Graceful close() waits this long for in-flight work, ms (default 10 000). */
  closeTimeout?: number;
}

export interface ConnectionEvents {
  connect: [info: { url: string; reconnect: boolean }];
  disconnect: [err: Error];
  reconnecting: [info: { attempt: number; delay: number; error: Error }];
  recovered: [];
  blocked: [reason: string];
  unblocked: [];
  queueRenamed: [info: { queue: Queue; oldName: string; newName: string }];
  recoveryError: [err: Error, entity: Exchange | Queue | Binding | undefined];
  close: [];
}

interface Waiter {
  resolve(w: WireConnection): void;
  reject(e: Error): void;
}

/** Something that must finish before close() ends the connection (producers, consumers). */
export interface Drainable {
  drain(deadline: number): Promise<void>;
  shutdown(err: Error): void;
}

/**
 * A connection that stays up: it reconnects (over a list of URLs, with back-off and jitter),
 * re-declares the topology, re-opens channels and re-starts consumers with their tags.
 * Create it with `connect(url | urls, options)`.
 */
export class Connection extends EventEmitter<ConnectionEvents> implements ChannelHost, WireListener, TopologyListener {
  private wire: WireConnection | undefined;
  private ready = false;
  private closing = false;
  private closedForGood = false;
  private readonly waiters: Waiter[] = [];
  private readonly addresses: BrokerAddress[];
  private addressIndex = 0;
  private readonly managed = new Set<ManagedChannel>();
  private readonly drainables = new Set<Drainable>();
  private readonly topologyChannel: ManagedChannel;
  private defaultProducer: Producer | undefined;
  private rpcClient: RpcClient | undefined;
  private sessions = 0;
  /** Set while connectTo() runs: a wire lost then makes connectTo() fail, not start a second loop. */
  private connecting = false;
  readonly topology: Topology;
  readonly serializers: SerializerRegistry;
  /** True while the broker has blocked publishing (resource alarm). */
  blocked = false;

  constructor(urls: string | string[], readonly options: ConnectionOptions = {}) {
    super();
    const list = Array.isArray(urls) ? urls : [urls];
    if (list.length === 0) throw new TypeError('at least one broker URL is needed');
    this.addresses = list.map(parseBrokerUrl);
    this.serializers = options.serializers ?? serializers;
    this.topology = new Topology(this);
    this.topologyChannel = this.channel({ confirm: false, keepOpen: false });
  }

  /** The URL of the broker currently connected to (password masked). */
  get url(): string {
    return this.addresses[this.addressIndex]!.display;
  }

  get isConnected(): boolean {
    return this.ready;
  }

  /** True once the connection was closed or gave up reconnecting. */
  get isDown(): boolean {
    return this.closing || this.closedForGood;
  }

  get isClosing(): boolean {
    return this.closing;
  }

  /** Broker properties from connection.start (product, version, capabilities). */
  get serverProperties(): FieldTable {
    return this.wire?.serverProperties ?? {};
  }

  /** Tries every URL once, in order; resolves on the first that accepts. */
  async start(): Promise<void> {
    let last: Error | undefined;
    for (let i = 0; i < this.addresses.length; i++) {
      try {
        await this.connectTo((this.addressIndex + i) % this.addresses.length, false);
        return;
      } catch (e) {
        last = e as Error;
      }
    }
    this.closedForGood = true;
    throw last ?? new ConnectionLostError('no broker URL');
  }

  private async connectTo(index: number, reconnect: boolean): Promise<void> {
    this.connecting = true;
    try {
      await this.connectOnce(index, reconnect);
    } finally {
      this.connecting = false;
    }
  }

  private async connectOnce(index: number, reconnect: boolean): Promise<void> {
    const addr = this.addresses[index]!;
    const o = this.options;
    const timeout = addr.connectionTimeout ?? o.connectionTimeout ?? 10_000;
    const stream = await openTransport(addr, o.tls, timeout);
    const wire = new WireConnection(stream, {
      username: addr.username,
      password: addr.password,
      vhost: addr.vhost,
      heartbeat: addr.heartbeat ?? o.heartbeat ?? 60,
      frameMax: addr.frameMax ?? o.frameMax ?? 131072,
      channelMax: addr.channelMax ?? o.channelMax ?? 2047,
      clientProperties: this.clientProperties(),
    }, this, addr.protocol === 'memory');
    await wire.open(timeout);
    if (this.closing) {
      await wire.close();
      throw new ClientClosedError('connection closed by the application');
    }
    this.wire = wire;
    this.addressIndex = index;
    this.sessions++;
    this.topology.forgetSession();
    await this.recoverTopology(wire);
    if (wire.closed) throw new ConnectionLostError('connection lost during recovery');
    this.ready = true;
    for (const w of this.waiters.splice(0)) w.resolve(wire);
    for (const m of this.managed) if (m.keepOpen) m.reopen();
    this.emit('connect', { url: addr.display, reconnect });
    if (reconnect) this.emit('recovered');
  }

  private clientProperties(): FieldTable {
    return {
      product: '@warren/client',
      version: '0.1.0',
      platform: `Node.js ${process.version}`,
      information: 'https://www.rabbitmq.com/ compatible AMQP 0-9-1 client',
      connection_name: this.options.name ?? `${hostname()}:${process.pid}`,
      capabilities: {
        publisher_confirms: true,
        exchange_exchange_bindings: true,
        'basic.nack': true,
        consumer_cancel_notify: true,
        'connection.blocked': true,
        authentication_failure_close: true,
        per_consumer_qos: true,
      },
    };
  }

  /** Declares again everything declared so far, on a throw-away channel of the new connection. */
  private async recoverTopology(wire: WireConnection): Promise<void> {
    const entities = this.topology.entities();
    if (entities.length === 0) return;
    let ch = await wire.openChannel();
    for (const e of entities) {
      try {
        if (ch.state !== 'open') ch = await wire.openChannel();
        await this.topology.declareEntity(ch, e);
      } catch (err) {
        if (wire.closed) throw err;
        this.emit('recoveryError', err as Error, e);
      }
    }
    if (ch.state === 'open') await ch.close();
  }

  // ------------------------------------------------------------------ WireListener

  onWireClosed(wire: WireConnection, err: Error): void {
    if (wire !== this.wire) return;
    this.wire = undefined;
    const wasReady = this.ready;
    this.ready = false;
    this.blocked = false;
    if (wasReady) this.emit('disconnect', err);
    if (this.closing || this.connecting) return;
    if (this.options.reconnect === false) {
      this.closedForGood = true;
      for (const w of this.waiters.splice(0)) w.reject(err);
      for (const d of this.drainables) d.shutdown(err);
      return;
    }
    void this.reconnectLoop(err);
  }

  onBlocked(reason: string): void {
    this.blocked = true;
    this.emit('blocked', reason);
  }

  onUnblocked(): void {
    this.blocked = false;
    this.emit('unblocked');
  }

  // ------------------------------------------------------------------ TopologyListener

  queueRenamed(queue: Queue, oldName: string, newName: string): void {
    this.emit('queueRenamed', { queue, oldName, newName });
  }

  recoveryError(err: Error, entity: Exchange | Queue | Binding): void {
    this.emit('recoveryError', err, entity);
  }

  channelReopenFailed(err: Error): void {
    this.emit('recoveryError', err, undefined);
  }

  private async reconnectLoop(cause: Error): Promise<void> {
    const policy = this.options.reconnect === false ? {} : (this.options.reconnect ?? {});
    const max = policy.maxRetries ?? Infinity;
    let error = cause;
    for (let attempt = 0; attempt < max && !this.closing; attempt++) {
      const delay = backoffDelay(policy, attempt);
      this.emit('reconnecting', { attempt: attempt + 1, delay, error });
      await sleep(delay);
      if (this.closing) return;
      // Fail over: the next URL in the list on every attempt.
      const index = (this.addressIndex + (attempt === 0 ? 0 : 1)) % this.addresses.length;
      this.addressIndex = index;
      try {
        await this.connectTo(index, true);
        return;
      } catch (e) {
        error = e as Error;
        if (this.wire !== undefined && !this.ready) {
          // connected but recovery failed: drop this connection and try again
          const w = this.wire;
          this.wire = undefined;
          w.destroy();
        }
      }
    }
    if (this.closing) return;
    this.closedForGood = true;
    const err = new ConnectionLostError(`gave up reconnecting after ${max} attempts: ${error.message}`);
    for (const w of this.waiters.splice(0)) w.reject(err);
    for (const d of this.drainables) d.shutdown(err);
  }

  // ------------------------------------------------------------------ ChannelHost

  /** The live wire connection, waiting through a reconnect if one is in progress. */
  waitReady(): Promise<WireConnection> {
    if (this.ready && this.wire !== undefined) return Promise.resolve(this.wire);
    if (this.closing) return Promise.reject(new ClientClosedError('connection was closed by the application'));
    if (this.closedForGood) return Promise.reject(new ConnectionLostError('connection is down and will not reconnect'));
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** A channel that re-opens itself across reconnects (used by producers, consumers, RPC). */
  channel(opts: ManagedChannelOptions): ManagedChannel {
    const m = new ManagedChannel(this, opts);
    this.managed.add(m);
    return m;
  }

  releaseChannel(m: ManagedChannel): Promise<void> {
    this.managed.delete(m);
    return m.close();
  }

  addDrainable(d: Drainable): void {
    this.drainables.add(d);
  }

  removeDrainable(d: Drainable): void {
    this.drainables.delete(d);
  }

  // ------------------------------------------------------------------ topology

  /**
   * Declares an exchange, a queue (with its bindings) or a binding now, and remembers it for
   * recovery. Resolves with the queue's name and counts for a queue.
   */
  declare(entity: Queue): Promise<QueueDeclareResult>;
  declare(entity: Exchange | Binding): Promise<void>;
  async declare(entity: Exchange | Queue | Binding): Promise<QueueDeclareResult | void> {
    const ch = await this.topologyChannel.get();
    return (await this.topology.declareEntity(ch, entity)) as QueueDeclareResult | void;
  }

  /** Declares the entity unless it already exists on the current connection (lazy declaration). */
  async ensureDeclared(entity: Exchange | Queue | Binding): Promise<void> {
    if (this.ready && this.topology.declared.has(entity)) return;
    await this.declare(entity as Queue);
  }

  isDeclared(entity: object): boolean {
    return this.ready && this.topology.declared.has(entity);
  }

  /** Binds a queue or exchange to an exchange (and remembers the binding for recovery). */
  async bind(destination: Queue | Exchange, source: Exchange | string, routingKey = '', args: FieldTable = {}): Promise<Binding> {
    const b = new Binding(source, destination, routingKey, args);
    await this.declare(b);
    return b;
  }

  async unbind(b: Binding): Promise<void> {
    const ch = await this.topologyChannel.get();
    await this.topology.unbind(ch, b);
  }

  /** Deletes a queue (and forgets it for recovery); resolves with the number of messages it held. */
  async deleteQueue(queue: Queue | string, opts: { ifUnused?: boolean; ifEmpty?: boolean } = {}): Promise<number> {
    const name = typeof queue === 'string' ? queue : queue.name;
    const ch = await this.topologyChannel.get();
    const ok = (await ch.call({ name: 'queue.delete', queue: name, ifUnused: opts.ifUnused ?? false, ifEmpty: opts.ifEmpty ?? false, nowait: false })) as QueueDeleteOk;
    this.topology.forgetQueue(name);
    return ok.messageCount;
  }

  async deleteExchange(exchange: Exchange | string, opts: { ifUnused?: boolean } = {}): Promise<void> {
    const name = typeof exchange === 'string' ? exchange : exchange.name;
    const ch = await this.topologyChannel.get();
    await ch.call({ name: 'exchange.delete', exchange: name, ifUnused: opts.ifUnused ?? false, nowait: false });
    this.topology.forgetExchange(name);
  }

  /** Removes every ready message from a queue; resolves with how many were removed. */
  async purgeQueue(queue: Queue | string): Promise<number> {
    const name = typeof queue === 'string' ? queue : queue.name;
    const ch = await this.topologyChannel.get();
    const ok = (await ch.call({ name: 'queue.purge', queue: name, nowait: false })) as QueuePurgeOk;
    return ok.messageCount;
  }

  /** Passively declares a queue: its message and consumer counts (404 ChannelClosedError when missing). */
  async inspectQueue(queue: Queue | string): Promise<QueueDeclareResult> {
    const name = typeof queue === 'string' ? queue : queue.name;
    const ch = await this.topologyChannel.get();
    const ok = await ch.call({ name: 'queue.declare', queue: name, passive: true, durable: false, exclusive: false, autoDelete: false, nowait: false, arguments: {} });
    const r = ok as unknown as { queue: string; messageCount: number; consumerCount: number };
    return { queue: r.queue, messageCount: r.messageCount, consumerCount: r.consumerCount };
  }

  // ------------------------------------------------------------------ messaging

  /** A producer with its own confirm-mode channel. */
  producer<T = unknown>(opts: ProducerOptions = {}): Producer<T> {
    return new Producer<T>(this, opts);
  }

  /** Publishes through the connection's default producer (confirms on). */
  publish(body: unknown, opts: PublishOptions = {}): Promise<void> {
    this.defaultProducer ??= this.producer();
    return this.defaultProducer.publish(body, opts);
  }

  /** Publishes an already encoded body with the given properties (retries, dead letters, replies). */
  publishEncoded(exchange: string, routingKey: string, props: BasicProperties, body: Buffer): Promise<void> {
    this.defaultProducer ??= this.producer();
    return this.defaultProducer.publishEncoded(exchange, routingKey, props, body);
  }

  /** Starts a consumer; resolves once the broker has registered it. */
  async consume<T = unknown>(queue: Queue | string, handler: MessageHandler<T>, opts: ConsumeOptions = {}): Promise<Consumer<T>> {
    const c = new Consumer<T>(this, queue, handler, opts);
    await c.start();
    return c;
  }

  /** RPC over direct reply-to: `rpc.call(queue, payload)` and `rpc.serve(queue, handler)`. */
  get rpc(): { call<R = unknown>(queue: string, payload: unknown, opts?: { timeout?: number; serializer?: string }): Promise<R>; serve<T = unknown, R = unknown>(queue: Queue | string, handler: RpcHandler<T, R>, opts?: RpcServeOptions): Promise<Consumer<T>> } {
    this.rpcClient ??= new RpcClient(this);
    return this.rpcClient;
  }

  /** Kombu-style SimpleQueue: put / get / qsize / clear on one named queue. */
  simpleQueue<T = unknown>(name: string, opts: SimpleQueueOptions = {}): SimpleQueue<T> {
    return new SimpleQueue<T>(this, name, opts);
  }

  /**
   * Runs `fn`, and when it fails with a recoverable error (connection lost, unconfirmed publish)
   * waits for the connection to recover and runs it again, as Kombu's `ensure`.
   */
  async ensure<R>(fn: () => Promise<R> | R, policy: RetryPolicy & { onRetry?: (err: Error, attempt: number) => void } = {}): Promise<R> {
    const max = policy.maxRetries ?? 5;
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (e) {
        if (!isRecoverable(e) || attempt >= max || this.closing) throw e;
        policy.onRetry?.(e as Error, attempt + 1);
        await sleep(backoffDelay(policy, attempt));
        await this.waitReady();
      }
    }
  }

  /** Waits until connected (resolves at once when already connected). */
  async connected(): Promise<void> {
    await this.waitReady();
  }

  /**
   * Graceful close: cancels consumers and waits for running handlers, waits for unconfirmed and
   * held publishes (up to `closeTimeout`), then closes the AMQP connection.
   */
  async close(): Promise<void> {
    if (this.closing) return;
    const deadline = Date.now() + (this.options.closeTimeout ?? 10_000);
    if (this.ready) {
      for (const d of [...this.drainables]) await d.drain(deadline).catch(() => undefined);
    }
    this.closing = true;
    const err = new ClientClosedError('connection was closed by the application');
    for (const d of this.drainables) d.shutdown(err);
    for (const w of this.waiters.splice(0)) w.reject(err);
    const wire = this.wire;
    this.ready = false;
    if (wire !== undefined) await wire.close();
    this.wire = undefined;
    this.emit('close');
  }

  /** Drops the transport without a close handshake, as a network failure would (for tests and tooling). */
  simulateNetworkFailure(): void {
    this.wire?.destroy();
  }
}

/** Connects to the first reachable URL of the list; the returned Connection then stays connected. */
export async function connect(urls: string | string[], options: ConnectionOptions = {}): Promise<Connection> {
  const c = new Connection(urls, options);
  await c.start();
  return c;
}
