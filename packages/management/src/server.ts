// The management HTTP server: RabbitMQ's API under /api/, the web UI's static files at /.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { AuthBackoff, type AuthBackoffOptions, type WarrenBroker } from '@warren/broker';
import { authenticate } from './auth.js';
import type { ManagementContext } from './context.js';
import { HttpError } from './http-error.js';
import { runtimeStore } from './runtime-store.js';
import { StatsCollector } from './stats.js';
import { accessRoutes } from './routes/access.js';
import { coreRoutes } from './routes/core.js';
import { definitionsRoutes } from './routes/definitions.js';
import { liveRoutes } from './routes/live.js';
import { limitRoutes } from './routes/limits.js';
import { policyRoutes } from './routes/policies.js';
import { parameterRoutes } from './routes/parameters.js';
import { topologyRoutes } from './routes/topology.js';

export interface ManagementOptions {
  broker: WarrenBroker;
  /** Default 15672; 0 picks a free port. */
  port?: number;
  /** Default 0.0.0.0 (all interfaces). */
  host?: string;
  /** Serve HTTPS with this certificate and key (PEM). */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** Directory of the web UI's files; default: @warren/management-ui's dist/ when installed. */
  uiDir?: string;
  /** How often message rates are sampled (default 5000 ms). */
  statsIntervalMs?: number;
  /** Back-off for repeated failed logins per source address (defaults: 5 free, then 200 ms doubling to 5 s). */
  authBackoff?: AuthBackoffOptions;
}

export interface ManagementServer {
  port: number;
  close(): Promise<void>;
}

/** Requests that need no credentials (the UI asks /api/auth before logging in). */
const PUBLIC_PATHS = new Set(['/api/auth']);

/**
 * @warren/management-ui's dist/ directory, if that package is installed and built. Looked up in
 * the node_modules directories Node would search (its package.json may not be exported).
 */
function defaultUiDir(): string | undefined {
  const searched = createRequire(import.meta.url).resolve.paths('@warren/management-ui') ?? [];
  for (const modules of searched) {
    const dir = path.join(modules, '@warren', 'management-ui', 'dist');
    if (existsSync(path.join(dir, 'index.html'))) return dir;
  }
  return undefined;
}

function parseJsonBody(body: string): unknown {
  if (body.trim() === '') return undefined;
  try {
    return JSON.parse(body);
  } catch {
    throw new HttpError(400, 'bad_request', 'not_json');
  }
}

/** Builds the fastify app (routes, auth, errors) without listening. */
export async function buildManagementApp(opts: ManagementOptions, stats: StatsCollector): Promise<{ app: FastifyInstance; setPort(p: number): void }> {
  const { broker } = opts;
  const app = Fastify({
    logger: false,
    bodyLimit: 128 * 1024 * 1024,
    ...(opts.tls !== undefined ? { https: { cert: opts.tls.cert, key: opts.tls.key } } : {}),
    routerOptions: { maxParamLength: 4096 },
    // Bodies are validated exactly: no type coercion, no silently dropped fields.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: false } },
  });
  const ctx: ManagementContext = { broker, stats, store: runtimeStore(broker) };
  const backoff = new AuthBackoff(broker.logger, 'management API', opts.authBackoff);
  let port = 0;

  // Every body is JSON, whatever the content type says (curl -d sends a form type).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseJsonBody(body as string));
    } catch (e) {
      done(e as Error, undefined);
    }
  });

  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (req) => {
    const url = req.url.split('?')[0]!;
    if (!url.startsWith('/api/') || PUBLIC_PATHS.has(url)) return;
    req.principal = await authenticate(req, broker, backoff);
  });

  // A request without a body validates as an empty object (RabbitMQ treats them the same).
  app.addHook('preValidation', async (req) => {
    if (req.body === undefined || req.body === null) req.body = {};
  });

  app.setErrorHandler((err: FastifyError | HttpError, req, reply) => {
    if (err instanceof HttpError) {
      for (const [k, v] of Object.entries(err.headers)) reply.header(k, v);
      return reply.code(err.status).send(err.body ?? { error: err.error, reason: err.reason });
    }
    if (err.validation !== undefined) {
      const v = err.validation[0];
      const where = (v?.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.');
      const reason = v?.keyword === 'additionalProperties'
        ? `unknown field '${String((v.params as { additionalProperty?: string }).additionalProperty)}'`
        : `${where === '' ? 'body' : where} ${v?.message ?? 'is invalid'}`;
      return reply.code(400).send({ error: 'bad_request', reason });
    }
    if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
      return reply.code(err.statusCode).send({ error: 'bad_request', reason: err.message });
    }
    broker.logger.error({ err, url: req.url }, 'management API: internal error');
    return reply.code(500).send({ error: 'internal_server_error', reason: err.message });
  });
  app.setNotFoundHandler((_req, reply) => reply.code(404).send({ error: 'Object Not Found', reason: 'Not Found' }));

  coreRoutes(app, ctx, { port: () => port, tls: opts.tls !== undefined });
  accessRoutes(app, ctx);
  topologyRoutes(app, ctx);
  liveRoutes(app, ctx);
  definitionsRoutes(app, ctx);
  parameterRoutes(app, ctx);
  limitRoutes(app, ctx);
  policyRoutes(app, ctx);

  const uiDir = opts.uiDir ?? defaultUiDir();
  if (uiDir !== undefined && existsSync(uiDir)) {
    await app.register(fastifyStatic, { root: path.resolve(uiDir), prefix: '/', index: ['index.html'] });
  }
  return { app, setPort: (p) => { port = p; } };
}

/** Starts the management API (and UI) on its own port. */
export async function startManagement(opts: ManagementOptions): Promise<ManagementServer> {
  const stats = new StatsCollector(opts.broker, opts.statsIntervalMs ?? 5000);
  const { app, setPort } = await buildManagementApp(opts, stats);
  await app.listen({ port: opts.port ?? 15672, host: opts.host ?? '0.0.0.0' });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
  setPort(port);
  stats.start();
  opts.broker.logger.info({ port, tls: opts.tls !== undefined }, 'management API listening');
  return {
    port,
    async close() {
      stats.stop();
      await app.close();
    },
  };
}
