// Starts the broker under test. With WARREN_TEST_URL set the suite runs against that external broker
// instead (used to validate the tests against a real RabbitMQ); otherwise Warren is started in-process
// on an ephemeral loopback port.
import { execFile } from 'node:child_process';

/** True when the suite is pointed at an external broker (RabbitMQ) rather than Warren. */
export const externalUrl: string | undefined = process.env.WARREN_TEST_URL || undefined;
export const isExternal = externalUrl !== undefined;

/** RabbitMQ-style definitions (users with plain passwords, vhosts, permissions). */
export interface Definitions {
  users?: Array<{ name: string; password: string; tags?: string | string[] }>;
  vhosts?: Array<{ name: string }>;
  permissions?: Array<{ user: string; vhost: string; configure: string; write: string; read: string }>;
  [key: string]: unknown;
}

export interface BrokerOptions {
  heartbeat?: number;
  frameMax?: number;
  channelMax?: number;
  handshakeTimeoutMs?: number;
  definitions?: Definitions;
}

export interface TestBroker {
  /** amqp://guest:guest@127.0.0.1:PORT/ (the default vhost). */
  url: string;
  port: number;
  host: string;
  /** URL for another user / vhost on the same broker. */
  urlFor(user: string, pass: string, vhost?: string): string;
  close(): Promise<void>;
}

interface StartedBroker {
  port: number;
  close(reason?: string): Promise<void>;
}

async function silentLogger(): Promise<unknown> {
  const { pino } = await import('pino');
  return pino({ level: 'silent' });
}

function makeUrlFor(host: string, port: number) {
  return (user: string, pass: string, vhost = '/'): string =>
    `amqp://${encodeURIComponent(user)}:${encodeURIComponent(pass)}@${host}:${port}/${encodeURIComponent(vhost)}`;
}

export async function withBroker(opts: BrokerOptions = {}): Promise<TestBroker> {
  if (externalUrl !== undefined) return externalBroker(externalUrl, opts);
  // Dynamic import through a variable: the test files must load (and type-check) even while the
  // broker source is being written.
  const entry = '../../src/index.js';
  const mod = (await import(entry)) as {
    startBroker(o: Record<string, unknown>): Promise<StartedBroker>;
  };
  const host = '127.0.0.1';
  // Definitions given at start replace the default guest user and '/' vhost (RabbitMQ's
  // boot-time import); in external mode they are added to a running broker that keeps them.
  // Keep guest and '/' so both modes see the same users.
  const definitions = opts.definitions === undefined ? undefined : withGuest(opts.definitions);
  const b = await mod.startBroker({ ...opts, definitions, port: 0, host, logger: await silentLogger() });
  return {
    url: `amqp://guest:guest@${host}:${b.port}/`,
    port: b.port,
    host,
    urlFor: makeUrlFor(host, b.port),
    close: () => b.close('test finished'),
  };
}

function withGuest(d: Definitions): Definitions {
  return {
    ...d,
    users: [{ name: 'guest', password: 'guest', tags: ['administrator'] }, ...(d.users ?? []).filter((u) => u.name !== 'guest')],
    vhosts: [{ name: '/' }, ...(d.vhosts ?? []).filter((v) => v.name !== '/')],
    permissions: [{ user: 'guest', vhost: '/', configure: '.*', write: '.*', read: '.*' }, ...(d.permissions ?? [])],
  };
}

// ------------------------------------------------------------------ external (RabbitMQ) mode

function rabbitmqctl(args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile('rabbitmqctl', args, { timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`rabbitmqctl ${args.join(' ')} failed: ${err.message} ${String(stderr)}`));
      else resolve(String(stdout));
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** Broker-wide options cannot be changed on an external broker; definitions are applied with rabbitmqctl. */
async function externalBroker(url: string, opts: BrokerOptions): Promise<TestBroker> {
  const u = new URL(url);
  const host = u.hostname;
  const port = Number(u.port || 5672);
  const defs = opts.definitions;
  if (defs) await importDefinitions(defs);
  return {
    url,
    port,
    host,
    urlFor: makeUrlFor(host, port),
    close: async () => {
      if (!defs) return;
      for (const user of defs.users ?? []) await rabbitmqctl(['delete_user', user.name]).catch(() => '');
      for (const vh of defs.vhosts ?? []) await rabbitmqctl(['delete_vhost', vh.name]).catch(() => '');
    },
  };
}

/** Applies the users/vhosts/permissions of a definitions object with plain rabbitmqctl commands. */
async function importDefinitions(defs: Definitions): Promise<void> {
  for (const vh of defs.vhosts ?? []) {
    await rabbitmqctl(['add_vhost', vh.name]).catch(() => ''); // may exist from an aborted run
  }
  for (const user of defs.users ?? []) {
    await rabbitmqctl(['delete_user', user.name]).catch(() => '');
    await rabbitmqctl(['add_user', user.name, user.password]);
    const tags = Array.isArray(user.tags) ? user.tags : (user.tags ?? '').split(',').filter(Boolean);
    await rabbitmqctl(['set_user_tags', user.name, ...tags]);
  }
  for (const p of defs.permissions ?? []) {
    await rabbitmqctl(['set_permissions', '-p', p.vhost, p.user, p.configure, p.write, p.read]);
  }
}
