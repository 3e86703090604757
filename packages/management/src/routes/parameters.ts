// Runtime parameters (per vhost and component) and global parameters: stored and returned.
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import type { JsonValue } from '@warren/broker';
import { requireAdmin, requirePolicymaker, requireVhostAccess, canSeeVhost } from '../auth.js';
import { principalOf, queryOf, vhostOr404, type ManagementContext } from '../context.js';
import { notFound } from '../http-error.js';
import { listResponse } from '../listing.js';

const ParamBody = Type.Object({
  value: Type.Unknown(),
  component: Type.Optional(Type.String()),
  vhost: Type.Optional(Type.String()),
  name: Type.Optional(Type.String()),
}, { additionalProperties: false, required: ['value'] });
const GlobalBody = Type.Object({ value: Type.Unknown(), name: Type.Optional(Type.String()) }, { additionalProperties: false, required: ['value'] });

type P = { Params: { component: string; vhost: string; name: string } };

export function parameterRoutes(app: FastifyInstance, ctx: ManagementContext): void {
  const { broker, store } = ctx;

  const visible = (req: Parameters<typeof principalOf>[0]) => {
    const p = principalOf(req);
    requirePolicymaker(p);
    return store.parameters().filter((x) => canSeeVhost(broker, p, x.vhost));
  };
  app.get('/api/parameters', async (req) => listResponse(visible(req), queryOf(req), ['vhost', 'name']));
  app.get<{ Params: { component: string } }>('/api/parameters/:component', async (req) =>
    listResponse(visible(req).filter((x) => x.component === req.params.component), queryOf(req), ['vhost', 'name']));
  app.get<{ Params: { component: string; vhost: string } }>('/api/parameters/:component/:vhost', async (req) => {
    vhostOr404(broker, req.params.vhost);
    return listResponse(visible(req).filter((x) => x.component === req.params.component && x.vhost === req.params.vhost), queryOf(req), ['name']);
  });
  app.get<P>('/api/parameters/:component/:vhost/:name', async (req) => {
    const found = visible(req).find((x) => x.component === req.params.component && x.vhost === req.params.vhost && x.name === req.params.name);
    if (found === undefined) throw notFound();
    return found;
  });
  app.put<P & { Body: Static<typeof ParamBody> }>('/api/parameters/:component/:vhost/:name', { schema: { body: ParamBody } }, async (req, reply) => {
    const p = principalOf(req);
    requirePolicymaker(p);
    const { component, vhost, name } = req.params;
    vhostOr404(broker, vhost);
    requireVhostAccess(broker, p, vhost);
    const existed = store.getParameter(component, vhost, name) !== undefined;
    store.setParameter({ component, vhost, name, value: req.body.value as JsonValue });
    return reply.code(existed ? 204 : 201).send();
  });
  app.delete<P>('/api/parameters/:component/:vhost/:name', async (req, reply) => {
    const p = principalOf(req);
    requirePolicymaker(p);
    requireVhostAccess(broker, p, req.params.vhost);
    if (!store.clearParameter(req.params.component, req.params.vhost, req.params.name)) throw notFound();
    return reply.code(204).send();
  });

  app.get('/api/global-parameters', async (req) => {
    requireAdmin(principalOf(req));
    return listResponse(store.globalParameters(), queryOf(req), ['name']);
  });
  app.get<{ Params: { name: string } }>('/api/global-parameters/:name', async (req) => {
    requireAdmin(principalOf(req));
    const g = store.getGlobal(req.params.name);
    if (g === undefined) throw notFound();
    return g;
  });
  app.put<{ Params: { name: string }; Body: Static<typeof GlobalBody> }>('/api/global-parameters/:name', { schema: { body: GlobalBody } }, async (req, reply) => {
    requireAdmin(principalOf(req));
    const existed = store.getGlobal(req.params.name) !== undefined;
    store.setGlobal({ name: req.params.name, value: req.body.value as JsonValue });
    return reply.code(existed ? 204 : 201).send();
  });
  app.delete<{ Params: { name: string } }>('/api/global-parameters/:name', async (req, reply) => {
    requireAdmin(principalOf(req));
    if (!store.clearGlobal(req.params.name)) throw notFound();
    return reply.code(204).send();
  });
}
