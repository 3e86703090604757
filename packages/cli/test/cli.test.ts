// The real `warren` command (packages/cli/dist/main.js, built by `npm test`'s tsc -b) in a child
// process, talked to with amqplib over 127.0.0.1.
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import amqp from 'amqplib';

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const TEST_TIMEOUT = { timeout: 60_000 };
/** The word, not "already" (as in "address already in use"). */
const READY = /\bready\b/;

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

class Warren {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<Exit>;

  constructor(args: string[], env: Record<string, string> = {}) {
    this.child = spawn(process.execPath, [MAIN, ...args], {
      env: { ...withoutWarrenVariables(process.env), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (this.stdout += chunk));
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    this.exited = once(this.child, 'exit').then(([code, signal]) => ({
      code: code as number | null,
      signal: signal as NodeJS.Signals | null,
      stdout: this.stdout,
      stderr: this.stderr,
    }));
  }

  /** The parsed JSON log line with the word "ready"; rejects if the process exits first. */
  ready(): Promise<{ msg: string; port: number }> {
    return new Promise((resolve, reject) => {
      const look = (): boolean => {
        for (const line of this.stdout.split('\n')) {
          if (!READY.test(line)) continue;
          resolve(JSON.parse(line) as { msg: string; port: number });
          return true;
        }
        return false;
      };
      if (look()) return;
      const onData = (): void => {
        if (look()) this.child.stdout!.off('data', onData);
      };
      this.child.stdout!.on('data', onData);
      void this.exited.then((exit) => reject(new Error(`warren exited (${exit.code ?? exit.signal}) before ready:\n${exit.stdout}\n${exit.stderr}`)));
    });
  }

  /** Kills the process if a failed test left it running. */
  dispose(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

function withoutWarrenVariables(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (!k.startsWith('WARREN_') && v !== undefined) out[k] = v;
  return out;
}

async function run(args: string[], env: Record<string, string> = {}): Promise<Exit> {
  const w = new Warren(args, env);
  try {
    return await w.exited;
  } finally {
    w.dispose();
  }
}

/** Connections still open; a failed test leaves some, whose heartbeat timers would hold this process for minutes. */
const openConnections = new Set<amqp.ChannelModel>();

/** Connects, and records how the broker closes the connection. */
async function connect(url: string): Promise<{ conn: amqp.ChannelModel; closed: Promise<unknown> }> {
  const conn = await amqp.connect(url);
  openConnections.add(conn);
  conn.on('error', () => {
    /* the close error is also delivered to 'close', checked there */
  });
  const closed = once(conn, 'close').then(([err]) => {
    openConnections.delete(conn);
    return err as unknown;
  });
  return { conn, closed };
}

/** Tears down what a failed test left open. The socket error makes amqplib stop its heartbeat timers. */
function destroyOpenConnections(): void {
  for (const conn of openConnections) (conn.connection as unknown as { stream: Socket }).stream.destroy(new Error('test cleanup'));
  openConnections.clear();
}

describe('warren command line', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'warren-cli-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(destroyOpenConnections);

  it('prints help and version', TEST_TIMEOUT, async () => {
    const help = await run(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage: warren <command>/);
    assert.match(help.stdout, /--management-port N/);
    const serverHelp = await run(['server', '--help']);
    assert.equal(serverHelp.code, 0);
    assert.match(serverHelp.stdout, /--data-dir DIR/);
    const ver = await run(['--version']);
    assert.equal(ver.code, 0);
    assert.match(ver.stdout, /^warren \d+\.\d+\.\d+\n$/);
  });

  it('exits 2 on usage errors', TEST_TIMEOUT, async () => {
    const none = await run([]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /Usage: warren/);

    const unknownCommand = await run(['frobnicate']);
    assert.equal(unknownCommand.code, 2);
    assert.match(unknownCommand.stderr, /unknown command 'frobnicate'/);

    const unknownGlobal = await run(['--frobnicate']);
    assert.equal(unknownGlobal.code, 2);
    assert.match(unknownGlobal.stderr, /unknown option '--frobnicate'/);

    const unknownFlag = await run(['server', '--bogus', '1']);
    assert.equal(unknownFlag.code, 2);
    assert.match(unknownFlag.stderr, /--bogus/);

    const badPort = await run(['server', '--port', 'abc']);
    assert.equal(badPort.code, 2);
    assert.match(badPort.stderr, /--port: expected an integer 0-65535, got 'abc'/);

    const badEnv = await run(['server'], { WARREN_PORT: '99999' });
    assert.equal(badEnv.code, 2);
    assert.match(badEnv.stderr, /WARREN_PORT/);

    const config = join(dir, 'unknown-key.json');
    writeFileSync(config, JSON.stringify({ port: 0, listeners: 5672 }));
    const badConfig = await run(['server', '--config', config]);
    assert.equal(badConfig.code, 2);
    assert.match(badConfig.stderr, /unknown key 'listeners'/);
    assert.doesNotMatch(badConfig.stdout, READY);
  });

  it('serves AMQP until SIGTERM, then closes clients with 320 and exits 0', TEST_TIMEOUT, async () => {
    const w = new Warren(['server', '--port', '0', '--management-port', '0', '--prometheus-port', '0', '--bind', '127.0.0.1', '--data-dir', join(dir, 'data-term')]);
    try {
      const ready = await w.ready();
      assert.ok(Number.isInteger(ready.port) && ready.port > 0, `a real port in ${JSON.stringify(ready)}`);
      assert.match(ready.msg, new RegExp(`ready: listening on 127\\.0\\.0\\.1:${ready.port}$`));

      const { conn, closed } = await connect(`amqp://guest:guest@127.0.0.1:${ready.port}/`);
      const ch = await conn.createChannel();
      ch.on('error', () => {});
      const q = await ch.assertQueue('', { exclusive: true });
      assert.match(q.queue, /^amq\.gen-/);

      w.child.kill('SIGTERM');
      const err = (await closed) as { code?: number; message?: string } | undefined;
      assert.equal(err?.code, 320, `close error: ${err?.message}`);
      assert.match(String(err?.message), /CONNECTION_FORCED/);
      const exit = await w.exited;
      assert.deepEqual([exit.code, exit.signal], [0, null], exit.stdout + exit.stderr);
    } finally {
      w.dispose();
    }
  });

  it('takes its settings from WARREN_CONFIG and WARREN_DEFINITIONS, and stops on SIGINT', TEST_TIMEOUT, async () => {
    const config = join(dir, 'warren.json');
    writeFileSync(config, JSON.stringify({ port: 0, managementPort: 0, prometheusPort: 0, bind: '127.0.0.1', dataDir: 'data-int', logLevel: 'info' }));
    const definitions = join(dir, 'definitions.json');
    writeFileSync(
      definitions,
      JSON.stringify({
        rabbit_version: '3.10.8',
        users: [
          // password "test12", hashed per RabbitMQ's documented example (salt 908DC60A)
          { name: 'app', password_hash: 'kI3GCqW5JLMJa4iX1lo7X4D6XbYqlLgxIs30+P6tENUV2POR', hashing_algorithm: 'rabbit_password_hashing_sha256', tags: [] },
        ],
        vhosts: [{ name: 'apps', limits: [], metadata: { description: 'applications', tags: [] } }],
        permissions: [{ user: 'app', vhost: 'apps', configure: '.*', write: '.*', read: '.*' }],
      }),
    );
    const w = new Warren(['server'], { WARREN_CONFIG: config, WARREN_DEFINITIONS: definitions });
    try {
      const ready = await w.ready();
      assert.match(ready.msg, /listening on 127\.0\.0\.1:\d+$/);

      const { conn, closed } = await connect(`amqp://app:test12@127.0.0.1:${ready.port}/apps`);
      const ch = await conn.createChannel();
      ch.on('error', () => {});
      await ch.assertQueue('warren-cli-test', { durable: false, autoDelete: true });
      const guest = await connect(`amqp://guest:guest@127.0.0.1:${ready.port}/`).then(
        () => undefined,
        (err: Error) => err,
      );
      assert.match(String(guest?.message), /ACCESS_REFUSED|403/, 'the definitions replace guest/guest');

      w.child.kill('SIGINT');
      const err = (await closed) as { code?: number } | undefined;
      assert.equal(err?.code, 320);
      const exit = await w.exited;
      assert.equal(exit.code, 0, exit.stdout + exit.stderr);
    } finally {
      w.dispose();
    }
  });

  it('stops like on SIGTERM when npx/npm, its launcher, is killed', TEST_TIMEOUT, async () => {
    // npx runs `sh -c warren ...`; a SIGTERM to npx ends npx and the shell but never reaches Warren
    const launcher = spawn('sh', ['-c', `"${process.execPath}" "${MAIN}" server --port 0 --management-port 0 --prometheus-port 0 --bind 127.0.0.1; exit $?`], {
      env: { ...withoutWarrenVariables(process.env), npm_lifecycle_event: 'npx' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    launcher.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    const outputEnded = once(launcher.stdout!, 'end'); // when Warren, the last writer, exits
    try {
      while (!READY.test(stdout)) {
        const [chunk] = (await Promise.race([once(launcher.stdout!, 'data'), outputEnded.then(() => [null])])) as [string | null];
        if (chunk === null) assert.fail(`warren ended before ready: ${stdout}`);
      }
      const port = (JSON.parse(stdout.split('\n').find((l) => READY.test(l))!) as { port: number }).port;
      const { conn, closed } = await connect(`amqp://guest:guest@127.0.0.1:${port}/`);
      await conn.createChannel();

      launcher.kill('SIGTERM');
      const err = (await closed) as { code?: number } | undefined;
      assert.equal(err?.code, 320);
      await outputEnded;
      assert.match(stdout, /"signal":"parent-exited"/);
      assert.match(stdout, /Warren stopped/);
    } finally {
      launcher.kill('SIGKILL');
      // a Warren that failed to notice would be left orphaned: its pid is in every log line
      const pid = /"pid":(\d+)/.exec(stdout)?.[1];
      if (pid !== undefined) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          /* already gone, as it should be */
        }
      }
    }
  });

  it('exits 2 on an invalid definitions file and 1 when the port is taken', TEST_TIMEOUT, async () => {
    const definitions = join(dir, 'bad-definitions.json');
    writeFileSync(definitions, JSON.stringify({ queues: [{ name: 'q', durable: 'yes' }] }));
    const bad = await run(['server', '--port', '0', '--management-port', '0', '--prometheus-port', '0', '--definitions', definitions]);
    assert.equal(bad.code, 2, bad.stdout + bad.stderr);
    assert.match(bad.stdout, /queues\[0\]\.durable/);
    assert.doesNotMatch(bad.stdout, READY);

    const blocker = createServer();
    blocker.listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    try {
      const port = (blocker.address() as AddressInfo).port;
      const taken = await run(['server', '--port', String(port), '--bind', '127.0.0.1', '--management-port', '0', '--prometheus-port', '0']);
      assert.equal(taken.code, 1, taken.stdout + taken.stderr);
      assert.match(taken.stdout, /failed to start/);
      assert.doesNotMatch(taken.stdout, READY);
    } finally {
      blocker.close();
    }
  });
});
