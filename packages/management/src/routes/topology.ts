// exchanges, queues and bindings: list, get, declare, delete, publish, get messages, purge.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { Type, type Static } from 'typebox';
import { buildMessage, Exchange, MessageCounters, type PermissionKind, type Queue, type QueueEntry, type VirtualHost, type WarrenBroker } from '@warren/broker';
import type { FieldTable } from '@warren/protocol';
import { canSeeVhost, requireVhostAccess, requireVhostVisible, type Principal } from '../auth.js';
import { amqp, principalOf, queryOf, vhostOr404, type ManagementContext } from '../context.js';
import { exchangeFromUrl, formatBinding, formatConsumer, formatExchange, formatQueue, propertiesKey, vhostBindings, type Json } from '../format.js';
import { badRequest, HttpError, notAuthorised, notFound } from '../http-error.js';
import { listResponse } from '../listing.js';
import { decodePayload, messageJson, propertiesFromJson } from '../message-json.js';
import { Bool, bool, Int, int } from '../body.js';

const Args = Type.Record(Type.String(), Type.Unknown());
const QueueBody = Type.Object({
  durable: Type.Optional(Bool),
  auto_delete: Type.Optional(Bool),
  queue_type: Type.Optional(Type.String()),
  arguments: Type.Optional(Args),
  node: Type.Optional(Type.String()),
  vhost: Type.Optional(Type.String()),
  name: Type.Optional(Type.String()),
  type: Type.Optional(Type.String()),
}, { additionalProperties: false });
const ExchangeBody = Type.Object({
  type: Type.Optional(Type.String()),
  durable: Type.Optional(Bool),
  auto_delete: Type.Optional(Bool),
  internal: Type.Optional(Bool),
  arguments: Type.Optional(Args),
  vhost: Type.Optional(Type.String()),
  name: Type.Optional(Type.String()),
}, { additionalProperties: false });
const PublishBody = Type.Object({
  routing_key: Type.String(),
  payload: Type.Optional(Type.String()),
  exchange: Type.Optional(Type.String()),
  mandatory: Type.Optional(Bool),
  payload_encoding: Type.Optional(Type.String()),
  properties: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  vhost: Type.Optional(Type.String()),
  name: Type.Optional(Type.String()),
}, { additionalProperties: false });
const GetBody = Type.Object({
  count: Type.Optional(Int),
  ackmode: Type.String(),
  encoding: Type.Optional(Type.String()),
  truncate: Type.Optional(Int),
  requeue: Type.Optional(Bool),
  queue: Type.Optional(Type.String()),
  vhost: Type.Optional(Type.String()),
  name: Type.Optional(Type.String()),
}, { additionalProperties: false });
const BindingBody = Type.Object({
  routing_key: Type.Optional(Type.String()),
  arguments: Type.Optional(Args),
  vhost: Type.Optional(Type.String()),
  source: Type.Optional(Type.String()),
  destination: Type.Optional(Type.String()),
  destination_type: Type.Optional(Type.String()),
}, { additionalProperties: false });

type VQ = { Params: { vhost: string; name: string } };

/** RabbitMQ's resource permission check for HTTP operations (they run as the user). */
function checkPerm(broker: WarrenBroker, p: Principal, vhost: string, kind: PermissionKind, type: 'queue' | 'exchange', name: string): void {
  const resource = type === 'exchange' && name === '' ? 'amq.default' : name;
  if (!broker.access.check(p.user, vhost, kind, resource)) {
    throw notAuthorised(`access to ${type} '${resource}' in vhost '${vhost}' refused for user '${p.user.name}'`);
  }
}

/** A vhost for a write: 404 {"error":"not_found","reason":"vhost_not_found"} when missing, as RabbitMQ answers. */
function vhostForWrite(broker: WarrenBroker, p: Principal, name: string): VirtualHost {
  const vh = broker.access.hasVhost(name) ? broker.vhost(name) : undefined;
  if (vh === undefined) throw new HttpError(404, 'not_found', 'vhost_not_found');
  requireVhostAccess(broker, p, name);
  return vh;
}

function visibleVhosts(broker: WarrenBroker, p: Principal, only: string | undefined): VirtualHost[] {
  if (only !== undefined) {
    const vh = vhostOr404(broker, only);
    requireVhostVisible(broker, p, only);
    return [vh];
  }
  return [...broker.vhosts.values()].filter((vh) => broker.access.hasVhost(vh.name) && canSeeVhost(broker, p, vh.name));
}

function queueOr404(vh: VirtualHost, name: string): Queue {
  const q = vh.queues.get(name);
  if (q === undefined) throw notFound();
  return q;
}

function exchangeOr404(vh: VirtualHost, urlName: string): Exchange {
  const e = vh.exchanges.get(exchangeFromUrl(urlName));
  if (e === undefined) throw notFound();
  return e;
}

function flag(q: Record<string, string | undefined>, key: string): boolean {
  return q[key] === 'true';
}

export function topologyRoutes(app: FastifyInstance, ctx: ManagementContext): void {
  const { broker, stats } = ctx;

  /** HTTP operations count like a channel's, in the vhost's figures. */
  const count = (vhost: string, f: (c: MessageCounters) => void): void => {
    if (!broker.statsEnabled) return;
    const c = new MessageCounters();
    f(c);
    broker.retireStats(vhost, c);
  };

  // ---- exchanges ----
  const listExchanges = (req: { params: { vhost?: string } }, p: Principal): Json[] => {
    const rows: Json[] = [];
    for (const vh of visibleVhosts(broker, p, req.params.vhost)) for (const e of vh.exchanges.values()) rows.push(formatExchange(e, vh.name, broker, stats));
    return rows;
  };
  app.get('/api/exchanges', async (req) => listResponse(listExchanges({ params: {} }, principalOf(req)), queryOf(req)));
  app.get<{ Params: { vhost: string } }>('/api/exchanges/:vhost', async (req) => listResponse(listExchanges(req, principalOf(req)), queryOf(req)));
  app.get<VQ>('/api/exchanges/:vhost/:name', async (req) => {
    const p = principalOf(req);
    const vh = vhostOr404(broker, req.params.vhost);
    requireVhostVisible(broker, p, vh.name);
    return formatExchange(exchangeOr404(vh, req.params.name), vh.name, broker, stats);
  });
  app.put<VQ & { Body: Static<typeof ExchangeBody> }>('/api/exchanges/:vhost/:name', { schema: { body: ExchangeBody } }, async (req, reply) => {
    const p = principalOf(req);
    const vh = vhostForWrite(broker, p, req.params.vhost);
    const name = exchangeFromUrl(req.params.name);
    const b = req.body ?? {};
    checkPerm(broker, p, vh.name, 'configure', 'exchange', name);
    const existed = vh.exchanges.has(name);
    amqp(() => vh.declareExchange({
      name, type: b.type ?? 'direct', passive: false, durable: bool(b.durable, true), autoDelete: bool(b.auto_delete, false),
      internal: bool(b.internal, false), args: (b.arguments ?? {}) as FieldTable,
    }));
    return reply.code(existed ? 204 : 201).send();
  });
  app.delete<VQ>('/api/exchanges/:vhost/:name', async (req, reply) => {
    const p = principalOf(req);
    const vh = vhostForWrite(broker, p, req.params.vhost);
    const e = exchangeOr404(vh, req.params.name);
    checkPerm(broker, p, vh.name, 'configure', 'exchange', e.name);
    amqp(() => vh.deleteExchange(e.name, flag(queryOf(req), 'if-unused')));
    return reply.code(204).send();
  });
  app.get<VQ>('/api/exchanges/:vhost/:name/bindings/source', async (req) => {
    const p = principalOf(req);
    const vh = vhostOr404(broker, req.params.vhost);
    requireVhostVisible(broker, p, vh.name);
    const e = exchangeOr404(vh, req.params.name);
    const rows = e.isDefault
      ? [...vh.queues.values()].map((q) => formatBinding(vh.name, '', q, q.name, {}))
      : [...e.router.bindings()].map((b) => formatBinding(vh.name, e, b.target, b.key, b.args));
    return listResponse(rows, queryOf(req), []);
  });
  app.get<VQ>('/api/exchanges/:vhost/:name/bindings/destination', async (req) => {
    const p = principalOf(req);
    const vh = vhostOr404(broker, req.params.vhost);
    requireVhostVisible(broker, p, vh.name);
    const e = exchangeOr404(vh, req.params.name);
    const rows = [...vh.bindings()].filter((b) => b.destination === e).map((b) => formatBinding(vh.name, b.source, b.destination, b.key, b.args));
    return listResponse(rows, queryOf(req), []);
  });
  app.post<VQ & { Body: Static<typeof PublishBody> }>('/api/exchanges/:vhost/:name/publish', { schema: { body: PublishBody } }, async (req) => {
    const p = principalOf(req);
    const vh = vhostForWrite(broker, p, req.params.vhost);
    const e = exchangeOr404(vh, req.params.name);
    checkPerm(broker, p, vh.name, 'write', 'exchange', e.name);
    if (e.internal) throw badRequest(`cannot publish to internal exchange '${e.name}' in vhost '${vh.name}'`);
    const b = req.body;
    const props = propertiesFromJson(b.properties ?? {});
    if (props.userId !== undefined && props.userId !== p.user.name) {
      throw badRequest(`user_id property set to '${props.userId}' but authenticated user was '${p.user.name}'`);
    }
    const body = decodePayload(b.payload ?? '', b.payload_encoding ?? 'string');
    const msg = amqp(() => buildMessage(e.name, b.routing_key, props, body));
    if (msg.expirationMs === -2) throw badRequest(`invalid expiration '${props.expiration ?? ''}'`);
    // As a basic.publish: CC / BCC copies, BCC removed, delayed exchanges hold the message.
    const routed = vh.publishDirect(e, msg);
    count(vh.name, (c) => {
      c.publish++;
      if (!routed) c.dropUnroutable++;
    });
    return { routed };
  });

  // ---- queues ----
  const listQueues = (vhost: string | undefined, p: Principal): Json[] => {
    const rows: Json[] = [];
    for (const vh of visibleVhosts(broker, p, vhost)) for (const q of vh.queues.values()) rows.push(formatQueue(broker, stats, q));
    return rows;
  };
  app.get('/api/queues', async (req) => listResponse(listQueues(undefined, principalOf(req)), queryOf(req)));
  app.get<{ Params: { vhost: string } }>('/api/queues/:vhost', async (req) => listResponse(listQueues(req.params.vhost, principalOf(req)), queryOf(req)));
  app.get<VQ>('/api/queues/:vhost/:name', async (req) => {
    const p = principalOf(req);
    const vh = vhostOr404(broker, req.params.vhost);
    requireVhostVisible(broker, p, vh.name);
    const q = queueOr404(vh, req.params.name);
    const out = formatQueue(broker, stats, q);
    out['consumer_details'] = consumerDetailsOf(ctx, q);
    return out;
  });
  app.put<VQ & { Body: Static<typeof QueueBody> }>('/api/queues/:vhost/:name', { schema: { body: QueueBody } }, async (req, reply) => {
    const p = principalOf(req);
    const vh = vhostForWrite(broker, p, req.params.vhost);
    const name = req.params.name;
    const b = req.body ?? {};
    checkPerm(broker, p, vh.name, 'configure', 'queue', name);
    const args = { ...(b.arguments ?? {}) } as FieldTable;
    const max = broker.vhostLimit(vh.name, 'max-queues');
    if (max !== undefined && !vh.queues.has(name) && vh.queues.size >= max) {
      throw badRequest(`cannot declare queue '${name}': queue limit in vhost '${vh.name}' (${max}) is reached`);
    }
    const qtype = b.queue_type ?? b.type;
    if (qtype !== undefined && args['x-queue-type'] === undefined) args['x-queue-type'] = qtype;
    const { created } = amqp(() => vh.declareQueue({ name, passive: false, durable: bool(b.durable, true), exclusive: false, autoDelete: bool(b.auto_delete, false), args }, 0));
    return reply.code(created ? 201 : 204).send();
  });
  app.delete<VQ>('/api/queues/:vhost/:name', async (req, reply) => {
    const p = principalOf(req);
    const vh = vhostForWrite(broker, p, req.params.vhost);
    const q = queueOr404(vh, req.params.name);
    checkPerm(broker, p, vh.name, 'configure', 'queue', q.name);
    const query = queryOf(req);
    amqp(() => vh.deleteQueueChecked(q.name, flag(query, 'if-unused'), flag(query, 'if-empty'), q.exclusiveOwner));
    return reply.code(204).send();
  });
  app.delete<VQ>('/api/queues/:vhost/:name/contents', async (req, reply) => {
    const p = principalOf(req);
    const vh = vhostForWrite(broker, p, req.params.vhost);
    const q = queueOr404(vh, req.params.name);
    checkPerm(broker, p, vh.name, 'read', 'queue', q.name);
    q.purge();
    return reply.code(204).send();
  });
  app.get<VQ>('/api/queues/:vhost/:name/bindings', async (req) => {
    const p = principalOf(req);
    const vh = vhostOr404(broker, req.params.vhost);
    requireVhostVisible(broker, p, vh.name);
    const q = queueOr404(vh, req.params.name);
    const rows = [formatBinding(vh.name, '', q, q.name, {})];
    for (const b of vh.bindings()) if (b.destination === q) rows.push(formatBinding(vh.name, b.source, q, b.key, b.args));
    return listResponse(rows, queryOf(req), []);
  });
  app.post<VQ & { Body: { action?: unknown } }>('/api/queues/:vhost/:name/actions', async (req, reply) => {
    const p = principalOf(req);
    const vh = vhostForWrite(broker, p, req.params.vhost);
    queueOr404(vh, req.params.name);
    const action = (req.body ?? {}).action;
    // Classic mirrored-queue actions: Warren has no mirrors, so they have nothing to do.
    if (action !== 'sync' && action !== 'cancel_sync') throw badRequest(`unknown action ${JSON.stringify(action)}`);
    return reply.code(204).send();
  });
  app.post<VQ & { Body: Static<typeof GetBody> }>('/api/queues/:vhost/:name/get', { schema: { body: GetBody } }, async (req) => {
    const p = principalOf(req);
    const vh = vhostForWrite(broker, p, req.params.vhost);
    const q = queueOr404(vh, req.params.name);
    checkPerm(broker, p, vh.name, 'read', 'queue', q.name);
    const b = req.body;
    const modes = ['ack_requeue_true', 'ack_requeue_false', 'reject_requeue_true', 'reject_requeue_false'];
    // Older clients send requeue=true/false with ackmode 'ack_requeue_*' semantics.
    if (!modes.includes(b.ackmode)) throw badRequest(`ackmode must be one of ${modes.join(', ')}`);
    const encoding = b.encoding ?? 'auto';
    if (encoding !== 'auto' && encoding !== 'base64') throw badRequest(`encoding must be "auto" or "base64"`);
    amqp(() => vh.queue(q.name, 0));
    const requeue = b.ackmode.endsWith('_true');
    const reject = b.ackmode.startsWith('reject');
    const out: unknown[] = [];
    const taken: QueueEntry[] = [];
    const n = int(b.count, 1);
    if (!(n >= 1)) throw badRequest('count must be a positive integer');
    const truncate = b.truncate === undefined ? undefined : int(b.truncate, 0);
    for (let i = 0; i < n; i++) {
      const entry = q.get(Date.now());
      if (entry === undefined) break;
      out.push(messageJson(entry.msg, entry.redelivered, q.messageCount, encoding, truncate));
      if (requeue) taken.push(entry);
      else {
        if (reject) vh.deadLetter(q, entry, 'rejected');
        q.discard(entry);
      }
    }
    if (taken.length > 0) q.requeue(taken);
    if (q.stats !== undefined) q.stats.get += out.length;
    count(vh.name, (c) => {
      c.get += out.length;
      if (out.length === 0) c.getEmpty++;
      if (!reject && !requeue) c.ack += out.length;
    });
    return out;
  });

  // ---- bindings ----
  app.get('/api/bindings', async (req) => {
    const p = principalOf(req);
    const rows: Json[] = [];
    for (const vh of visibleVhosts(broker, p, undefined)) rows.push(...vhostBindings(vh));
    return listResponse(rows, queryOf(req), []);
  });
  app.get<{ Params: { vhost: string } }>('/api/bindings/:vhost', async (req) => {
    const p = principalOf(req);
    const rows: Json[] = [];
    for (const vh of visibleVhosts(broker, p, req.params.vhost)) rows.push(...vhostBindings(vh));
    return listResponse(rows, queryOf(req), []);
  });

  type Ends = { Params: { vhost: string; source: string; dest: string; props?: string } };
  for (const kind of ['q', 'e'] as const) {
    const base = `/api/bindings/:vhost/e/:source/${kind}/:dest`;
    const ends = (req: { params: Ends['Params'] }, p: Principal, write: boolean) => {
      const vh = write ? vhostForWrite(broker, p, req.params.vhost) : vhostOr404(broker, req.params.vhost);
      if (!write) requireVhostVisible(broker, p, vh.name);
      const source = exchangeOr404(vh, req.params.source);
      const dest = kind === 'q' ? queueOr404(vh, req.params.dest) : exchangeOr404(vh, req.params.dest);
      return { vh, source, dest };
    };
    const between = (vh: VirtualHost, source: Exchange, dest: Queue | Exchange): Json[] => {
      if (source.isDefault) return dest instanceof Exchange ? [] : [formatBinding(vh.name, '', dest, dest.name, {})];
      return [...source.router.bindings()].filter((b) => b.target === dest).map((b) => formatBinding(vh.name, source, dest, b.key, b.args));
    };
    app.get<Ends>(base, async (req) => {
      const { vh, source, dest } = ends(req, principalOf(req), false);
      return listResponse(between(vh, source, dest), queryOf(req), []);
    });
    app.post<Ends & { Body: Static<typeof BindingBody> }>(base, { schema: { body: BindingBody } }, async (req, reply: FastifyReply) => {
      const p = principalOf(req);
      const { vh, source, dest } = ends(req, p, true);
      const key = req.body?.routing_key ?? '';
      const args = (req.body?.arguments ?? {}) as FieldTable;
      checkPerm(broker, p, vh.name, 'write', kind === 'q' ? 'queue' : 'exchange', dest.name);
      checkPerm(broker, p, vh.name, 'read', 'exchange', source.name);
      amqp(() => vh.bind(source, dest, key, args));
      const location = `${req.url.replace(/\?.*$/, '').replace(/\/$/, '')}/${encodeURIComponent(propertiesKey(key, args))}`;
      return reply.code(201).header('location', location).send();
    });
    app.get<Ends>(`${base}/:props`, async (req) => {
      const { vh, source, dest } = ends(req, principalOf(req), false);
      const found = between(vh, source, dest).find((b) => matchesProps(b['properties_key'] as string, b['routing_key'] as string, b['arguments'] as object, req.params.props ?? ''));
      if (found === undefined) throw notFound();
      return found;
    });
    app.delete<Ends>(`${base}/:props`, async (req, reply) => {
      const p = principalOf(req);
      const { vh, source, dest } = ends(req, p, true);
      checkPerm(broker, p, vh.name, 'write', kind === 'q' ? 'queue' : 'exchange', dest.name);
      checkPerm(broker, p, vh.name, 'read', 'exchange', source.name);
      const props = req.params.props ?? '';
      const binding = source.isDefault ? undefined : [...source.router.bindings()].find((b) => b.target === dest && matchesProps(propertiesKey(b.key, b.args), b.key, b.args, props));
      if (binding === undefined) throw notFound();
      amqp(() => vh.unbind(source, dest, binding.key, binding.args));
      return reply.code(204).send();
    });
  }
}

/** consumer_details of a queue (GET /api/queues/vhost/name), with each consumer's channel. */
function consumerDetailsOf(ctx: ManagementContext, q: Queue): Json[] {
  const out: Json[] = [];
  for (const conn of ctx.broker.connections) {
    for (const ch of conn.channelList) {
      for (const k of ch.consumerList) if (k.queue === q) out.push(formatConsumer(ctx.broker, conn, ch, k));
    }
  }
  return out;
}

/**
 * Whether a URL's properties key names a binding. Clients URL-encode the properties key once more
 * (RabbitMQ's own Location header does); a key sent with only the routing key encoded is accepted too.
 */
function matchesProps(propsKey: string, routingKey: string, args: object, given: string): boolean {
  if (propsKey === given) return true;
  return Object.keys(args).length === 0 && routingKey === given && given !== '';
}
