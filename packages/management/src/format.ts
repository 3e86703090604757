// JSON shapes of RabbitMQ's management API for Warren's objects.
import { createHash } from 'node:crypto';
import {
  Exchange, fieldTableToJson, type BindingDestination, type Channel, type Connection, type Consumer, type Queue,
  type User, type Vhost, type VirtualHost, type WarrenBroker,
} from '@warren/broker';
import type { FieldTable } from '@warren/protocol';
import type { StatsCollector } from './stats.js';

export type Json = Record<string, unknown>;

export const nodeName = (broker: WarrenBroker): string => broker.clusterName;

/** The default exchange is "amq.default" in URLs. */
export const exchangeUrlName = (name: string): string => (name === '' ? 'amq.default' : name);
export const exchangeFromUrl = (name: string): string => (name === 'amq.default' ? '' : name);

export function formatVhost(broker: WarrenBroker, stats: StatsCollector, v: Vhost): Json {
  const vh = broker.vhost(v.name);
  const out: Json = {
    name: v.name,
    description: v.description ?? '',
    tags: [...(v.tags ?? [])],
    default_queue_type: v.defaultQueueType ?? 'undefined',
    metadata: { description: v.description ?? '', tags: [...(v.tags ?? [])], ...(v.defaultQueueType ? { default_queue_type: v.defaultQueueType } : {}) },
    tracing: false,
    cluster_state: { [nodeName(broker)]: 'running' },
    ...stats.totals(v.name),
  };
  if (vh !== undefined) {
    let recv = 0;
    let send = 0;
    for (const c of broker.connections) if (c.vhost === vh) { recv += c.recvOct; send += c.sendOct; }
    out['recv_oct'] = recv;
    out['send_oct'] = send;
    const ms = stats.vhostMessageStats(vh);
    if (Object.keys(ms).length > 0) out['message_stats'] = ms;
  }
  return out;
}

export function formatUser(u: User): Json {
  return { name: u.name, password_hash: u.passwordHash, hashing_algorithm: u.hashingAlgorithm, tags: [...u.tags], limits: {} };
}

/** policy, operator_policy and effective_policy_definition of a queue or exchange. */
function policyFields(broker: WarrenBroker, vhost: string, name: string, type: 'queue' | 'exchange'): Json {
  const eff = broker.effectivePolicy(vhost, name, type);
  return { policy: eff.policy ?? '', operator_policy: eff.operatorPolicy ?? '', effective_policy_definition: eff.definition };
}

export function formatExchange(e: Exchange, vhost: string, broker?: WarrenBroker, stats?: StatsCollector): Json {
  const out: Json = {
    ...(broker !== undefined && !e.isDefault ? { policy: broker.effectivePolicy(vhost, e.name, 'exchange').policy ?? '' } : {}),
    name: e.name, vhost, type: e.type, durable: e.durable, auto_delete: e.autoDelete, internal: e.internal,
    arguments: fieldTableToJson(e.args), user_who_performed_action: e.name.startsWith('amq.') || e.name === '' ? 'rmq-internal' : '',
  };
  const ms = stats?.exchangeMessageStats(e);
  if (ms !== undefined && Object.keys(ms).length > 0) out['message_stats'] = ms;
  return out;
}

export function queueType(q: Queue): string {
  return q.settings.queueType ?? 'classic';
}

export function formatQueue(broker: WarrenBroker, stats: StatsCollector, q: Queue, full = true): Json {
  const ready = q.messageCount;
  const unacked = q.unackedCount;
  const out: Json = {
    name: q.name,
    vhost: q.vhost,
    durable: q.durable,
    auto_delete: q.autoDelete,
    exclusive: q.exclusiveOwner !== 0,
    arguments: fieldTableToJson(q.args),
    node: nodeName(broker),
    type: queueType(q),
    state: 'running',
    consumers: q.consumerCount,
    messages: ready + unacked,
    messages_ready: ready,
    messages_unacknowledged: unacked,
    message_bytes: q.ready.bytes,
    message_bytes_ready: q.ready.bytes,
    message_bytes_ram: q.memoryBytes,
    memory: q.memoryBytes,
    head_message_timestamp: null,
    messages_ram: ready,
    messages_ready_ram: ready,
    messages_unacknowledged_ram: unacked,
    ...policyFields(broker, q.vhost, q.name, 'queue'),
    exclusive_consumer_tag: q.consumers.find((c) => c.exclusive)?.tag ?? null,
    single_active_consumer_tag: q.settings.singleActiveConsumer ? (q.consumers[0]?.tag ?? null) : null,
    consumer_utilisation: null,
    consumer_capacity: 0,
  };
  if (full) {
    Object.assign(out, stats.queueGaugeDetails(q));
    if (q.stats !== undefined) out['message_stats'] = stats.queueMessageStats(q);
  }
  return out;
}

export function connectionName(c: Connection, broker: WarrenBroker): string {
  void broker;
  return `${c.remoteAddress}:${c.remotePort} -> ${c.localAddress}:${c.localPort}`;
}

function clientProps(c: Connection): Json {
  return fieldTableToJson(c.clientProperties);
}

export function formatConnection(broker: WarrenBroker, stats: StatsCollector, c: Connection): Json {
  const props = clientProps(c);
  const provided = typeof props['connection_name'] === 'string' ? props['connection_name'] : undefined;
  return {
    name: connectionName(c, broker),
    node: nodeName(broker),
    type: 'network',
    protocol: 'AMQP 0-9-1',
    user: c.user,
    user_who_performed_action: c.user,
    vhost: c.vhost?.name ?? '',
    host: c.localAddress,
    port: c.localPort,
    peer_host: c.remoteAddress,
    peer_port: c.remotePort,
    ssl: c.tls,
    ssl_protocol: null, ssl_key_exchange: null, ssl_cipher: null, ssl_hash: null,
    peer_cert_subject: null, peer_cert_issuer: null, peer_cert_validity: null,
    auth_mechanism: c.authMechanism,
    state: c.stateName,
    channels: c.channelCount,
    channel_max: c.channelMax,
    frame_max: c.frameMax,
    timeout: c.heartbeat,
    connected_at: c.connectedAt,
    client_properties: props,
    ...(provided !== undefined ? { user_provided_name: provided } : {}),
    ...stats.connectionDetails(c),
  };
}

export function channelName(broker: WarrenBroker, c: Connection, ch: Channel): string {
  return `${connectionName(c, broker)} (${ch.id})`;
}

function connectionDetails(broker: WarrenBroker, c: Connection): Json {
  return { name: connectionName(c, broker), peer_host: c.remoteAddress, peer_port: c.remotePort };
}

export function formatChannel(broker: WarrenBroker, stats: StatsCollector, c: Connection, ch: Channel): Json {
  const out: Json = {
    name: channelName(broker, c, ch),
    number: ch.id,
    node: nodeName(broker),
    user: c.user,
    user_who_performed_action: c.user,
    vhost: c.vhost?.name ?? '',
    connection_details: connectionDetails(broker, c),
    consumer_count: ch.consumerCount,
    messages_unacknowledged: ch.unackedCount,
    messages_unconfirmed: 0,
    messages_uncommitted: ch.uncommittedMessages,
    acks_uncommitted: ch.uncommittedAcks,
    prefetch_count: ch.prefetchCount,
    global_prefetch_count: ch.globalPrefetchCount,
    confirm: ch.confirmMode,
    transactional: ch.transactional,
    state: 'running',
  };
  if (ch.stats !== undefined) out['message_stats'] = stats.channelMessageStats(ch);
  return out;
}

export function formatConsumer(broker: WarrenBroker, c: Connection, ch: Channel, k: Consumer): Json {
  return {
    consumer_tag: k.tag,
    channel_details: { ...connectionDetails(broker, c), name: channelName(broker, c, ch), number: ch.id, connection_name: connectionName(c, broker), user: c.user, node: nodeName(broker) },
    queue: { name: k.queue.name, vhost: k.queue.vhost },
    ack_required: !k.noAck,
    exclusive: k.exclusive,
    prefetch_count: k.prefetch,
    arguments: fieldTableToJson(k.args),
    active: true,
    activity_status: 'up',
    priority: k.priority,
  };
}

/** RabbitMQ's binding "properties key": the routing key, or key~hash when there are arguments. */
export function propertiesKey(key: string, args: FieldTable): string {
  if (Object.keys(args).length === 0) return key === '' ? '~' : quotePlus(key);
  const hash = createHash('sha256').update(JSON.stringify(fieldTableToJson(args))).digest('base64url').slice(0, 6);
  return `${quotePlus(key)}~${hash}`;
}

/** URL quoting as RabbitMQ applies it to routing keys in properties keys (quote_plus; '~' is quoted too). */
function quotePlus(s: string): string {
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9._-]/.test(c)) out += c;
    else if (c === ' ') out += '+';
    else out += '%' + byte.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}


export function formatBinding(vhost: string, source: Exchange | string, destination: BindingDestination, key: string, args: FieldTable): Json {
  return {
    source: typeof source === 'string' ? source : source.name,
    vhost,
    destination: destination.name,
    destination_type: destination instanceof Exchange ? 'exchange' : 'queue',
    routing_key: key,
    arguments: fieldTableToJson(args),
    properties_key: propertiesKey(key, args),
  };
}

/** Every binding of a vhost, including the default exchange's implicit one per queue (as RabbitMQ lists them). */
export function vhostBindings(vh: VirtualHost): Json[] {
  const out: Json[] = [];
  for (const q of vh.queues.values()) out.push(formatBinding(vh.name, '', q, q.name, {}));
  for (const b of vh.bindings()) out.push(formatBinding(vh.name, b.source, b.destination, b.key, b.args));
  return out;
}
