// Starts the broker under test. With WARREN_TEST_URL set the suite runs against that external broker
// instead (used to validate the tests against a real RabbitMQ); otherwise Warren is started in-process
// on an ephemeral loopback port.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

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
  // Dynamic import: the test files must load even while the broker source is being written.
  const mod = (await import('../../src/index.js')) as {
    startBroker(o: Record<string, unknown>): Promise<StartedBroker>;
  };
  const host = '127.0.0.1';
  const b = await mod.startBroker({ ...opts, port: 0, host, logger: await silentLogger() });
  return {
    url: `amqp://guest:guest@${host}:${b.port}/`,
    port: b.port,
    host,
    urlFor: makeUrlFor(host, b.port),
    close: () => b.close('test finished'),
  };
}

// ------------------------------------------------------------------ external (RabbitMQ) mode

async function rabbitmqctl(...args: string[]): Promise<string> {
  const { stdout } = await execFileAsync('rabbitmqctl', args, { timeout: 30_000 });
  return stdout;
}

/** Broker-wide options cannot be changed on an external broker; definitions are imported with rabbitmqctl. */
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
      for (const user of defs.users ?? []) await rabbitmqctl('delete_user', user.name).catch(() => '');
      for (const vh of defs.vhosts ?? []) await rabbitmqctl('delete_vhost', vh.name).catch(() => '');
    },
  };
}

async function importDefinitions(defs: Definitions): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'warren-defs-'));
  try {
    const file = path.join(dir, 'definitions.json');
    const users = (defs.users ?? []).map((x) => ({
      ...x,
      tags: Array.isArray(x.tags) ? x.tags.join(',') : (x.tags ?? ''),
    }));
    await writeFile(file, JSON.stringify({ ...defs, users }));
    await rabbitmqctl('import_definitions', file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  // RabbitMQ imports asynchronously: wait (bounded) until every user can authenticate.
  for (const user of defs.users ?? []) {
    let ok = false;
    for (let i = 0; i < 50 && !ok; i++) {
      ok = await rabbitmqctl('authenticate_user', user.name, user.password).then(
        () => true,
        () => false,
      );
      if (!ok) await new Promise((r) => setTimeout(r, 200));
    }
    if (!ok) throw new Error(`definitions import: user ${user.name} never became usable`);
  }
}
