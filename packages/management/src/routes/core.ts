// overview, nodes, whoami, cluster-name, extensions, health checks and the aliveness test.
import { statfsSync } from 'node:fs';
import { cpus, freemem, totalmem } from 'node:os';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { buildMessage, EXCHANGE_TYPES, PRODUCT, VERSION } from '@warren/broker';
import { requireAdmin, requireMonitor, requireVhostAccess } from '../auth.js';
import { principalOf, queryOf, vhostOr404, type ManagementContext } from '../context.js';
import type { HistoryWindow } from '../stats.js';
import { nodeName } from '../format.js';
import { HttpError, notFound } from '../http-error.js';

const EXCHANGE_DESCRIPTIONS: Record<string, string> = {
  direct: 'AMQP direct exchange, as per the AMQP specification',
  fanout: 'AMQP fanout exchange, as per the AMQP specification',
  topic: 'AMQP topic exchange, as per the AMQP specification',
  headers: 'AMQP headers exchange, as per the AMQP specification',
};

export function coreRoutes(app: FastifyInstance, ctx: ManagementContext, info: { port: () => number; tls: boolean }): void {
  const { broker, stats } = ctx;
  const node = nodeName(broker);

  const listeners = (): unknown[] => {
    const out: unknown[] = [{ node, protocol: 'amqp', ip_address: broker.listenHost ?? '::', port: broker.port, socket_opts: {} }];
    if (broker.tlsPort !== 0) out.push({ node, protocol: 'amqp/ssl', ip_address: broker.listenHost ?? '::', port: broker.tlsPort, socket_opts: {} });
    out.push({ node, protocol: info.tls ? 'https' : 'http', ip_address: '::', port: info.port(), socket_opts: {} });
    return out;
  };

  const objectTotals = () => {
    let channels = 0;
    let consumers = 0;
    let exchanges = 0;
    let queues = 0;
    for (const c of broker.connections) channels += c.channelCount;
    for (const vh of broker.vhosts.values()) {
      exchanges += vh.exchanges.size;
      queues += vh.queues.size;
      for (const q of vh.queues.values()) consumers += q.consumerCount;
    }
    return { connections: broker.connections.size, channels, consumers, exchanges, queues };
  };

  app.get('/api/overview', async (req) => {
    const p = principalOf(req);
    const q = queryOf(req);
    const out: Record<string, unknown> = {
      management_version: VERSION,
      rates_mode: broker.statsEnabled ? 'basic' : 'none',
      sample_retention_policies: { global: [600, 3600, 28800, 86400], basic: [600, 3600], detailed: [600] },
      exchange_types: EXCHANGE_TYPES.map((t) => ({ name: t, description: EXCHANGE_DESCRIPTIONS[t] ?? '', enabled: true })),
      product_version: VERSION,
      product_name: PRODUCT,
      // The RabbitMQ release whose API this one follows (tools compare it); product_* name Warren.
      rabbitmq_version: '3.10.8',
      cluster_name: ctx.store.getGlobal('cluster_name')?.value ?? broker.clusterName,
      erlang_version: `Node.js ${process.version}`,
      erlang_full_version: `Node.js ${process.version} (${process.platform}/${process.arch})`,
      disable_stats: !broker.statsEnabled,
      enable_queue_totals: true,
      message_stats: stats.globalMessageStats(historyWindow(q, 'msg_rates')),
      churn_rates: {},
      queue_totals: stats.globalTotals(historyWindow(q, 'lengths')),
      object_totals: objectTotals(),
      statistics_db_event_queue: 0,
      node,
      listeners: p.isMonitor ? listeners() : [],
      contexts: [{ node, description: 'RabbitMQ Management', path: '/', port: String(info.port()) }],
    };
    return out;
  });

  const nodeInfo = () => {
    const mem = process.memoryUsage();
    return {
      name: node,
      type: 'disc',
      running: true,
      rates_mode: broker.statsEnabled ? 'basic' : 'none',
      mem_calculation_strategy: 'rss',
      db_dir: broker.dataDir ?? '',
      config_files: [],
      log_files: [],
      connection_created: broker.connectionsOpened,
      connection_closed: broker.connectionsOpened - broker.connections.size,
      being_drained: false,
      os_pid: String(process.pid),
      mem_used: mem.rss,
      mem_limit: broker.alarms.memoryLimit,
      mem_alarm: broker.alarms.memoryAlarm,
      disk_free: diskFree(broker.dataDir ?? '.'),
      disk_free_limit: broker.alarms.diskFreeLimit,
      disk_free_alarm: broker.alarms.diskAlarm,
      fd_used: broker.connections.size,
      fd_total: 1048576,
      sockets_used: broker.connections.size,
      sockets_total: 1048576,
      proc_used: 0,
      proc_total: 1048576,
      processors: cpus().length,
      uptime: Date.now() - broker.startedAt,
      run_queue: 0,
      partitions: [],
      os_total_mem: totalmem(),
      os_free_mem: freemem(),
      applications: [{ name: 'warren', description: PRODUCT, version: VERSION }],
      contexts: [{ description: 'RabbitMQ Management', path: '/', port: String(info.port()) }],
      exchange_types: EXCHANGE_TYPES.map((t) => ({ name: t, description: EXCHANGE_DESCRIPTIONS[t] ?? '', enabled: true })),
      auth_mechanisms: [{ name: 'PLAIN', description: 'SASL PLAIN authentication mechanism', enabled: true }, { name: 'AMQPLAIN', description: 'QPid AMQPLAIN mechanism', enabled: true }],
      listeners: listeners(),
      net_ticktime: 60,
      enabled_plugins: ['rabbitmq_management', 'rabbitmq_prometheus'],
    };
  };

  app.get('/api/nodes', async (req) => {
    requireMonitor(principalOf(req));
    return [nodeInfo()];
  });

  app.get<{ Params: { node: string } }>('/api/nodes/:node', async (req) => {
    requireMonitor(principalOf(req));
    if (req.params.node !== node) throw notFound();
    return nodeInfo();
  });

  app.get('/api/whoami', async (req) => {
    const p = principalOf(req);
    return { name: p.user.name, tags: [...p.user.tags] };
  });

  app.get('/api/extensions', async () => []);

  app.get('/api/cluster-name', async () => ({ name: ctx.store.getGlobal('cluster_name')?.value ?? broker.clusterName }));

  app.put('/api/cluster-name', { schema: { body: Type.Object({ name: Type.String({ minLength: 1 }) }) } }, async (req, reply) => {
    requireAdmin(principalOf(req));
    ctx.store.setGlobal({ name: 'cluster_name', value: (req.body as { name: string }).name });
    return reply.code(204).send();
  });

  // ---- health checks (RabbitMQ: 200 {"status":"ok"}, 503 {"status":"failed","reason":..}) ----

  const ok = { status: 'ok' };
  const failed = (reason: string, extra: Record<string, unknown> = {}) => new HttpError(503, 'failed', reason, {}, { status: 'failed', reason, ...extra });

  app.get('/api/health/checks/alarms', async () => {
    const alarms = activeAlarms(broker);
    if (alarms.length > 0) throw failed('resource alarm(s) in effect in the cluster', { alarms: alarms.map((resource) => ({ node, resource })) });
    return ok;
  });
  app.get('/api/health/checks/local-alarms', async () => {
    const alarms = activeAlarms(broker);
    if (alarms.length > 0) throw failed('resource alarm(s) in effect on the node', { alarms: alarms.map((resource) => ({ node, resource })) });
    return ok;
  });
  app.get<{ Params: { within: string; unit: string } }>('/api/health/checks/certificate-expiration/:within/:unit', async (req) => {
    const n = Number(req.params.within);
    const units: Record<string, number> = { days: 86400e3, weeks: 7 * 86400e3, months: 30 * 86400e3, years: 365 * 86400e3 };
    const unitMs = units[req.params.unit];
    if (!Number.isInteger(n) || n < 0 || unitMs === undefined) {
      throw new HttpError(400, 'bad_request', 'within and unit must be a non-negative integer and one of days, weeks, months, years');
    }
    const expiry = broker.tlsCertificateExpiry;
    if (expiry !== undefined && expiry < Date.now() + n * unitMs) throw failed('Certificates expiring');
    return ok;
  });
  app.get<{ Params: { port: string } }>('/api/health/checks/port-listener/:port', async (req) => {
    const port = Number(req.params.port);
    if (!Number.isInteger(port)) throw new HttpError(400, 'bad_request', `invalid port '${req.params.port}'`);
    const open = [broker.port, broker.tlsPort, info.port()].filter((x) => x !== 0);
    if (!open.includes(port)) throw failed(`No active listener on port ${port}`, { missing: port, ports: open });
    return { ...ok, port };
  });
  app.get<{ Params: { protocol: string } }>('/api/health/checks/protocol-listener/:protocol', async (req) => {
    const proto = req.params.protocol.toLowerCase();
    const active = ['amqp', 'amqp0-9-1', ...(broker.tlsPort !== 0 ? ['amqps', 'amqp/ssl'] : []), info.tls ? 'https' : 'http'];
    if (!active.includes(proto)) throw failed(`No active listener for protocol ${req.params.protocol}`, { missing: req.params.protocol, protocols: active });
    return { ...ok, protocol: req.params.protocol };
  });
  app.get('/api/health/checks/virtual-hosts', async () => ok);
  // The pre-3.8 node health check, still answered by RabbitMQ 3.10 (scripts use it).
  app.get('/api/healthchecks/node', async () => ok);
  app.get<{ Params: { node: string } }>('/api/healthchecks/node/:node', async (req) => {
    if (req.params.node !== node) throw notFound();
    return ok;
  });
  app.get('/api/health/checks/node-is-mirror-sync-critical', async () => ok);
  app.get('/api/health/checks/node-is-quorum-critical', async () => ok);
  app.get('/api/health/checks/is-in-service', async () => ok);
  app.get('/api/health/checks/ready-to-serve-clients', async () => ok);

  /** Declares aliveness-test, publishes and gets a message back, as RabbitMQ does. */
  app.get<{ Params: { vhost: string } }>('/api/aliveness-test/:vhost', async (req) => {
    const p = principalOf(req);
    const vh = vhostOr404(broker, req.params.vhost);
    requireVhostAccess(broker, p, vh.name);
    const { queue } = vh.declareQueue({ name: 'aliveness-test', passive: false, durable: false, exclusive: false, autoDelete: false, args: {} }, 0);
    const msg = buildMessage('', queue.name, {}, Buffer.from('test_message'));
    const targets = vh.route(vh.exchange(''), queue.name, msg);
    for (const q of targets) q.enqueue(msg, Date.now());
    const entry = queue.get(Date.now());
    if (entry === undefined) throw failed('aliveness test failed: message not received');
    queue.discard(entry);
    return ok;
  });

  // The management UI asks this before logging in.
  app.get('/api/auth', async () => ({ oauth_enabled: false, oauth_client_id: '', oauth_provider_url: '' }));
}

function activeAlarms(broker: { alarms: { memoryAlarm: boolean; diskAlarm: boolean } }): string[] {
  const out: string[] = [];
  if (broker.alarms.memoryAlarm) out.push('memory');
  if (broker.alarms.diskAlarm) out.push('disk');
  return out;
}

function diskFree(dir: string): number {
  try {
    const s = statfsSync(dir);
    return s.bavail * s.bsize;
  } catch {
    return 0;
  }
}

/** RabbitMQ's `<prefix>_age` / `<prefix>_incr` query parameters (seconds), when both are valid. */
function historyWindow(q: Record<string, string | undefined>, prefix: string): HistoryWindow | undefined {
  const age = Number(q[`${prefix}_age`]);
  const incr = Number(q[`${prefix}_incr`]);
  if (!Number.isFinite(age) || !Number.isFinite(incr) || age <= 0 || incr <= 0) return undefined;
  return { age, incr };
}
