// HTTP basic authentication against the broker's users, and RabbitMQ's management access levels:
// management < policymaker, management < monitoring < administrator (user tags).
import type { FastifyRequest } from 'fastify';
import type { AuthBackoff, User, WarrenBroker } from '@warren/broker';
import { loginFailed, notAuthorised } from './http-error.js';

export interface Principal {
  user: User;
  isAdmin: boolean;
  isMonitor: boolean;
  isPolicymaker: boolean;
}

function principal(user: User): Principal {
  const t = user.tags;
  const isAdmin = t.includes('administrator');
  return {
    user,
    isAdmin,
    isMonitor: isAdmin || t.includes('monitoring'),
    isPolicymaker: isAdmin || t.includes('policymaker'),
  };
}

function decodeBasic(header: string | undefined): { name: string; password: string } | undefined {
  if (header === undefined) return undefined;
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (m === null) return undefined;
  const text = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon < 0) return undefined;
  return { name: text.slice(0, colon), password: text.slice(colon + 1) };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Authenticates the request's basic credentials. Failed attempts from one address are slowed
 * down (AuthBackoff) and logged. The user must carry a management tag.
 */
export async function authenticate(req: FastifyRequest, broker: WarrenBroker, backoff: AuthBackoff): Promise<Principal> {
  const source = req.socket.remoteAddress ?? 'unknown';
  const delay = backoff.delayFor(source);
  if (delay > 0) await sleep(delay);
  const creds = decodeBasic(req.headers.authorization);
  const user = creds && broker.access.authenticate(creds.name, creds.password);
  if (user === undefined || !broker.access.mayConnectFrom(user, source)) {
    backoff.failed(source, creds?.name);
    broker.logger.warn({ user: creds?.name, source, url: req.url }, 'HTTP access denied: login failed');
    throw loginFailed();
  }
  backoff.succeeded(source);
  const p = principal(user);
  if (!p.isMonitor && !p.isPolicymaker && !user.tags.includes('management')) throw notAuthorised('Not management user');
  return p;
}

export function requireAdmin(p: Principal): void {
  if (!p.isAdmin) throw notAuthorised('Not administrator user');
}

export function requireMonitor(p: Principal): void {
  if (!p.isMonitor) throw notAuthorised('Not monitor user');
}

export function requirePolicymaker(p: Principal): void {
  if (!p.isPolicymaker) throw notAuthorised('Not policymaker');
}

/** Whether `p` may see the objects of `vhost` (monitors see every vhost). */
export function canSeeVhost(broker: WarrenBroker, p: Principal, vhost: string): boolean {
  return p.isMonitor || broker.access.canAccessVhost(p.user, vhost);
}

/** Write access to a vhost: the user needs permissions on it (administrators too, as in RabbitMQ). */
export function requireVhostAccess(broker: WarrenBroker, p: Principal, vhost: string): void {
  if (!broker.access.canAccessVhost(p.user, vhost)) throw notAuthorised('User not authorised to access virtual host');
}

export function requireVhostVisible(broker: WarrenBroker, p: Principal, vhost: string): void {
  if (!canSeeVhost(broker, p, vhost)) throw notAuthorised('User not authorised to access virtual host');
}
