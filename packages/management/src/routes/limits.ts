// vhost-limits: max-connections and max-queues per vhost, stored as RabbitMQ stores them (the
// runtime parameter vhost-limits/limits) and enforced by the broker.
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import type { JsonObject } from '@warren/broker';
import { canSeeVhost, requireAdmin } from '../auth.js';
import { principalOf, queryOf, vhostOr404, type ManagementContext } from '../context.js';
import { badRequest, notFound } from '../http-error.js';
import { listResponse } from '../listing.js';
import { VHOST_LIMITS_COMPONENT } from '../runtime-store.js';

const LIMITS = ['max-connections', 'max-queues'];
const LimitBody = Type.Object({ value: Type.Unknown(), vhost: Type.Optional(Type.String()), name: Type.Optional(Type.String()) }, { additionalProperties: false, required: ['value'] });

export function limitRoutes(app: FastifyInstance, ctx: ManagementContext): void {
  const { broker, store } = ctx;
  const limitsOf = (vhost: string): JsonObject => {
    const v = store.getParameter(VHOST_LIMITS_COMPONENT, vhost, 'limits')?.value;
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? { ...v } : {};
  };
  const rows = (vhost?: string) => store.parameters()
    .filter((p) => p.component === VHOST_LIMITS_COMPONENT && (vhost === undefined || p.vhost === vhost))
    .map((p) => ({ vhost: p.vhost, value: p.value }));

  app.get('/api/vhost-limits', async (req) => {
    const p = principalOf(req);
    return listResponse(rows().filter((r) => canSeeVhost(broker, p, r.vhost)), queryOf(req), ['vhost']);
  });
  app.get<{ Params: { vhost: string } }>('/api/vhost-limits/:vhost', async (req) => {
    const p = principalOf(req);
    vhostOr404(broker, req.params.vhost);
    if (!canSeeVhost(broker, p, req.params.vhost)) requireAdmin(p);
    return rows(req.params.vhost);
  });
  app.put<{ Params: { vhost: string; name: string }; Body: Static<typeof LimitBody> }>('/api/vhost-limits/:vhost/:name', { schema: { body: LimitBody } }, async (req, reply) => {
    requireAdmin(principalOf(req));
    const { vhost, name } = req.params;
    vhostOr404(broker, vhost);
    if (!LIMITS.includes(name)) throw badRequest(`Validation failed\n\nUnrecognised terms [{<<"${name}">>,${JSON.stringify(req.body.value)}}] in limits\n`);
    const value = req.body.value;
    if (typeof value !== 'number' || !Number.isInteger(value)) throw badRequest(`Validation failed\n\n${name} should be a number, actually was ${JSON.stringify(value)}\n`);
    const limits = limitsOf(vhost);
    limits[name] = value;
    store.setParameter({ component: VHOST_LIMITS_COMPONENT, vhost, name: 'limits', value: limits });
    return reply.code(204).send();
  });
  app.delete<{ Params: { vhost: string; name: string } }>('/api/vhost-limits/:vhost/:name', async (req, reply) => {
    requireAdmin(principalOf(req));
    const { vhost, name } = req.params;
    vhostOr404(broker, vhost);
    const limits = limitsOf(vhost);
    if (!(name in limits)) throw notFound();
    delete limits[name];
    if (Object.keys(limits).length === 0) store.clearParameter(VHOST_LIMITS_COMPONENT, vhost, 'limits');
    else store.setParameter({ component: VHOST_LIMITS_COMPONENT, vhost, name: 'limits', value: limits });
    return reply.code(204).send();
  });
}
