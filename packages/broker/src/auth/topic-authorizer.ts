// Topic permissions (RabbitMQ's topic authorisation): for topic exchanges, a user's routing keys
// on publish (write) and binding keys on queue.bind (read) must match the user's patterns for that
// exchange, when the user has topic permissions for it in the vhost. `{username}` and `{vhost}`
// in a pattern are replaced by the user's name and the vhost, as in RabbitMQ.

export interface TopicPermissionSpec { user: string; vhost: string; exchange: string; write: string; read: string }

interface Compiled { write: RegExp; read: RegExp }

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function compile(pattern: string, user: string, vhost: string): RegExp {
  const expanded = pattern.replace(/\{username\}/g, escapeRegex(user)).replace(/\{vhost\}/g, escapeRegex(vhost));
  try {
    return new RegExp(expanded === '' ? '^$' : expanded);
  } catch {
    return /(?!)/; // an invalid pattern (a hand-edited file) grants nothing
  }
}

export class TopicAuthorizer {
  /** user → vhost → exchange → patterns */
  private readonly byUser = new Map<string, Map<string, Map<string, Compiled>>>();

  /** Replaces every topic permission (patterns must compile). */
  load(perms: readonly TopicPermissionSpec[]): void {
    this.byUser.clear();
    for (const p of perms) {
      let byVhost = this.byUser.get(p.user);
      if (byVhost === undefined) this.byUser.set(p.user, (byVhost = new Map()));
      let byExchange = byVhost.get(p.vhost);
      if (byExchange === undefined) byVhost.set(p.vhost, (byExchange = new Map()));
      byExchange.set(p.exchange, { write: compile(p.write, p.user, p.vhost), read: compile(p.read, p.user, p.vhost) });
    }
  }

  /** Whether `user` may use `key` on the topic exchange `exchange` (true when no permission names it). */
  allows(user: string, vhost: string, exchange: string, kind: 'write' | 'read', key: string): boolean {
    const c = this.byUser.get(user)?.get(vhost)?.get(exchange);
    return c === undefined || c[kind].test(key);
  }
}
