import { X509Certificate } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import type { FieldTable } from '@warren/protocol';
import { pino, type Logger } from 'pino';
import { AccessControl } from './auth/access-control.js';
import { applyAuthDefinitions, createAccessControl, parseDefinitions, type Definitions, type JsonValue } from './auth/definitions.js';
import { DirectReplyToRegistry } from './channel/direct-reply-to.js';
import { Connection, type ConnectionHost, type ConnectionLimits, type ConnectionStream } from './connection/connection.js';
import { FlushScheduler } from './connection/flush-scheduler.js';
import { Exchange } from './exchange/exchange.js';
import { VirtualHost } from './vhost/vhost.js';
import { ResourceAlarms } from './alarms/resource-alarms.js';
import { mkdirSync } from 'node:fs';
import { DefinitionsPersister } from './durability/definitions-persister.js';
import { exportDefinitions } from './durability/definitions-snapshot.js';
import { Durability } from './durability/durability.js';
import { DataDirLock } from './durability/data-dir-lock.js';
import { MessageCounters } from './stats/counters.js';
import { AuthBackoff, type AuthBackoffOptions } from './connection/auth-backoff.js';
import { TopicAuthorizer } from './auth/topic-authorizer.js';
import { PolicyError, type PolicyInput, type PolicyKind } from './policy/policy.js';
import type { EffectivePolicy } from './policy/policy-set.js';
import { policiesFromDefinitions } from './policy/policy-definitions.js';

export interface BrokerOptions {
  /** AMQP port (default 5672; 0 picks a free port). */
  port?: number;
  /** Address to listen on (default: all interfaces). */
  host?: string;
  managementPort?: number;
  dataDir?: string;
  /** Definitions (RabbitMQ's JSON format, as parsed JSON or from parseDefinitions) applied at start: users, vhosts, permissions, topology. */
  definitions?: Definitions | object;
  accessControl?: AccessControl;
  logger?: Logger;
  heartbeat?: number;
  frameMax?: number;
  channelMax?: number;
  handshakeTimeoutMs?: number;
  clusterName?: string;
  /** Memory alarm threshold as a fraction of RAM (default 0.4). */
  memoryHighWatermark?: number;
  /** Memory alarm threshold in bytes (wins over the fraction). */
  memoryLimitBytes?: number;
  /** Consumer acknowledgement timeout in ms (default 30 minutes, as RabbitMQ); x-consumer-timeout overrides it per queue. */
  consumerTimeoutMs?: number;
  /** Disk alarm threshold in free bytes (default 50 MB); checked on the data dir's file system. */
  diskFreeLimit?: number;
  /** An amqps listener (TLS) besides the plain one: PEM certificate and key, port default 5671 (0 = free). */
  tls?: { cert: string | Buffer; key: string | Buffer; port?: number };
  /** Message counters for the management API and Prometheus (default true; false skips them on the hot path). */
  stats?: boolean;
  /** Back-off for repeated failed AMQP logins per source address (false: none). */
  authBackoff?: AuthBackoffOptions | false;
}

export interface Broker {
  readonly port: number;
  close(reason?: string): Promise<void>;
}

/** The broker: listener, virtual hosts, users, and every open connection. */
export class WarrenBroker implements Broker, ConnectionHost {
  access: AccessControl;
  readonly directReplyTo = new DirectReplyToRegistry();
  readonly scheduler = new FlushScheduler();
  readonly limits: ConnectionLimits;
  readonly logger: Logger;
  readonly clusterName: string;
  readonly vhosts = new Map<string, VirtualHost>();
  readonly connections = new Set<Connection>();
  readonly alarms: ResourceAlarms;
  readonly statsEnabled: boolean;
  readonly authBackoff: AuthBackoff | undefined;
  /** Topic permissions, enforced on topic exchanges (kept up to date by the management store). */
  readonly topics = new TopicAuthorizer();
  /** Per vhost: counters of channels that have closed (live channels hold their own). */
  readonly retiredStats = new Map<string, MessageCounters>();
  readonly startedAt = Date.now();
  /** Connections accepted since start (Prometheus' rabbitmq_connections_opened_total). */
  connectionsOpened = 0;
  durability: Durability | undefined;
  private persister: DefinitionsPersister | undefined;
  private lock: DataDirLock | undefined;
  private server: Server | undefined;
  private tlsServer: TlsServer | undefined;
  private readonly sockets = new Set<ConnectionStream>();
  port = 0;
  /** Port of the amqps listener; 0 when TLS is not configured. */
  tlsPort = 0;
  /** Expiry (ms since the epoch) of the TLS certificate, when there is one. */
  tlsCertificateExpiry: number | undefined;

  get listenHost(): string | undefined { return this.opts.host; }
  get dataDir(): string | undefined { return this.opts.dataDir; }

  constructor(private readonly opts: BrokerOptions = {}) {
    this.logger = opts.logger ?? pino({ level: 'silent' });
    this.access = opts.accessControl ?? AccessControl.withDefaults();
    this.clusterName = opts.clusterName ?? 'warren@localhost';
    this.statsEnabled = opts.stats !== false;
    this.authBackoff = opts.authBackoff === false ? undefined : new AuthBackoff(this.logger, 'AMQP', opts.authBackoff);
    this.limits = {
      heartbeat: opts.heartbeat ?? 60,
      frameMax: opts.frameMax ?? 131072,
      channelMax: opts.channelMax ?? 2047,
      handshakeTimeoutMs: opts.handshakeTimeoutMs ?? 10_000,
    };
    this.syncVhosts();
    this.alarms = new ResourceAlarms(
      { memoryHighWatermark: opts.memoryHighWatermark, memoryLimitBytes: opts.memoryLimitBytes, diskFreeLimit: opts.diskFreeLimit, dataDir: opts.dataDir },
      this.logger,
      (active) => { for (const c of this.connections) c.setAlarmBlocked(active); },
    );
  }

  get publishingBlocked(): boolean { return this.alarms.active; }

  /** Creates a VirtualHost for every vhost the access control knows. */
  private syncVhosts(): void {
    for (const v of this.access.vhosts()) {
      if (!this.vhosts.has(v.name)) this.vhosts.set(v.name, this.newVhost(v.name));
    }
  }

  vhost(name: string): VirtualHost | undefined {
    if (!this.vhosts.has(name) && this.access.hasVhost(name)) this.vhosts.set(name, this.newVhost(name));
    return this.vhosts.get(name);
  }

  private newVhost(name: string): VirtualHost {
    const vh = new VirtualHost(name, this.statsEnabled);
    if (this.opts.consumerTimeoutMs !== undefined) vh.consumerTimeoutMs = this.opts.consumerTimeoutMs;
    if (this.durability !== undefined) vh.delayed.attachStore(this.durability.store);
    vh.listener = {
      queueCreated: (q) => {
        if (this.statsEnabled) q.stats = new MessageCounters();
        if (this.durability !== undefined) q.attachStore(this.durability.store, this.durability.load);
      },
      durableChanged: () => this.persister?.markDirty(),
    };
    return vh;
  }

  /**
   * Loads state before accepting connections: with a data directory, the saved definitions
   * and every stored message; then the definitions given in the options.
   */
  async open(): Promise<void> {
    const dataDir = this.opts.dataDir;
    const given = this.opts.definitions !== undefined ? parseDefinitions(this.opts.definitions) : undefined;
    let saved: Definitions | undefined;
    let persister: DefinitionsPersister | undefined;
    if (dataDir !== undefined) {
      mkdirSync(dataDir, { recursive: true });
      this.lock = DataDirLock.acquire(dataDir);
      persister = new DefinitionsPersister(dataDir, () => this.withExtraDefinitions(exportDefinitions(this.access, this.vhosts.values(), true)), this.logger);
      saved = persister.load();
    }
    // As in RabbitMQ, the default guest user and '/' vhost are only created on a fresh node
    // whose imported definitions define no users or vhosts of their own.
    if (this.opts.accessControl === undefined && (saved !== undefined || given !== undefined)) {
      this.access = createAccessControl(saved ?? given);
      for (const name of [...this.vhosts.keys()]) if (!this.access.hasVhost(name)) this.vhosts.delete(name);
      this.syncVhosts();
    }
    if (dataDir !== undefined && persister !== undefined) {
      if (saved !== undefined) this.applyDefinitions(saved);
      this.durability = await Durability.open(dataDir, persister, this.logger);
      for (const vh of this.vhosts.values()) {
        vh.delayed.attachStore(this.durability.store);
        for (const q of vh.queues.values()) q.attachStore(this.durability.store, this.durability.load);
      }
      this.durability.recover(this.vhosts);
      this.persister = persister;
    }
    if (given !== undefined) this.applyDefinitions(given);
    // Only the sections kept outside the core (no users: given files may hold clear-text passwords).
    this.bootDefinitions = [saved, given].filter((d): d is Definitions => d !== undefined)
      .map((d) => ({ topic_permissions: d.topic_permissions, parameters: d.parameters, global_parameters: d.global_parameters }));
    this.persister?.markDirty();
  }

  // ---- policies (contract shared with the management API) ------------------------------

  /** Validates (PolicyError, nothing half-applied), stores, applies to existing and future entities, persists. */
  setPolicy(kind: PolicyKind, p: PolicyInput): void {
    const vh = this.vhost(p.vhost);
    if (vh === undefined) throw new PolicyError(`vhost '${String(p.vhost)}' does not exist`);
    vh.setPolicy(kind, p);
    this.persister?.markDirty();
  }

  /** false when there is no such policy. */
  clearPolicy(kind: PolicyKind, vhost: string, name: string): boolean {
    const cleared = this.vhost(vhost)?.clearPolicy(kind, name) ?? false;
    if (cleared) this.persister?.markDirty();
    return cleared;
  }

  listPolicies(kind: PolicyKind, vhost?: string): PolicyInput[] {
    const out: PolicyInput[] = [];
    for (const vh of this.vhosts.values()) if (vhost === undefined || vh.name === vhost) out.push(...vh.policies.list(kind));
    return out;
  }

  effectivePolicy(vhost: string, name: string, type: 'queue' | 'exchange'): EffectivePolicy {
    return this.vhost(vhost)?.effectivePolicy(name, type) ?? { definition: {} };
  }

  /** Applies a RabbitMQ definitions document: users/vhosts/permissions, policies, then exchanges, queues, bindings. */
  applyDefinitions(defs: Definitions): void {
    applyAuthDefinitions(this.access, defs);
    this.syncVhosts();
    for (const { kind, policy } of policiesFromDefinitions(defs)) this.vhost(policy.vhost)?.setPolicy(kind, policy);
    for (const e of defs.exchanges) {
      this.vhost(e.vhost)?.declareExchange({
        name: e.name, type: e.type, passive: false, durable: e.durable, autoDelete: e.auto_delete, internal: e.internal, args: toTable(e.arguments),
      });
    }
    for (const q of defs.queues) {
      this.vhost(q.vhost)?.declareQueue({
        name: q.name, passive: false, durable: q.durable, exclusive: false, autoDelete: q.auto_delete, args: toTable(q.arguments),
      }, 0);
    }
    for (const b of defs.bindings) {
      const vh = this.vhost(b.vhost);
      if (vh === undefined) continue;
      const src = vh.exchange(b.source);
      const dest = b.destination_type === 'queue' ? vh.queue(b.destination, 0) : vh.exchange(b.destination);
      if (dest instanceof Exchange || dest !== undefined) vh.bind(src, dest, b.routing_key, toTable(b.arguments));
    }
  }

  async listen(): Promise<void> {
    const server = createServer({ noDelay: true }, (socket) => this.accept(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port: this.opts.port ?? 5672, host: this.opts.host }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const addr = server.address();
    this.port = typeof addr === 'object' && addr !== null ? addr.port : 0;
    if (this.opts.tls !== undefined) await this.listenTls(this.opts.tls);
    this.alarms.start();
  }

  /** The amqps listener: TLS sockets become ordinary connections once the handshake is done. */
  private async listenTls(tls: NonNullable<BrokerOptions['tls']>): Promise<void> {
    const cert = typeof tls.cert === 'string' ? tls.cert : tls.cert.toString('utf8');
    try {
      this.tlsCertificateExpiry = Date.parse(new X509Certificate(cert).validTo);
    } catch {
      this.tlsCertificateExpiry = undefined;
    }
    const server = createTlsServer({ cert: tls.cert, key: tls.key }, (socket) => {
      socket.setNoDelay(true);
      this.attachStream(socket);
    });
    server.on('tlsClientError', (err, socket) => {
      this.logger.warn({ err: err.message, remote: socket.remoteAddress }, 'TLS handshake failed');
    });
    this.tlsServer = server;
    await new Promise<void>((resolve, reject) => {
      const failed = (err: Error): void => {
        this.server?.close();
        reject(err);
      };
      server.once('error', failed);
      server.listen({ port: tls.port ?? 5671, host: this.opts.host }, () => {
        server.off('error', failed);
        resolve();
      });
    });
    const addr = server.address();
    this.tlsPort = typeof addr === 'object' && addr !== null ? addr.port : 0;
  }

  private accept(socket: Socket): void {
    this.attachStream(socket);
  }

  /**
   * Serves one AMQP connection over any duplex byte stream: accepted sockets, and in-process
   * streams for embedded use (the client's memory:// transport) with no listener at all.
   */
  attachStream(socket: ConnectionStream): void {
    this.connectionsOpened++;
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    const conn = new Connection(socket, this);
    this.connections.add(conn);
  }

  /**
   * Sections kept outside the broker core (topic permissions, runtime and global parameters: the
   * management API's store) add themselves to the saved definitions through this hook, and read
   * what was saved (and given at boot) from bootDefinitions.
   */
  extraDefinitions: (() => Partial<Pick<Definitions, 'topic_permissions' | 'parameters' | 'global_parameters'>>) | undefined;
  bootDefinitions: Pick<Definitions, 'topic_permissions' | 'parameters' | 'global_parameters'>[] = [];

  /** Per-vhost limits (RabbitMQ's vhost-limits: 'max-connections', 'max-queues'); negative = none. */
  readonly vhostLimits = new Map<string, Record<string, number>>();

  vhostLimit(vhost: string, key: 'max-connections' | 'max-queues'): number | undefined {
    const v = this.vhostLimits.get(vhost)?.[key];
    return v === undefined || v < 0 ? undefined : v;
  }

  connectionsIn(vhost: string): number {
    let n = 0;
    for (const c of this.connections) if (c.vhost?.name === vhost) n++;
    return n;
  }

  /** Appends the extraDefinitions sections to a snapshot. */
  private withExtraDefinitions(defs: Definitions): Definitions {
    const extra = this.extraDefinitions?.();
    if (extra === undefined) return defs;
    return {
      ...defs,
      topic_permissions: [...defs.topic_permissions, ...(extra.topic_permissions ?? [])],
      parameters: [...defs.parameters, ...(extra.parameters ?? [])],
      global_parameters: [...defs.global_parameters, ...(extra.global_parameters ?? [])],
    };
  }

  /** Users, vhosts or permissions changed outside AMQP (management API): save the definitions file. */
  definitionsChanged(): void {
    this.persister?.markDirty();
  }

  retireStats(vhost: string, c: MessageCounters): void {
    let total = this.retiredStats.get(vhost);
    if (total === undefined) this.retiredStats.set(vhost, (total = new MessageCounters()));
    total.add(c);
  }

  connectionClosed(c: Connection): void {
    this.connections.delete(c);
  }

  /** Stops accepting, closes every connection with 320 CONNECTION_FORCED, waits for sockets to close. */
  async close(reason = "broker forced connection closure with reason 'shutdown'"): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.alarms.stop();
    for (const vh of this.vhosts.values()) vh.delayed.stop();
    const tlsServer = this.tlsServer;
    this.tlsServer = undefined;
    const closed = Promise.all([
      server ? new Promise<void>((r) => server.close(() => r())) : undefined,
      tlsServer ? new Promise<void>((r) => tlsServer.close(() => r())) : undefined,
    ]);
    for (const c of this.connections) c.forceClose(reason);
    const deadline = Date.now() + 3000;
    while (this.sockets.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    for (const s of this.sockets) s.destroy();
    for (const vh of this.vhosts.values()) for (const q of vh.queues.values()) q.stopTimers();
    await closed;
    // An asynchronous definitions write still in flight finishes first (bounded), so nothing
    // touches the data directory after close() returns.
    const persister = this.persister;
    if (persister?.pending) {
      await Promise.race([new Promise<void>((r) => persister.afterWrite(r)), new Promise((r) => setTimeout(r, 2000).unref())]);
    }
    this.persister?.flushSync();
    await this.durability?.close();
    this.lock?.release();
  }
}

function toTable(o: Record<string, JsonValue> | undefined): FieldTable {
  return (o ?? {}) as FieldTable;
}

/** Opens a broker that listens on no port: connections arrive through attachStream (memory://). */
export async function startEmbeddedBroker(opts: Omit<BrokerOptions, 'port' | 'host'> = {}): Promise<WarrenBroker> {
  const broker = new WarrenBroker(opts);
  await broker.open();
  return broker;
}

/** Starts a broker and resolves once it accepts connections. */
export async function startBroker(opts: BrokerOptions = {}): Promise<WarrenBroker> {
  const broker = new WarrenBroker(opts);
  await broker.open();
  await broker.listen();
  return broker;
}
