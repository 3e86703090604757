// connections, channels and consumers. Management users see their own; monitors see all.
import type { FastifyInstance } from 'fastify';
import type { Channel, Connection } from '@warren/broker';
import { requireVhostVisible, type Principal } from '../auth.js';
import { principalOf, queryOf, vhostOr404, type ManagementContext } from '../context.js';
import { channelName, connectionName, formatChannel, formatConnection, formatConsumer, type Json } from '../format.js';
import { notAuthorised, notFound } from '../http-error.js';
import { listResponse } from '../listing.js';

export function liveRoutes(app: FastifyInstance, ctx: ManagementContext): void {
  const { broker, stats } = ctx;

  const visible = (p: Principal, vhost?: string): Connection[] =>
    [...broker.connections].filter((c) => c.vhost !== undefined && (vhost === undefined || c.vhost.name === vhost) && (p.isMonitor || c.user === p.user.name));

  const connectionOr404 = (p: Principal, name: string): Connection => {
    const c = [...broker.connections].find((x) => x.vhost !== undefined && connectionName(x, broker) === name);
    if (c === undefined) throw notFound();
    if (!p.isMonitor && c.user !== p.user.name) throw notAuthorised('Not monitor user');
    return c;
  };

  const channelsOf = (conns: Connection[]): Json[] => {
    const rows: Json[] = [];
    for (const c of conns) for (const ch of c.channelList) if (!ch.closing) rows.push(formatChannel(broker, stats, c, ch));
    return rows;
  };

  const consumersOf = (conns: Connection[]): Json[] => {
    const rows: Json[] = [];
    for (const c of conns) for (const ch of c.channelList) for (const k of ch.consumerList) rows.push(formatConsumer(broker, c, ch, k));
    return rows;
  };

  app.get('/api/connections', async (req) => listResponse(visible(principalOf(req)).map((c) => formatConnection(broker, stats, c)), queryOf(req), ['name']));
  app.get<{ Params: { vhost: string } }>('/api/vhosts/:vhost/connections', async (req) => {
    const p = principalOf(req);
    vhostOr404(broker, req.params.vhost);
    requireVhostVisible(broker, p, req.params.vhost);
    return listResponse(visible(p, req.params.vhost).map((c) => formatConnection(broker, stats, c)), queryOf(req), ['name']);
  });
  // Every connection of one user (RabbitMQ's /api/connections/username/{user}); DELETE closes them all.
  const ofUser = (p: Principal, user: string): Connection[] => {
    if (!p.isMonitor && user !== p.user.name) throw notAuthorised('Not monitor user');
    return [...broker.connections].filter((c) => c.vhost !== undefined && c.user === user);
  };
  app.get<{ Params: { user: string } }>('/api/connections/username/:user', async (req) =>
    listResponse(ofUser(principalOf(req), req.params.user).map((c) => formatConnection(broker, stats, c)), queryOf(req), ['name']));
  app.delete<{ Params: { user: string } }>('/api/connections/username/:user', async (req, reply) => {
    const conns = ofUser(principalOf(req), req.params.user);
    const header = req.headers['x-reason'];
    const reason = (Array.isArray(header) ? header[0] : header) ?? 'Closed via management plugin';
    for (const c of conns) c.forceClose(reason);
    return reply.code(204).send();
  });

  app.get<{ Params: { name: string } }>('/api/connections/:name', async (req) => formatConnection(broker, stats, connectionOr404(principalOf(req), req.params.name)));
  app.delete<{ Params: { name: string } }>('/api/connections/:name', async (req, reply) => {
    const c = connectionOr404(principalOf(req), req.params.name);
    const header = req.headers['x-reason'];
    const reason = (Array.isArray(header) ? header[0] : header) ?? 'Closed via management plugin';
    broker.logger.info({ conn: c.id, reason }, 'closing connection via the management API');
    c.forceClose(reason);
    return reply.code(204).send();
  });
  app.get<{ Params: { name: string } }>('/api/connections/:name/channels', async (req) => listResponse(channelsOf([connectionOr404(principalOf(req), req.params.name)]), queryOf(req), ['name']));

  app.get('/api/channels', async (req) => listResponse(channelsOf(visible(principalOf(req))), queryOf(req), ['name']));
  app.get<{ Params: { vhost: string } }>('/api/vhosts/:vhost/channels', async (req) => {
    const p = principalOf(req);
    vhostOr404(broker, req.params.vhost);
    requireVhostVisible(broker, p, req.params.vhost);
    return listResponse(channelsOf(visible(p, req.params.vhost)), queryOf(req), ['name']);
  });
  app.get<{ Params: { name: string } }>('/api/channels/:name', async (req) => {
    const p = principalOf(req);
    let found: [Connection, Channel] | undefined;
    for (const c of visible(p)) for (const ch of c.channelList) if (channelName(broker, c, ch) === req.params.name) found = [c, ch];
    if (found === undefined) throw notFound();
    const [c, ch] = found;
    return { ...formatChannel(broker, stats, c, ch), consumer_details: [...ch.consumerList].map((k) => formatConsumer(broker, c, ch, k)) };
  });

  app.get('/api/consumers', async (req) => listResponse(consumersOf(visible(principalOf(req))), queryOf(req), []));
  app.get<{ Params: { vhost: string } }>('/api/consumers/:vhost', async (req) => {
    const p = principalOf(req);
    vhostOr404(broker, req.params.vhost);
    requireVhostVisible(broker, p, req.params.vhost);
    return listResponse(consumersOf(visible(p, req.params.vhost)), queryOf(req), []);
  });
}
