// GET/POST /api/definitions and /api/definitions/:vhost.
import type { FastifyInstance } from 'fastify';
import { DefinitionsError } from '@warren/broker';
import { requireAdmin } from '../auth.js';
import { principalOf, queryOf, vhostOr404, type ManagementContext } from '../context.js';
import { exportAll, importDefinitions } from '../definitions.js';
import { badRequest } from '../http-error.js';

export function definitionsRoutes(app: FastifyInstance, ctx: ManagementContext): void {
  const { broker, store } = ctx;

  const download = (reply: { header(k: string, v: string): unknown }, q: Record<string, string | undefined>): void => {
    const file = q['download'];
    if (file !== undefined && file !== '') reply.header('content-disposition', `attachment; filename="${file.replace(/["\\\r\n]/g, '_')}"`);
  };

  const importBody = (body: unknown, vhost?: string): void => {
    try {
      importDefinitions(broker, store, body, vhost);
    } catch (e) {
      if (e instanceof DefinitionsError) throw badRequest(e.message);
      throw e;
    }
  };

  app.get('/api/definitions', async (req, reply) => {
    requireAdmin(principalOf(req));
    download(reply, queryOf(req));
    return exportAll(broker, store);
  });
  app.post('/api/definitions', async (req, reply) => {
    requireAdmin(principalOf(req));
    importBody(req.body);
    return reply.code(204).send();
  });
  app.get<{ Params: { vhost: string } }>('/api/definitions/:vhost', async (req, reply) => {
    requireAdmin(principalOf(req));
    vhostOr404(broker, req.params.vhost);
    download(reply, queryOf(req));
    return exportAll(broker, store, req.params.vhost);
  });
  app.post<{ Params: { vhost: string } }>('/api/definitions/:vhost', async (req, reply) => {
    requireAdmin(principalOf(req));
    vhostOr404(broker, req.params.vhost);
    importBody(req.body, req.params.vhost);
    return reply.code(204).send();
  });
}
