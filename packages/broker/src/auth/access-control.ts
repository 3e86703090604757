// Users, virtual hosts and per-vhost permissions with RabbitMQ's internal-backend semantics
// (rabbit_auth_backend_internal). Pure data: no sockets, no I/O.
//
// Permission semantics, as RabbitMQ does it:
// * a permission is a triple of regular expressions (configure, write, read) per user × vhost;
// * a resource name is matched UNANCHORED (Erlang `re:run(Name, Regex)`): `foo` grants `xfooy`
//   too; anchor with `^...$` to restrict. '.*' matches everything;
// * the empty pattern '' is a synonym for '^$' (matches only the empty name, i.e. nothing);
// * the default exchange's empty name is checked as 'amq.default';
// * a user may open a connection to a vhost iff it has a permission entry for that vhost.
// Patterns are JavaScript regular expressions (compiled once, without flags); the usual
// PCRE patterns RabbitMQ users write (`^amq\.gen.*`, `^(a|b)$`, `[^.]+`) mean the same in both.
import {
  DEFAULT_HASHING_ALGORITHM,
  hashPassword,
  isHashingAlgorithm,
  verifyPassword,
  type HashingAlgorithm,
} from './password.js';

export type PermissionKind = 'configure' | 'write' | 'read';

export interface User {
  readonly name: string;
  readonly passwordHash: string;
  readonly hashingAlgorithm: HashingAlgorithm;
  readonly tags: readonly string[];
}

export interface VhostMeta {
  description?: string;
  tags?: string[];
  defaultQueueType?: string;
}

export interface Vhost extends VhostMeta {
  readonly name: string;
}

export interface PermissionSpec {
  configure: string;
  write: string;
  read: string;
}

export interface Permission extends PermissionSpec {
  readonly user: string;
  readonly vhost: string;
}

export interface AddUserOptions {
  /** Clear-text password, hashed with `hashingAlgorithm` (default SHA-256). */
  password?: string;
  /** A ready RabbitMQ hash (base64); wins over `password`. '' = no password login. */
  passwordHash?: string;
  hashingAlgorithm?: string;
  tags?: string[];
}

export class AccessControlError extends Error {
  override name = 'AccessControlError';
}

/** One compiled pattern; `all` short-cuts the common '.*' so the hot path skips the regex. */
interface Matcher {
  readonly all: boolean;
  readonly regex: RegExp;
}

interface CompiledPermission {
  readonly spec: Readonly<PermissionSpec>;
  readonly configure: Matcher;
  readonly write: Matcher;
  readonly read: Matcher;
}

const DEFAULT_EXCHANGE_RESOURCE = 'amq.default';
// Patterns that match every name, '\n' included ('^.*$' does not: '.' stops at a newline).
const MATCH_ALL = new Set(['.*', '^.*', '.*$']);

function compilePattern(pattern: string, what: string): Matcher {
  const source = pattern === '' ? '^$' : pattern;
  try {
    return { all: MATCH_ALL.has(source), regex: new RegExp(source) };
  } catch (err) {
    throw new AccessControlError(`invalid ${what} permission pattern ${JSON.stringify(pattern)}: ${(err as Error).message}`);
  }
}

function compilePermission(spec: PermissionSpec): CompiledPermission {
  for (const kind of ['configure', 'write', 'read'] as const) {
    if (typeof spec[kind] !== 'string') throw new AccessControlError(`${kind} permission pattern must be a string`);
  }
  const copy = { configure: spec.configure, write: spec.write, read: spec.read };
  return {
    spec: Object.freeze(copy),
    configure: compilePattern(copy.configure, 'configure'),
    write: compilePattern(copy.write, 'write'),
    read: compilePattern(copy.read, 'read'),
  };
}

/** Throws AccessControlError if a pattern of `spec` is not a string or does not compile. */
export function validatePermissionSpec(spec: PermissionSpec): void {
  compilePermission(spec);
}

// A fixed, never-matching hash verified for unknown user names, so a login attempt takes the same
// time whether or not the user exists.
const DUMMY_HASH = hashPassword('', DEFAULT_HASHING_ALGORITHM, Buffer.alloc(4));

export class AccessControl {
  private readonly userMap = new Map<string, User>();
  private readonly vhostMap = new Map<string, Vhost>();
  /** user → vhost → compiled permission */
  private readonly permissionMap = new Map<string, Map<string, CompiledPermission>>();

  /** RabbitMQ's `loopback_users`: these users may only connect from a loopback address. */
  readonly loopbackUsers = new Set<string>(['guest']);

  /** RabbitMQ's fresh-node state: vhost '/', user guest/guest (administrator) with full access to '/'. */
  static withDefaults(): AccessControl {
    const ac = new AccessControl();
    ac.addVhost('/', { description: 'Default virtual host' });
    ac.addUser('guest', { password: 'guest', tags: ['administrator'] });
    ac.setPermissions('guest', '/', { configure: '.*', write: '.*', read: '.*' });
    return ac;
  }

  // ---- virtual hosts ----

  /** Adds a vhost, or replaces the metadata of an existing one. */
  addVhost(name: string, meta: VhostMeta = {}): Vhost {
    if (typeof name !== 'string' || name === '') throw new AccessControlError('vhost name must be a non-empty string');
    const vhost: Vhost = Object.freeze({ name, ...meta, ...(meta.tags ? { tags: [...meta.tags] } : {}) });
    this.vhostMap.set(name, vhost);
    return vhost;
  }

  /** Deletes a vhost and every permission on it; false if it did not exist. */
  deleteVhost(name: string): boolean {
    if (!this.vhostMap.delete(name)) return false;
    for (const byVhost of this.permissionMap.values()) byVhost.delete(name);
    return true;
  }

  hasVhost(name: string): boolean {
    return this.vhostMap.has(name);
  }

  getVhost(name: string): Vhost | undefined {
    return this.vhostMap.get(name);
  }

  vhosts(): Vhost[] {
    return [...this.vhostMap.values()];
  }

  // ---- users ----

  /** Adds a user, or replaces an existing one's credentials and tags (RabbitMQ import is an upsert). */
  addUser(name: string, opts: AddUserOptions = {}): User {
    if (typeof name !== 'string' || name === '') throw new AccessControlError('user name must be a non-empty string');
    const algorithm = opts.hashingAlgorithm ?? DEFAULT_HASHING_ALGORITHM;
    if (!isHashingAlgorithm(algorithm)) {
      throw new AccessControlError(`user '${name}': unsupported hashing algorithm '${algorithm}'`);
    }
    let passwordHash: string;
    if (opts.passwordHash !== undefined) passwordHash = opts.passwordHash;
    else if (opts.password !== undefined) passwordHash = hashPassword(opts.password, algorithm);
    else passwordHash = '';
    const user: User = Object.freeze({
      name,
      passwordHash,
      hashingAlgorithm: algorithm,
      tags: Object.freeze([...(opts.tags ?? [])]),
    });
    this.userMap.set(name, user);
    return user;
  }

  /** Deletes a user and all its permissions; false if it did not exist. */
  deleteUser(name: string): boolean {
    if (!this.userMap.delete(name)) return false;
    this.permissionMap.delete(name);
    return true;
  }

  getUser(name: string): User | undefined {
    return this.userMap.get(name);
  }

  users(): User[] {
    return [...this.userMap.values()];
  }

  // ---- permissions ----

  /** Sets (replaces) a user's permissions on a vhost. Both must exist; patterns must compile. */
  setPermissions(user: string, vhost: string, spec: PermissionSpec): void {
    if (!this.userMap.has(user)) throw new AccessControlError(`no such user '${user}'`);
    if (!this.vhostMap.has(vhost)) throw new AccessControlError(`no such vhost '${vhost}'`);
    const compiled = compilePermission(spec);
    let byVhost = this.permissionMap.get(user);
    if (!byVhost) this.permissionMap.set(user, (byVhost = new Map()));
    byVhost.set(vhost, compiled);
  }

  /** Removes a user's permissions on a vhost; false if there were none. */
  clearPermissions(user: string, vhost: string): boolean {
    return this.permissionMap.get(user)?.delete(vhost) ?? false;
  }

  getPermissions(user: string, vhost: string): Permission | undefined {
    const p = this.permissionMap.get(user)?.get(vhost);
    return p ? { user, vhost, ...p.spec } : undefined;
  }

  permissions(): Permission[] {
    const out: Permission[] = [];
    for (const [user, byVhost] of this.permissionMap) {
      for (const [vhost, p] of byVhost) out.push({ user, vhost, ...p.spec });
    }
    return out;
  }

  // ---- decisions ----

  /** The user if the password matches its hash, else undefined (unknown user, wrong password, no password). */
  authenticate(username: string, password: string): User | undefined {
    const user = this.userMap.get(username);
    if (!user) {
      verifyPassword(password, DUMMY_HASH, DEFAULT_HASHING_ALGORITHM);
      return undefined;
    }
    return verifyPassword(password, user.passwordHash, user.hashingAlgorithm) ? user : undefined;
  }

  /** RabbitMQ's first access-control level: the vhost exists and the user has permissions on it. */
  canAccessVhost(user: User | string, vhost: string): boolean {
    const name = typeof user === 'string' ? user : user.name;
    return this.vhostMap.has(vhost) && (this.permissionMap.get(name)?.has(vhost) ?? false);
  }

  /** May `user` perform a `kind` operation on the resource `resourceName` (queue or exchange) in `vhost`? */
  check(user: User | string, vhost: string, kind: PermissionKind, resourceName: string): boolean {
    const p = this.permissionMap.get(typeof user === 'string' ? user : user.name)?.get(vhost);
    if (p === undefined) return false;
    const m = p[kind];
    return m.all || m.regex.test(resourceName === '' ? DEFAULT_EXCHANGE_RESOURCE : resourceName);
  }

  /** RabbitMQ's loopback_users rule: false when `user` is loopback-only and `remoteAddress` is not loopback. */
  mayConnectFrom(user: User | string, remoteAddress: string | undefined): boolean {
    const name = typeof user === 'string' ? user : user.name;
    return !this.loopbackUsers.has(name) || isLoopbackAddress(remoteAddress);
  }
}

/** 127.0.0.0/8, ::1 and IPv4-mapped 127.x addresses. */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (address === undefined) return false;
  if (address === '::1') return true;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return v4.startsWith('127.');
}
