// policies and operator-policies: list, get, PUT, DELETE, through the broker's policy API.
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import { PolicyError, type PolicyApplyTo, type PolicyInput, type PolicyKind } from '@warren/broker';
import { canSeeVhost, requireAdmin, requirePolicymaker, requireVhostAccess, type Principal } from '../auth.js';
import { principalOf, queryOf, vhostOr404, type ManagementContext } from '../context.js';
import { badRequest, notFound } from '../http-error.js';
import { listResponse } from '../listing.js';
import { Int, int } from '../body.js';

const APPLY_TO = ['queues', 'exchanges', 'all', 'classic_queues', 'quorum_queues', 'streams'];

const PolicyBody = Type.Object({
  pattern: Type.String(),
  definition: Type.Record(Type.String(), Type.Unknown()),
  priority: Type.Optional(Int),
  'apply-to': Type.Optional(Type.String()),
  name: Type.Optional(Type.String()),
  vhost: Type.Optional(Type.String()),
}, { additionalProperties: false });

/** A policy as RabbitMQ's API shows it. */
export function policyJson(p: PolicyInput): Record<string, unknown> {
  return { vhost: p.vhost, name: p.name, pattern: p.pattern, 'apply-to': p.applyTo, definition: p.definition, priority: p.priority };
}

export function policyRoutes(app: FastifyInstance, ctx: ManagementContext): void {
  const { broker } = ctx;
  for (const [kind, prefix] of [['policy', 'policies'], ['operator-policy', 'operator-policies']] as const satisfies readonly (readonly [PolicyKind, string])[]) {
    // Operator policies are for administrators; policies for policymakers (RabbitMQ's rule).
    const authorise = (p: Principal): void => (kind === 'operator-policy' ? requireAdmin(p) : requirePolicymaker(p));
    const visible = (p: Principal, vhost?: string) => broker.listPolicies(kind, vhost).filter((x) => canSeeVhost(broker, p, x.vhost)).map(policyJson);

    app.get(`/api/${prefix}`, async (req) => {
      const p = principalOf(req);
      authorise(p);
      return listResponse(visible(p), queryOf(req), ['vhost', 'name']);
    });
    app.get<{ Params: { vhost: string } }>(`/api/${prefix}/:vhost`, async (req) => {
      const p = principalOf(req);
      authorise(p);
      vhostOr404(broker, req.params.vhost);
      requireVhostAccessOrMonitor(p, req.params.vhost);
      return listResponse(visible(p, req.params.vhost), queryOf(req), ['name']);
    });
    app.get<{ Params: { vhost: string; name: string } }>(`/api/${prefix}/:vhost/:name`, async (req) => {
      const p = principalOf(req);
      authorise(p);
      vhostOr404(broker, req.params.vhost);
      requireVhostAccessOrMonitor(p, req.params.vhost);
      const found = broker.listPolicies(kind, req.params.vhost).find((x) => x.name === req.params.name);
      if (found === undefined) throw notFound();
      return policyJson(found);
    });
    app.put<{ Params: { vhost: string; name: string }; Body: Static<typeof PolicyBody> }>(`/api/${prefix}/:vhost/:name`, { schema: { body: PolicyBody } }, async (req, reply) => {
      const p = principalOf(req);
      authorise(p);
      const { vhost, name } = req.params;
      vhostOr404(broker, vhost);
      requireVhostAccess(broker, p, vhost);
      const b = req.body;
      const applyTo = b['apply-to'] ?? 'all';
      if (!APPLY_TO.includes(applyTo)) throw badRequest(`Validation failed\n\n"${applyTo}" is not a valid apply-to value\n`);
      const existed = broker.listPolicies(kind, vhost).some((x) => x.name === name);
      try {
        broker.setPolicy(kind, { vhost, name, pattern: b.pattern, applyTo: applyTo as PolicyApplyTo, priority: int(b.priority, 0), definition: b.definition });
      } catch (e) {
        if (e instanceof PolicyError) throw badRequest(e.message);
        throw e;
      }
      return reply.code(existed ? 204 : 201).send();
    });
    app.delete<{ Params: { vhost: string; name: string } }>(`/api/${prefix}/:vhost/:name`, async (req, reply) => {
      const p = principalOf(req);
      authorise(p);
      requireVhostAccess(broker, p, req.params.vhost);
      if (!broker.clearPolicy(kind, req.params.vhost, req.params.name)) throw notFound();
      return reply.code(204).send();
    });
  }

  function requireVhostAccessOrMonitor(p: Principal, vhost: string): void {
    if (!canSeeVhost(broker, p, vhost)) requireVhostAccess(broker, p, vhost);
  }
}
