// Prometheus endpoint with rabbitmq_prometheus's metric names: /metrics (aggregated, as RabbitMQ
// returns by default) and /metrics/per-object (queue, channel and connection metrics labelled
// per object). Values are read from the broker at scrape time; nothing is kept between scrapes.
import { createServer, type Server } from 'node:http';
import { statfsSync } from 'node:fs';
import { Counter, Gauge, Registry } from 'prom-client';
import { PRODUCT, VERSION, type Channel, type Connection, type MessageCounters, type Queue, type WarrenBroker } from '@warren/broker';
import { StatsCollector } from './stats.js';

export interface PrometheusOptions {
  broker: WarrenBroker;
  /** Default 15692; 0 picks a free port. */
  port?: number;
  /** Default 0.0.0.0. */
  host?: string;
}

type Labels = Record<string, string>;
type Sample = [Labels, number];

interface MetricDef {
  name: string;
  help: string;
  type: 'gauge' | 'counter';
  /** Samples for /metrics; `perObject` says whether /metrics/per-object labels them instead. */
  samples(perObject: boolean): Sample[];
}

const AMQP = { protocol: 'amqp091' };

function sum<T>(items: Iterable<T>, f: (x: T) => number): number {
  let n = 0;
  for (const x of items) n += f(x);
  return n;
}

function* queuesOf(broker: WarrenBroker): IterableIterator<Queue> {
  for (const vh of broker.vhosts.values()) yield* vh.queues.values();
}

function* channelsOf(broker: WarrenBroker): IterableIterator<[Connection, Channel]> {
  for (const c of broker.connections) for (const ch of c.channelList) yield [c, ch];
}

/** The metric definitions over one broker. */
function metricDefs(broker: WarrenBroker, stats: StatsCollector): MetricDef[] {
  const g = (name: string, help: string, value: () => number, labels: Labels = {}): MetricDef => ({ name, help, type: 'gauge', samples: () => [[labels, value()]] });
  const c = (name: string, help: string, value: () => number, labels: Labels = {}): MetricDef => ({ name, help, type: 'counter', samples: () => [[labels, value()]] });
  const global = (name: string, help: string, f: (m: MessageCounters) => number): MetricDef =>
    c(`rabbitmq_global_${name}`, help, () => f(stats.globalCounters()), AMQP);
  /** Per-queue metric: summed on /metrics, one sample per queue on /metrics/per-object. */
  const perQueue = (name: string, help: string, type: 'gauge' | 'counter', f: (q: Queue) => number): MetricDef => ({
    name, help, type,
    samples: (perObject) => perObject
      ? [...queuesOf(broker)].map((q): Sample => [{ vhost: q.vhost, queue: q.name }, f(q)])
      : [[{}, sum(queuesOf(broker), f)]],
  });
  const perChannel = (name: string, help: string, type: 'gauge' | 'counter', f: (ch: Channel) => number): MetricDef => ({
    name, help, type,
    samples: (perObject) => perObject
      ? [...channelsOf(broker)].map(([conn, ch]): Sample => [{ channel: `${conn.remoteAddress}:${conn.remotePort} -> ${conn.localAddress}:${conn.localPort} (${ch.id})` }, f(ch)])
      : [[{}, sum(channelsOf(broker), ([, ch]) => f(ch))]],
  });
  const perConnection = (name: string, help: string, type: 'gauge' | 'counter', f: (c: Connection) => number): MetricDef => ({
    name, help, type,
    samples: (perObject) => perObject
      ? [...broker.connections].map((conn): Sample => [{ connection: `${conn.remoteAddress}:${conn.remotePort} -> ${conn.localAddress}:${conn.localPort}` }, f(conn)])
      : [[{}, sum(broker.connections, f)]],
  });
  const ms = (f: (m: MessageCounters) => number) => (x: { stats: MessageCounters | undefined }) => (x.stats === undefined ? 0 : f(x.stats));
  const consumers = () => sum(queuesOf(broker), (q) => q.consumerCount);
  const publishers = () => sum(broker.connections, (conn) => (conn.isPublisher ? 1 : 0));
  const dataDir = broker.dataDir ?? '.';

  return [
    { name: 'rabbitmq_build_info', help: 'RabbitMQ & Erlang/OTP version info', type: 'gauge',
      samples: () => [[{ rabbitmq_version: '3.10.8', prometheus_plugin_version: VERSION, prometheus_client_version: 'prom-client', erlang_version: process.version, product_name: PRODUCT, product_version: VERSION }, 1]] },
    { name: 'rabbitmq_identity_info', help: 'RabbitMQ node & cluster identity info', type: 'gauge',
      samples: () => [[{ rabbitmq_node: broker.clusterName, rabbitmq_cluster: broker.clusterName, rabbitmq_cluster_permanent_id: `warren-${broker.clusterName}` }, 1]] },
    g('rabbitmq_erlang_uptime_seconds', 'Node uptime', () => (Date.now() - broker.startedAt) / 1000),
    g('rabbitmq_process_resident_memory_bytes', 'Memory used in bytes', () => process.memoryUsage().rss),
    g('rabbitmq_resident_memory_limit_bytes', 'Memory high watermark in bytes', () => broker.alarms.memoryLimit),
    g('rabbitmq_disk_space_available_bytes', 'Disk space available in bytes', () => { try { const s = statfsSync(dataDir); return s.bavail * s.bsize; } catch { return 0; } }),
    g('rabbitmq_disk_space_available_limit_bytes', 'Free disk space low watermark in bytes', () => broker.alarms.diskFreeLimit),
    g('rabbitmq_alarms_memory_used_watermark', 'is 1 if VM memory watermark alarm is in effect', () => (broker.alarms.memoryAlarm ? 1 : 0)),
    g('rabbitmq_alarms_free_disk_space_watermark', 'is 1 if free disk space watermark alarm is in effect', () => (broker.alarms.diskAlarm ? 1 : 0)),
    g('rabbitmq_connections', 'Connections currently open', () => broker.connections.size),
    c('rabbitmq_connections_opened_total', 'Total number of connections opened', () => broker.connectionsOpened),
    c('rabbitmq_connections_closed_total', 'Total number of connections closed or terminated', () => broker.connectionsOpened - broker.connections.size),
    g('rabbitmq_channels', 'Channels currently open', () => sum(broker.connections, (conn) => conn.channelCount)),
    g('rabbitmq_consumers', 'Consumers currently connected', consumers),
    g('rabbitmq_queues', 'Queues available', () => sum(broker.vhosts.values(), (vh) => vh.queues.size)),
    g('rabbitmq_global_publishers', 'Current number of publishers', publishers, AMQP),
    g('rabbitmq_global_consumers', 'Current number of consumers', consumers, AMQP),
    global('messages_received_total', 'Total number of messages received from publishers', (m) => m.publish),
    global('messages_received_confirm_total', 'Total number of messages received from publishers expecting confirmations', (m) => m.confirm),
    global('messages_routed_total', 'Total number of messages routed to queues or streams', (m) => m.publish - m.dropUnroutable - m.returnUnroutable),
    global('messages_unroutable_dropped_total', 'Total number of messages published as non-mandatory into an exchange and dropped as unroutable', (m) => m.dropUnroutable),
    global('messages_unroutable_returned_total', 'Total number of messages published as mandatory into an exchange and returned to the publisher as unroutable', (m) => m.returnUnroutable),
    global('messages_confirmed_total', 'Total number of messages confirmed to publishers', (m) => m.confirm),
    global('messages_delivered_total', 'Total number of messages delivered to consumers', (m) => m.deliverGet),
    global('messages_delivered_consume_manual_ack_total', 'Total number of messages delivered to consumers using basic.consume with manual acknowledgment', (m) => m.deliver),
    global('messages_delivered_consume_auto_ack_total', 'Total number of messages delivered to consumers using basic.consume with automatic acknowledgment', (m) => m.deliverNoAck),
    global('messages_delivered_get_manual_ack_total', 'Total number of messages delivered to consumers using basic.get with manual acknowledgment', (m) => m.get),
    global('messages_delivered_get_auto_ack_total', 'Total number of messages delivered to consumers using basic.get with automatic acknowledgment', (m) => m.getNoAck),
    global('messages_get_empty_total', 'Total number of times basic.get operations fetched no message', (m) => m.getEmpty),
    global('messages_redelivered_total', 'Total number of messages redelivered to consumers', (m) => m.redeliver),
    global('messages_acknowledged_total', 'Total number of message acknowledgements received from consumers', (m) => m.ack),

    perQueue('rabbitmq_queue_messages_ready', 'Messages ready to be delivered to consumers', 'gauge', (q) => q.messageCount),
    perQueue('rabbitmq_queue_messages_unacked', 'Messages delivered to consumers but not yet acknowledged', 'gauge', (q) => q.unackedCount),
    perQueue('rabbitmq_queue_messages', 'Sum of ready and unacknowledged messages - total queue depth', 'gauge', (q) => q.messageCount + q.unackedCount),
    perQueue('rabbitmq_queue_messages_ready_bytes', 'Size in bytes of ready messages', 'gauge', (q) => q.ready.bytes),
    perQueue('rabbitmq_queue_messages_bytes', 'Size in bytes of ready and unacknowledged messages', 'gauge', (q) => q.ready.bytes),
    perQueue('rabbitmq_queue_messages_ram_bytes', 'Size in bytes of ready and unacknowledged messages stored in memory', 'gauge', (q) => q.memoryBytes),
    perQueue('rabbitmq_queue_consumers', 'Consumers on a queue', 'gauge', (q) => q.consumerCount),
    perQueue('rabbitmq_queue_messages_published_total', 'Total number of messages published to queues', 'counter', (q) => q.publishedCount),

    perChannel('rabbitmq_channel_consumers', 'Consumers on a channel', 'gauge', (ch) => ch.consumerCount),
    perChannel('rabbitmq_channel_messages_unacked', 'Delivered but not yet acknowledged messages', 'gauge', (ch) => ch.unackedCount),
    perChannel('rabbitmq_channel_messages_uncommitted', 'Messages received in a transaction but not yet committed', 'gauge', (ch) => ch.uncommittedMessages),
    perChannel('rabbitmq_channel_acks_uncommitted', 'Message acknowledgements in a transaction not yet committed', 'gauge', (ch) => ch.uncommittedAcks),
    perChannel('rabbitmq_channel_prefetch', 'Total limit of unacknowledged messages for all consumers on a channel', 'gauge', (ch) => ch.globalPrefetchCount),
    perChannel('rabbitmq_channel_messages_published_total', 'Total number of messages published into an exchange on a channel', 'counter', ms((m) => m.publish)),
    perChannel('rabbitmq_channel_messages_confirmed_total', 'Total number of messages published into an exchange and confirmed on the channel', 'counter', ms((m) => m.confirm)),
    perChannel('rabbitmq_channel_messages_unroutable_returned_total', 'Total number of messages published as mandatory into an exchange and returned to the publisher as unroutable', 'counter', ms((m) => m.returnUnroutable)),
    perChannel('rabbitmq_channel_messages_unroutable_dropped_total', 'Total number of messages published as non-mandatory into an exchange and dropped as unroutable', 'counter', ms((m) => m.dropUnroutable)),
    perChannel('rabbitmq_channel_messages_delivered_total', 'Total number of messages delivered to consumers in automatic acknowledgement mode', 'counter', ms((m) => m.deliverNoAck)),
    perChannel('rabbitmq_channel_messages_delivered_ack_total', 'Total number of messages delivered to consumers in manual acknowledgement mode', 'counter', ms((m) => m.deliver)),
    perChannel('rabbitmq_channel_get_ack_total', 'Total number of messages fetched with basic.get in manual acknowledgement mode', 'counter', ms((m) => m.get)),
    perChannel('rabbitmq_channel_get_total', 'Total number of messages fetched with basic.get in automatic acknowledgement mode', 'counter', ms((m) => m.getNoAck)),
    perChannel('rabbitmq_channel_get_empty_total', 'Total number of times basic.get operations fetched no message', 'counter', ms((m) => m.getEmpty)),
    perChannel('rabbitmq_channel_messages_redelivered_total', 'Total number of messages redelivered to consumers', 'counter', ms((m) => m.redeliver)),
    perChannel('rabbitmq_channel_messages_acked_total', 'Total number of messages acknowledged by consumers', 'counter', ms((m) => m.ack)),

    perConnection('rabbitmq_connection_incoming_bytes_total', 'Total number of bytes received on a connection', 'counter', (conn) => conn.recvOct),
    perConnection('rabbitmq_connection_outgoing_bytes_total', 'Total number of bytes sent on a connection', 'counter', (conn) => conn.sendOct),
    perConnection('rabbitmq_connection_incoming_packets_total', 'Total number of packets received on a connection', 'counter', (conn) => conn.recvCnt),
    perConnection('rabbitmq_connection_outgoing_packets_total', 'Total number of packets sent on a connection', 'counter', (conn) => conn.sendCnt),
    perConnection('rabbitmq_connection_channels', 'Channels on a connection', 'gauge', (conn) => conn.channelCount),
  ];
}

/** A prom-client registry whose metrics read the broker at each scrape. */
export function buildRegistry(broker: WarrenBroker, stats: StatsCollector, perObject: boolean): Registry {
  const registry = new Registry();
  for (const def of metricDefs(broker, stats)) {
    const labelNames = [...new Set(def.samples(false).flatMap(([l]) => Object.keys(l)).concat(perObject ? perObjectLabels(def.name) : []))];
    if (def.type === 'gauge') {
      new Gauge({
        name: def.name, help: def.help, labelNames, registers: [registry],
        collect() {
          this.reset();
          for (const [labels, v] of def.samples(perObject)) this.set(labels, v);
        },
      });
    } else {
      new Counter({
        name: def.name, help: def.help, labelNames, registers: [registry],
        collect() {
          this.reset();
          for (const [labels, v] of def.samples(perObject)) this.inc(labels, Math.max(0, v));
        },
      });
    }
  }
  return registry;
}

function perObjectLabels(name: string): string[] {
  if (name.startsWith('rabbitmq_queue_')) return ['vhost', 'queue'];
  if (name.startsWith('rabbitmq_channel_')) return ['channel'];
  if (name.startsWith('rabbitmq_connection_')) return ['connection'];
  return [];
}

/** Starts the Prometheus endpoint: GET /metrics and /metrics/per-object. */
export async function startPrometheus(opts: PrometheusOptions): Promise<{ port: number; close(): Promise<void> }> {
  const stats = new StatsCollector(opts.broker, 5000);
  const aggregated = buildRegistry(opts.broker, stats, false);
  const perObject = buildRegistry(opts.broker, stats, true);
  const server: Server = createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0];
    const registry = url === '/metrics' ? aggregated : url === '/metrics/per-object' ? perObject : undefined;
    if (req.method !== 'GET' || registry === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found\n');
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${String(err)}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: opts.port ?? 15692, host: opts.host ?? '0.0.0.0' }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
  opts.broker.logger.info({ port }, 'Prometheus metrics listening');
  return {
    port,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
