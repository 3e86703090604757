// RabbitMQ's definitions JSON (rabbitmqctl export_definitions, GET /api/definitions, load_definitions):
// parsing with path-naming errors, and applying its users/vhosts/permissions to an AccessControl.
// Queues, exchanges and bindings are applied by the broker core.
import { readFile } from 'node:fs/promises';
import { AccessControl, AccessControlError, validatePermissionSpec } from './access-control.js';
import { DEFAULT_HASHING_ALGORITHM, isBase64, isHashingAlgorithm, type HashingAlgorithm } from './password.js';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export interface DefinitionUser {
  name: string;
  /** base64 RabbitMQ hash; '' = the user cannot log in with a password. */
  password_hash: string;
  /** Resolved: given, or inferred from rabbit_version as RabbitMQ does (MD5 before 3.6.0). */
  hashing_algorithm: HashingAlgorithm;
  /** Clear-text password (hand-written files; RabbitMQ accepts it too). Wins over password_hash. */
  password?: string;
  /** Normalised to an array ("a,b" in exports before 3.9). */
  tags: string[];
  limits?: JsonObject;
}

export interface DefinitionVhostMetadata {
  description?: string;
  tags?: string[];
  default_queue_type?: string;
}

export interface DefinitionVhost extends DefinitionVhostMetadata {
  name: string;
  /** As exported since 3.8.10; its fields are also copied to the top level when absent there. */
  metadata?: DefinitionVhostMetadata;
  limits?: JsonValue;
}

export interface DefinitionPermission {
  user: string;
  vhost: string;
  configure: string;
  write: string;
  read: string;
}

export interface DefinitionTopicPermission {
  user: string;
  vhost: string;
  exchange: string;
  write: string;
  read: string;
}

export interface DefinitionParameter {
  vhost: string;
  component: string;
  name: string;
  value: JsonValue;
}

export interface DefinitionGlobalParameter {
  name: string;
  value: JsonValue;
}

export interface DefinitionPolicy {
  vhost: string;
  name: string;
  pattern: string;
  'apply-to': string;
  definition: JsonObject;
  priority: number;
}

export interface DefinitionQueue {
  name: string;
  vhost: string;
  durable: boolean;
  auto_delete: boolean;
  arguments: JsonObject;
  /** Present in some exports (e.g. "classic", "quorum"); x-queue-type in arguments is authoritative. */
  type?: string;
}

export interface DefinitionExchange {
  name: string;
  vhost: string;
  type: string;
  durable: boolean;
  auto_delete: boolean;
  internal: boolean;
  arguments: JsonObject;
}

export interface DefinitionBinding {
  source: string;
  vhost: string;
  destination: string;
  destination_type: 'queue' | 'exchange';
  routing_key: string;
  arguments: JsonObject;
}

/** A parsed definitions document: every section present (empty when absent from the file). */
export interface Definitions {
  rabbit_version?: string;
  rabbitmq_version?: string;
  product_name?: string;
  product_version?: string;
  users: DefinitionUser[];
  vhosts: DefinitionVhost[];
  permissions: DefinitionPermission[];
  topic_permissions: DefinitionTopicPermission[];
  parameters: DefinitionParameter[];
  global_parameters: DefinitionGlobalParameter[];
  policies: DefinitionPolicy[];
  queues: DefinitionQueue[];
  exchanges: DefinitionExchange[];
  bindings: DefinitionBinding[];
}

export class DefinitionsError extends Error {
  override name = 'DefinitionsError';
  /** Where in the document, e.g. "users[2].password_hash" ('' for the document itself). */
  readonly path: string;
  /** The message without the "definitions: PATH: " prefix. */
  readonly detail: string;
  constructor(path: string, detail: string) {
    super(path ? `definitions: ${path}: ${detail}` : `definitions: ${detail}`);
    this.path = path;
    this.detail = detail;
  }
}

export interface ParseDefinitionsOptions {
  /** vhost for entries without one (single-vhost exports omit it). Default '/'. */
  defaultVhost?: string;
}

// ---------------------------------------------------------------------------------------------
// Field readers: each names the offending path in its error.

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

class Reader {
  constructor(
    private readonly obj: Record<string, unknown>,
    readonly path: string,
  ) {}

  at(key: string): string {
    return this.path ? `${this.path}.${key}` : key;
  }

  has(key: string): boolean {
    return this.obj[key] !== undefined;
  }

  raw(key: string): unknown {
    return this.obj[key];
  }

  string(key: string, fallback?: string): string {
    const v = this.obj[key];
    if (v === undefined && fallback !== undefined) return fallback;
    if (typeof v !== 'string') throw new DefinitionsError(this.at(key), `must be a string, got ${v === undefined ? 'nothing' : describe(v)}`);
    return v;
  }

  optionalString(key: string): string | undefined {
    return this.obj[key] === undefined ? undefined : this.string(key);
  }

  boolean(key: string, fallback: boolean): boolean {
    const v = this.obj[key];
    if (v === undefined) return fallback;
    if (typeof v !== 'boolean') throw new DefinitionsError(this.at(key), `must be true or false, got ${describe(v)}`);
    return v;
  }

  integer(key: string, fallback: number): number {
    const v = this.obj[key];
    if (v === undefined) return fallback;
    if (typeof v !== 'number' || !Number.isInteger(v)) throw new DefinitionsError(this.at(key), `must be an integer, got ${describe(v)}`);
    return v;
  }

  object(key: string, fallback?: JsonObject): JsonObject {
    const v = this.obj[key];
    if (v === undefined && fallback !== undefined) return fallback;
    if (!isObject(v)) throw new DefinitionsError(this.at(key), `must be an object, got ${v === undefined ? 'nothing' : describe(v)}`);
    return v as JsonObject;
  }

  /** Tags: an array of strings, or a comma-separated string (older exports). */
  tags(key: string): string[] | undefined {
    const v = this.obj[key];
    if (v === undefined) return undefined;
    if (typeof v === 'string') return v.split(',').map((t) => t.trim()).filter((t) => t !== '');
    if (Array.isArray(v) && v.every((t) => typeof t === 'string')) return [...(v as string[])];
    throw new DefinitionsError(this.at(key), `must be an array of strings or a comma-separated string, got ${describe(v)}`);
  }
}

function section<T>(doc: Reader, key: string, parseItem: (r: Reader) => T): T[] {
  const v = doc.raw(key);
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new DefinitionsError(key, `must be an array, got ${describe(v)}`);
  return v.map((item, i) => {
    const path = `${key}[${i}]`;
    if (!isObject(item)) throw new DefinitionsError(path, `must be an object, got ${describe(item)}`);
    return parseItem(new Reader(item, path));
  });
}

/** RabbitMQ's rule for users without hashing_algorithm (rabbit_definitions:hashing_algorithm/2). */
function inferHashingAlgorithm(rabbitVersion: string | undefined): HashingAlgorithm {
  if (rabbitVersion === '3.6.0') return 'rabbit_password_hashing_sha256';
  if (rabbitVersion !== undefined && /^(2\.|3\.[0-5]\.)/.test(rabbitVersion)) return 'rabbit_password_hashing_md5';
  return DEFAULT_HASHING_ALGORITHM;
}

// ---------------------------------------------------------------------------------------------

/** Validates a definitions document (already JSON-parsed) and normalises it. Throws DefinitionsError. */
export function parseDefinitions(json: unknown, opts: ParseDefinitionsOptions = {}): Definitions {
  if (!isObject(json)) throw new DefinitionsError('', `the document must be a JSON object, got ${describe(json)}`);
  const defaultVhost = opts.defaultVhost ?? '/';
  const doc = new Reader(json, '');
  const rabbitVersion = doc.optionalString('rabbit_version') ?? doc.optionalString('rabbitmq_version');

  const users = section(doc, 'users', (r): DefinitionUser => {
    const name = r.string('name');
    const password = r.optionalString('password');
    const hash = r.optionalString('password_hash');
    if (hash === undefined && password === undefined) throw new DefinitionsError(r.at('password_hash'), 'must be given (or password)');
    if (hash !== undefined && !isBase64(hash)) throw new DefinitionsError(r.at('password_hash'), 'is not valid base64');
    const algorithm = r.optionalString('hashing_algorithm') ?? inferHashingAlgorithm(rabbitVersion);
    if (!isHashingAlgorithm(algorithm)) {
      throw new DefinitionsError(r.at('hashing_algorithm'), `unsupported algorithm '${algorithm}' (supported: rabbit_password_hashing_sha256, rabbit_password_hashing_sha512, rabbit_password_hashing_md5)`);
    }
    const user: DefinitionUser = { name, password_hash: hash ?? '', hashing_algorithm: algorithm, tags: r.tags('tags') ?? [] };
    if (password !== undefined) user.password = password;
    if (r.has('limits')) user.limits = r.object('limits');
    return user;
  });

  const vhosts = section(doc, 'vhosts', (r): DefinitionVhost => {
    const vhost: DefinitionVhost = { name: r.string('name') };
    let meta: DefinitionVhostMetadata = {};
    if (r.has('metadata')) {
      const m = new Reader(r.object('metadata'), r.at('metadata'));
      meta = {};
      const d = m.optionalString('description');
      if (d !== undefined) meta.description = d;
      const t = m.tags('tags');
      if (t !== undefined) meta.tags = t;
      const q = m.optionalString('default_queue_type');
      if (q !== undefined) meta.default_queue_type = q;
      vhost.metadata = meta;
    }
    const description = r.optionalString('description') ?? meta.description;
    if (description !== undefined) vhost.description = description;
    const tags = r.tags('tags') ?? meta.tags;
    if (tags !== undefined) vhost.tags = tags;
    const dqt = r.optionalString('default_queue_type') ?? meta.default_queue_type;
    if (dqt !== undefined) vhost.default_queue_type = dqt;
    if (r.has('limits')) vhost.limits = r.raw('limits') as JsonValue;
    return vhost;
  });

  const permissions = section(doc, 'permissions', (r): DefinitionPermission => ({
    user: r.string('user'),
    vhost: r.string('vhost', defaultVhost),
    configure: r.string('configure'),
    write: r.string('write'),
    read: r.string('read'),
  }));

  const topicPermissions = section(doc, 'topic_permissions', (r): DefinitionTopicPermission => ({
    user: r.string('user'),
    vhost: r.string('vhost', defaultVhost),
    exchange: r.string('exchange'),
    write: r.string('write'),
    read: r.string('read'),
  }));

  const parameters = section(doc, 'parameters', (r): DefinitionParameter => {
    if (!r.has('value')) throw new DefinitionsError(r.at('value'), 'must be given');
    return { vhost: r.string('vhost', defaultVhost), component: r.string('component'), name: r.string('name'), value: r.raw('value') as JsonValue };
  });

  const globalParameters = section(doc, 'global_parameters', (r): DefinitionGlobalParameter => {
    if (!r.has('value')) throw new DefinitionsError(r.at('value'), 'must be given');
    return { name: r.string('name'), value: r.raw('value') as JsonValue };
  });

  const policies = section(doc, 'policies', (r): DefinitionPolicy => {
    const applyTo = r.string('apply-to', 'all');
    if (!['all', 'queues', 'exchanges', 'classic_queues', 'quorum_queues', 'streams'].includes(applyTo)) {
      throw new DefinitionsError(r.at('apply-to'), `must be one of all, queues, exchanges, classic_queues, quorum_queues, streams; got '${applyTo}'`);
    }
    return {
      vhost: r.string('vhost', defaultVhost),
      name: r.string('name'),
      pattern: r.string('pattern'),
      'apply-to': applyTo,
      definition: r.object('definition'),
      priority: r.integer('priority', 0),
    };
  });

  const queues = section(doc, 'queues', (r): DefinitionQueue => {
    const q: DefinitionQueue = {
      name: r.string('name'),
      vhost: r.string('vhost', defaultVhost),
      durable: r.boolean('durable', true),
      auto_delete: r.boolean('auto_delete', false),
      arguments: r.object('arguments', {}),
    };
    const type = r.optionalString('type');
    if (type !== undefined) q.type = type;
    return q;
  });

  const exchanges = section(doc, 'exchanges', (r): DefinitionExchange => ({
    name: r.string('name'),
    vhost: r.string('vhost', defaultVhost),
    type: r.string('type'),
    durable: r.boolean('durable', true),
    auto_delete: r.boolean('auto_delete', false),
    internal: r.boolean('internal', false),
    arguments: r.object('arguments', {}),
  }));

  const bindings = section(doc, 'bindings', (r): DefinitionBinding => {
    const destinationType = r.string('destination_type');
    if (destinationType !== 'queue' && destinationType !== 'exchange') {
      throw new DefinitionsError(r.at('destination_type'), `must be "queue" or "exchange", got ${JSON.stringify(destinationType)}`);
    }
    return {
      source: r.string('source'),
      vhost: r.string('vhost', defaultVhost),
      destination: r.string('destination'),
      destination_type: destinationType,
      routing_key: r.string('routing_key', ''),
      arguments: r.object('arguments', {}),
    };
  });

  const defs: Definitions = {
    users,
    vhosts,
    permissions,
    topic_permissions: topicPermissions,
    parameters,
    global_parameters: globalParameters,
    policies,
    queues,
    exchanges,
    bindings,
  };
  for (const key of ['rabbit_version', 'rabbitmq_version', 'product_name', 'product_version'] as const) {
    const v = doc.optionalString(key);
    if (v !== undefined) defs[key] = v;
  }
  return defs;
}

/** Reads and parses a definitions file. Errors name the file and the bad field. */
export async function loadDefinitionsFile(path: string, opts: ParseDefinitionsOptions = {}): Promise<Definitions> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new DefinitionsError('', `cannot read ${path}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new DefinitionsError('', `${path} is not valid JSON: ${(err as Error).message}`);
  }
  try {
    return parseDefinitions(json, opts);
  } catch (err) {
    if (err instanceof DefinitionsError) throw new DefinitionsError(err.path, `${err.detail} (in ${path})`);
    throw err;
  }
}

export interface AppliedAuthDefinitions {
  vhosts: number;
  users: number;
  permissions: number;
}

/**
 * Applies the vhosts, users and permissions of `defs` to `ac` (upserts, like RabbitMQ's import).
 * Everything is checked before anything changes: a permission naming an unknown user or vhost, or a
 * pattern that does not compile, throws DefinitionsError and leaves `ac` untouched.
 */
export function applyAuthDefinitions(ac: AccessControl, defs: Definitions): AppliedAuthDefinitions {
  const userNames = new Set([...ac.users().map((u) => u.name), ...defs.users.map((u) => u.name)]);
  const vhostNames = new Set([...ac.vhosts().map((v) => v.name), ...defs.vhosts.map((v) => v.name)]);
  defs.users.forEach((u, i) => {
    if (u.name === '') throw new DefinitionsError(`users[${i}].name`, 'must not be empty');
  });
  defs.vhosts.forEach((v, i) => {
    if (v.name === '') throw new DefinitionsError(`vhosts[${i}].name`, 'must not be empty');
  });
  defs.permissions.forEach((p, i) => {
    if (!userNames.has(p.user)) throw new DefinitionsError(`permissions[${i}].user`, `no such user '${p.user}'`);
    if (!vhostNames.has(p.vhost)) throw new DefinitionsError(`permissions[${i}].vhost`, `no such vhost '${p.vhost}'`);
    try {
      validatePermissionSpec(p);
    } catch (err) {
      if (err instanceof AccessControlError) throw new DefinitionsError(`permissions[${i}]`, err.message);
      throw err;
    }
  });

  for (const v of defs.vhosts) {
    ac.addVhost(v.name, {
      ...(v.description !== undefined ? { description: v.description } : {}),
      ...(v.tags !== undefined ? { tags: v.tags } : {}),
      ...(v.default_queue_type !== undefined ? { defaultQueueType: v.default_queue_type } : {}),
    });
  }
  for (const u of defs.users) {
    ac.addUser(u.name, {
      ...(u.password !== undefined ? { password: u.password } : { passwordHash: u.password_hash }),
      hashingAlgorithm: u.hashing_algorithm,
      tags: u.tags,
    });
  }
  for (const p of defs.permissions) ac.setPermissions(p.user, p.vhost, p);
  return { vhosts: defs.vhosts.length, users: defs.users.length, permissions: defs.permissions.length };
}

/**
 * The access control a node boots with. Without definitions (or with definitions that carry no
 * users and no vhosts, i.e. topology only): RabbitMQ's defaults (guest/guest on '/'). With users or
 * vhosts: exactly what the file says, like RabbitMQ, which skips creating the default user and
 * vhost when it imports definitions on boot.
 */
export function createAccessControl(defs?: Definitions): AccessControl {
  if (!defs || (defs.users.length === 0 && defs.vhosts.length === 0)) {
    const ac = AccessControl.withDefaults();
    if (defs) applyAuthDefinitions(ac, defs);
    return ac;
  }
  const ac = new AccessControl();
  applyAuthDefinitions(ac, defs);
  return ac;
}

/** The users/vhosts/permissions sections as RabbitMQ 3.10 exports them. */
export function exportAuthDefinitions(ac: AccessControl): Pick<Definitions, 'users' | 'vhosts' | 'permissions'> {
  return {
    users: ac.users().map((u) => ({
      name: u.name,
      password_hash: u.passwordHash,
      hashing_algorithm: u.hashingAlgorithm,
      tags: [...u.tags],
      limits: {},
    })),
    vhosts: ac.vhosts().map((v) => {
      const metadata: DefinitionVhostMetadata = { description: v.description ?? '', tags: [...(v.tags ?? [])] };
      if (v.defaultQueueType !== undefined) metadata.default_queue_type = v.defaultQueueType;
      return { name: v.name, limits: [], metadata };
    }),
    permissions: ac.permissions().map((p) => ({ user: p.user, vhost: p.vhost, configure: p.configure, write: p.write, read: p.read })),
  };
}
