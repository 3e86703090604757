// vhosts, users, permissions and topic permissions.
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import { AccessControlError, isBase64, isHashingAlgorithm, validatePermissionSpec, type WarrenBroker } from '@warren/broker';
import { requireAdmin, requireVhostVisible, canSeeVhost } from '../auth.js';
import { principalOf, queryOf, vhostOr404, type ManagementContext } from '../context.js';
import { formatUser, formatVhost } from '../format.js';
import { badRequest, HttpError, notFound } from '../http-error.js';
import { listResponse } from '../listing.js';
import { Bool } from '../body.js';

const Tags = Type.Union([Type.String(), Type.Array(Type.String())]);
const VhostBody = Type.Object({
  description: Type.Optional(Type.String()),
  tags: Type.Optional(Tags),
  default_queue_type: Type.Optional(Type.String()),
  tracing: Type.Optional(Bool),
  name: Type.Optional(Type.String()),
  vhost: Type.Optional(Type.String()),
}, { additionalProperties: false });
const UserBody = Type.Object({
  password: Type.Optional(Type.String()),
  password_hash: Type.Optional(Type.String()),
  hashing_algorithm: Type.Optional(Type.String()),
  tags: Type.Optional(Tags),
  name: Type.Optional(Type.String()),
  vhost: Type.Optional(Type.String()),
  limits: Type.Optional(Type.Object({})),
}, { additionalProperties: false });
const PermissionBody = Type.Object({
  configure: Type.String(), write: Type.String(), read: Type.String(),
  user: Type.Optional(Type.String()), vhost: Type.Optional(Type.String()),
}, { additionalProperties: false });
const TopicPermissionBody = Type.Object({
  exchange: Type.String(), write: Type.String(), read: Type.String(),
  user: Type.Optional(Type.String()), vhost: Type.Optional(Type.String()),
}, { additionalProperties: false });
const BulkDelete = Type.Object({ users: Type.Array(Type.String()) }, { additionalProperties: false });

export function parseTags(tags: string | string[] | undefined): string[] {
  if (tags === undefined) return [];
  const list = Array.isArray(tags) ? tags : tags.split(',');
  return list.map((t) => t.trim()).filter((t) => t !== '');
}

function compileCheck(spec: { configure: string; write: string; read: string }): void {
  try {
    validatePermissionSpec(spec);
  } catch (e) {
    if (e instanceof AccessControlError) throw badRequest(e.message);
    throw e;
  }
}

function checkRegex(pattern: string, what: string): void {
  try {
    new RegExp(pattern);
  } catch (e) {
    throw badRequest(`invalid ${what} pattern ${JSON.stringify(pattern)}: ${(e as Error).message}`);
  }
}

/** Deletes a vhost with everything in it: its connections are closed, its queues dropped. */
export function deleteVhost(ctx: ManagementContext, name: string): void {
  const { broker } = ctx;
  for (const c of [...broker.connections]) if (c.vhost?.name === name) c.forceClose(`vhost '${name}' is deleted`);
  const vh = broker.vhosts.get(name);
  if (vh !== undefined) for (const q of [...vh.queues.values()]) vh.deleteQueue(q);
  broker.vhosts.delete(name);
  broker.access.deleteVhost(name);
  ctx.store.vhostDeleted(name);
  broker.definitionsChanged();
}

function permissionJson(p: { user: string; vhost: string; configure: string; write: string; read: string }) {
  return { user: p.user, vhost: p.vhost, configure: p.configure, write: p.write, read: p.read };
}

export function accessRoutes(app: FastifyInstance, ctx: ManagementContext): void {
  const { broker, stats, store } = ctx;

  // ---- vhosts ----
  app.get('/api/vhosts', async (req) => {
    const p = principalOf(req);
    const rows = broker.access.vhosts().filter((v) => canSeeVhost(broker, p, v.name)).map((v) => formatVhost(broker, stats, v));
    return listResponse(rows, queryOf(req), ['name']);
  });
  app.get<{ Params: { vhost: string } }>('/api/vhosts/:vhost', async (req) => {
    const p = principalOf(req);
    const v = broker.access.getVhost(req.params.vhost);
    if (v === undefined) throw notFound();
    requireVhostVisible(broker, p, v.name);
    return formatVhost(broker, stats, v);
  });
  app.put<{ Params: { vhost: string }; Body: Static<typeof VhostBody> }>('/api/vhosts/:vhost', { schema: { body: VhostBody } }, async (req, reply) => {
    const p = principalOf(req);
    requireAdmin(p);
    const name = req.params.vhost;
    if (name === '') throw badRequest('vhost name must not be empty');
    const body = req.body ?? {};
    const existed = broker.access.hasVhost(name);
    const old = broker.access.getVhost(name);
    const tags = body.tags !== undefined ? parseTags(body.tags) : old?.tags;
    broker.access.addVhost(name, {
      ...(body.description !== undefined ? { description: body.description } : old?.description !== undefined ? { description: old.description } : {}),
      ...(tags !== undefined ? { tags } : {}),
      ...(body.default_queue_type !== undefined ? { defaultQueueType: body.default_queue_type } : old?.defaultQueueType !== undefined ? { defaultQueueType: old.defaultQueueType } : {}),
    });
    broker.vhost(name);
    // As in RabbitMQ, the creating user gets full permissions on a new vhost.
    if (!existed) broker.access.setPermissions(p.user.name, name, { configure: '.*', write: '.*', read: '.*' });
    broker.definitionsChanged();
    return reply.code(existed ? 204 : 201).send();
  });
  app.delete<{ Params: { vhost: string } }>('/api/vhosts/:vhost', async (req, reply) => {
    requireAdmin(principalOf(req));
    if (!broker.access.hasVhost(req.params.vhost)) throw notFound();
    deleteVhost(ctx, req.params.vhost);
    return reply.code(204).send();
  });
  app.get<{ Params: { vhost: string } }>('/api/vhosts/:vhost/permissions', async (req) => {
    requireAdmin(principalOf(req));
    vhostOr404(broker, req.params.vhost);
    return listResponse(broker.access.permissions().filter((x) => x.vhost === req.params.vhost).map(permissionJson), queryOf(req), ['user']);
  });
  app.get<{ Params: { vhost: string } }>('/api/vhosts/:vhost/topic-permissions', async (req) => {
    requireAdmin(principalOf(req));
    vhostOr404(broker, req.params.vhost);
    return listResponse(store.topicPermissions().filter((x) => x.vhost === req.params.vhost), queryOf(req), ['user']);
  });

  // ---- users ----
  app.get('/api/users', async (req) => {
    requireAdmin(principalOf(req));
    return listResponse(broker.access.users().map(formatUser), queryOf(req), ['name']);
  });
  app.get('/api/users/without-permissions', async (req) => {
    requireAdmin(principalOf(req));
    const withPerms = new Set(broker.access.permissions().map((x) => x.user));
    return listResponse(broker.access.users().filter((u) => !withPerms.has(u.name)).map(formatUser), queryOf(req), ['name']);
  });
  app.post<{ Body: Static<typeof BulkDelete> }>('/api/users/bulk-delete', { schema: { body: BulkDelete } }, async (req, reply) => {
    requireAdmin(principalOf(req));
    for (const name of req.body.users) deleteUser(ctx, name);
    return reply.code(204).send();
  });
  app.get<{ Params: { user: string } }>('/api/users/:user', async (req) => {
    requireAdmin(principalOf(req));
    const u = broker.access.getUser(req.params.user);
    if (u === undefined) throw notFound();
    return formatUser(u);
  });
  app.put<{ Params: { user: string }; Body: Static<typeof UserBody> }>('/api/users/:user', { schema: { body: UserBody } }, async (req, reply) => {
    requireAdmin(principalOf(req));
    const name = req.params.user;
    const b = req.body ?? {};
    if (name === '') throw badRequest('user name must not be empty');
    const existing = broker.access.getUser(name);
    if (b.tags === undefined && existing === undefined) throw badRequest('tags_not_present');
    const algorithm = b.hashing_algorithm ?? (b.password_hash !== undefined ? existing?.hashingAlgorithm : undefined);
    if (algorithm !== undefined && !isHashingAlgorithm(algorithm)) throw badRequest(`unsupported hashing algorithm '${algorithm}'`);
    if (b.password_hash !== undefined && !isBase64(b.password_hash)) throw badRequest(['not_base64', b.password_hash]);
    const tags = b.tags !== undefined ? parseTags(b.tags) : [...(existing?.tags ?? [])];
    if (b.password !== undefined) {
      broker.access.addUser(name, { password: b.password, tags, ...(b.hashing_algorithm !== undefined ? { hashingAlgorithm: b.hashing_algorithm } : {}) });
    } else if (b.password_hash !== undefined) {
      broker.access.addUser(name, { passwordHash: b.password_hash, tags, ...(algorithm !== undefined ? { hashingAlgorithm: algorithm } : {}) });
    } else if (existing !== undefined) {
      broker.access.addUser(name, { passwordHash: existing.passwordHash, hashingAlgorithm: existing.hashingAlgorithm, tags });
    } else {
      // No password: the user exists but cannot log in with a password (RabbitMQ does the same).
      broker.access.addUser(name, { passwordHash: '', tags });
    }
    broker.definitionsChanged();
    return reply.code(existing ? 204 : 201).send();
  });
  app.delete<{ Params: { user: string } }>('/api/users/:user', async (req, reply) => {
    requireAdmin(principalOf(req));
    if (!deleteUser(ctx, req.params.user)) throw notFound();
    return reply.code(204).send();
  });
  app.get<{ Params: { user: string } }>('/api/users/:user/permissions', async (req) => {
    requireAdmin(principalOf(req));
    if (broker.access.getUser(req.params.user) === undefined) throw notFound();
    return listResponse(broker.access.permissions().filter((x) => x.user === req.params.user).map(permissionJson), queryOf(req), ['vhost']);
  });
  app.get<{ Params: { user: string } }>('/api/users/:user/topic-permissions', async (req) => {
    requireAdmin(principalOf(req));
    if (broker.access.getUser(req.params.user) === undefined) throw notFound();
    return listResponse(store.topicPermissions().filter((x) => x.user === req.params.user), queryOf(req), ['vhost']);
  });

  // ---- permissions ----
  app.get('/api/permissions', async (req) => {
    requireAdmin(principalOf(req));
    return listResponse(broker.access.permissions().map(permissionJson), queryOf(req), ['vhost', 'user']);
  });
  app.get<{ Params: { vhost: string; user: string } }>('/api/permissions/:vhost/:user', async (req) => {
    requireAdmin(principalOf(req));
    const perm = broker.access.getPermissions(req.params.user, req.params.vhost);
    if (perm === undefined) throw notFound();
    return permissionJson(perm);
  });
  app.put<{ Params: { vhost: string; user: string }; Body: Static<typeof PermissionBody> }>('/api/permissions/:vhost/:user', { schema: { body: PermissionBody } }, async (req, reply) => {
    requireAdmin(principalOf(req));
    const { vhost, user } = req.params;
    if (!broker.access.hasVhost(vhost) || broker.access.getUser(user) === undefined) throw badRequest('vhost_or_user_not_found');
    const spec = { configure: req.body.configure, write: req.body.write, read: req.body.read };
    compileCheck(spec);
    const existed = broker.access.getPermissions(user, vhost) !== undefined;
    broker.access.setPermissions(user, vhost, spec);
    broker.definitionsChanged();
    return reply.code(existed ? 204 : 201).send();
  });
  app.delete<{ Params: { vhost: string; user: string } }>('/api/permissions/:vhost/:user', async (req, reply) => {
    requireAdmin(principalOf(req));
    if (!broker.access.clearPermissions(req.params.user, req.params.vhost)) throw notFound();
    broker.definitionsChanged();
    return reply.code(204).send();
  });

  // ---- topic permissions ----
  app.get('/api/topic-permissions', async (req) => {
    requireAdmin(principalOf(req));
    return listResponse(store.topicPermissions(), queryOf(req), ['vhost', 'user']);
  });
  app.get<{ Params: { vhost: string; user: string } }>('/api/topic-permissions/:vhost/:user', async (req) => {
    requireAdmin(principalOf(req));
    const list = store.topicPermissions().filter((x) => x.vhost === req.params.vhost && x.user === req.params.user);
    if (list.length === 0) throw notFound();
    return list;
  });
  app.put<{ Params: { vhost: string; user: string }; Body: Static<typeof TopicPermissionBody> }>('/api/topic-permissions/:vhost/:user', { schema: { body: TopicPermissionBody } }, async (req, reply) => {
    requireAdmin(principalOf(req));
    const { vhost, user } = req.params;
    if (!broker.access.hasVhost(vhost) || broker.access.getUser(user) === undefined) throw badRequest('vhost_or_user_not_found');
    checkRegex(req.body.write, 'write');
    checkRegex(req.body.read, 'read');
    const existed = store.topicPermissions().some((x) => x.vhost === vhost && x.user === user && x.exchange === req.body.exchange);
    store.setTopicPermission({ user, vhost, exchange: req.body.exchange, write: req.body.write, read: req.body.read });
    return reply.code(existed ? 204 : 201).send();
  });
  app.delete<{ Params: { vhost: string; user: string } }>('/api/topic-permissions/:vhost/:user', async (req, reply) => {
    requireAdmin(principalOf(req));
    const exchange = queryOf(req)['exchange'];
    if (store.clearTopicPermissions(req.params.user, req.params.vhost, exchange) === 0) throw notFound();
    return reply.code(204).send();
  });
}

/** Deletes a user: its connections are closed (as in RabbitMQ), its permissions dropped. */
export function deleteUser(ctx: ManagementContext, name: string): boolean {
  const broker: WarrenBroker = ctx.broker;
  if (!broker.access.deleteUser(name)) return false;
  for (const c of [...broker.connections]) if (c.user === name) c.forceClose(`user '${name}' is deleted`);
  ctx.store.userDeleted(name);
  broker.definitionsChanged();
  return true;
}

export { HttpError };
