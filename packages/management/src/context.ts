// What every route needs: the broker, the stats collector, the store for topic permissions and
// parameters, and the request's authenticated principal.
import type { FastifyRequest } from 'fastify';
import { AmqpError, type VirtualHost, type WarrenBroker } from '@warren/broker';
import type { Principal } from './auth.js';
import { HttpError, notFound } from './http-error.js';
import type { RuntimeStore } from './runtime-store.js';
import type { StatsCollector } from './stats.js';

export interface ManagementContext {
  broker: WarrenBroker;
  stats: StatsCollector;
  store: RuntimeStore;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

export function principalOf(req: FastifyRequest): Principal {
  if (req.principal === null) throw new HttpError(401, 'not_authorized', 'Login failed');
  return req.principal;
}

/** A vhost that exists, or 404. */
export function vhostOr404(broker: WarrenBroker, name: string): VirtualHost {
  const vh = broker.access.hasVhost(name) ? broker.vhost(name) : undefined;
  if (vh === undefined) throw notFound();
  return vh;
}

/** Strips RabbitMQ's "CODE_NAME - " prefix from an AMQP reply text. */
export function reasonOf(text: string): string {
  return text.replace(/^[A-Z_]+ - /, '');
}

/** Runs a broker operation, turning AMQP errors into RabbitMQ's HTTP answers. */
export function amqp<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof AmqpError) {
      if (e.code === 404) throw notFound();
      if (e.code === 403) throw new HttpError(401, 'not_authorised', reasonOf(e.text));
      throw new HttpError(400, 'bad_request', reasonOf(e.text));
    }
    throw e;
  }
}

/** Query string as plain strings (repeated keys: the last one). */
export function queryOf(req: FastifyRequest): Record<string, string | undefined> {
  const q = (req.query ?? {}) as Record<string, unknown>;
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(q)) out[k] = Array.isArray(v) ? String(v[v.length - 1]) : v === undefined ? undefined : String(v);
  return out;
}
