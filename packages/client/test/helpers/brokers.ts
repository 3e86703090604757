// The brokers every client test file runs against: Warren (in-process, port 0, with a data
// directory so that restarts keep durable state) and a real RabbitMQ. RabbitMQ comes from
// RABBITMQ_URL when set; otherwise one private node (scripts/start-rabbitmq.sh) is started for the
// whole test run, shared by the test files through a state file, and stopped by a watchdog shortly
// after the last test process using it has exited. If RabbitMQ cannot start, the tests fail.
import { execFile, spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, unlinkSync, statSync } from 'node:fs';
import { createServer, connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, before, after } from 'node:test';

export interface BrokerTarget {
  name: 'warren' | 'rabbitmq';
  /** amqp://guest:guest@127.0.0.1:PORT/ */
  url: string;
  port: number;
  /** Closes every client connection from the broker side (320 CONNECTION_FORCED). */
  forceCloseConnections(): Promise<void>;
  /** Stops and starts the broker on the same port; durable queues and persistent messages survive. */
  restart(): Promise<void>;
  /** Raises (or clears) the broker's memory alarm: publishing connections get blocked. */
  setMemoryAlarm(on: boolean): Promise<void>;
  close(): Promise<void>;
}

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '../../../..');

// ------------------------------------------------------------------ Warren

interface WarrenBrokerLike {
  port: number;
  alarms: { memoryLimit: number; memoryAlarm: boolean; setMemoryLimitBytes(bytes: number): void };
  connections: Set<{ forceClose(reason: string): void }>;
  close(reason?: string): Promise<void>;
}

async function startWarrenOn(port: number, dataDir: string): Promise<WarrenBrokerLike> {
  const { startBroker } = (await import('@warren/broker')) as unknown as { startBroker(o: object): Promise<WarrenBrokerLike> };
  const { pino } = await import('pino');
  return startBroker({ port, host: '127.0.0.1', dataDir, logger: pino({ level: 'silent' }) });
}

export async function startWarren(): Promise<BrokerTarget> {
  const dataDir = mkdtempSync(join(tmpdir(), 'warren-client-test-'));
  let broker = await startWarrenOn(0, dataDir);
  const port = broker.port;
  const normalMemoryLimit = broker.alarms.memoryLimit;
  return {
    name: 'warren',
    url: `amqp://guest:guest@127.0.0.1:${port}/`,
    port,
    async forceCloseConnections() {
      for (const c of [...broker.connections]) c.forceClose('closed by the test');
    },
    async restart() {
      await broker.close();
      // The port was ours a moment ago; retry briefly in case the OS has not released it yet.
      for (let attempt = 0; ; attempt++) {
        try {
          broker = await startWarrenOn(port, dataDir);
          return;
        } catch (e) {
          if (attempt >= 50) throw e;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    },
    async setMemoryAlarm(on) {
      broker.alarms.setMemoryLimitBytes(on ? 1 : normalMemoryLimit);
      // the alarm check is asynchronous (it also reads the disk's free space)
      await until(() => broker.alarms.memoryAlarm === on, 10_000, `memory alarm ${on ? 'on' : 'off'}`);
    },
    async close() {
      await broker.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

// ------------------------------------------------------------------ RabbitMQ

interface NodeInfo {
  pid: number;
  port: number;
  node: string;
  home: string;
}

const stateDir = join(tmpdir(), `warren-client-rabbitmq-${process.getuid?.() ?? 0}`);
const infoFile = join(stateDir, 'node.json');
const holdersDir = join(stateDir, 'holders');
const lockDir = join(stateDir, 'lock');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const p = typeof a === 'object' && a !== null ? a.port : 0;
      s.close(() => resolvePort(p));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((r) => {
    const s = netConnect({ host: '127.0.0.1', port });
    s.once('connect', () => { s.destroy(); r(true); });
    s.once('error', () => r(false));
  });
}

function readInfo(): NodeInfo | undefined {
  try {
    return JSON.parse(readFileSync(infoFile, 'utf8')) as NodeInfo;
  } catch {
    return undefined;
  }
}

async function withLock<T>(fn: () => Promise<T>): Promise<T> {
  mkdirSync(stateDir, { recursive: true });
  for (let i = 0; ; i++) {
    try {
      mkdirSync(lockDir);
      break;
    } catch {
      // A lock left by a crashed process is stale after two minutes.
      try {
        if (Date.now() - statSync(lockDir).mtimeMs > 120_000) rmSync(lockDir, { recursive: true, force: true });
      } catch { /* gone meanwhile */ }
      if (i > 1200) throw new Error(`timed out waiting for ${lockDir}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

/** Stops the node once no registered test process is alive for a few seconds. */
function spawnWatchdog(info: NodeInfo): void {
  const script = `
    idle=0
    while [ -d /proc/${info.pid} ]; do
      sleep 1
      live=0
      for f in "${holdersDir}"/*; do
        [ -e "$f" ] || continue
        p=$(basename "$f")
        if [ -d "/proc/$p" ]; then live=1; else rm -f "$f"; fi
      done
      if [ $live -eq 1 ]; then idle=0; else idle=$((idle + 1)); fi
      if [ $idle -ge 8 ]; then
        rm -f "${infoFile}"
        kill ${info.pid} 2>/dev/null
        exit 0
      fi
    done
    rm -f "${infoFile}"`;
  const child = spawn('bash', ['-c', script], { detached: true, stdio: 'ignore' });
  child.unref();
}

async function sharedRabbitNode(): Promise<NodeInfo> {
  return withLock(async () => {
    const existing = readInfo();
    if (existing !== undefined && alive(existing.pid) && (await accepts(existing.port))) return existing;
    // No node of ours is running (or it would have been reused): drop the state of earlier runs.
    for (const old of readdirSync(stateDir)) if (old.startsWith('node-')) rmSync(join(stateDir, old), { recursive: true, force: true });
    const port = await freePort();
    let dist = await freePort();
    while (dist === port) dist = await freePort();
    const dir = join(stateDir, `node-${port}`);
    rmSync(dir, { recursive: true, force: true });
    let out: string;
    try {
      out = execFileSync('bash', [join(repoRoot, 'scripts/start-rabbitmq.sh'), dir, String(port), String(dist)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      const err = e as { stderr?: string; message: string };
      throw new Error(`RabbitMQ could not be started for the client tests: ${err.stderr ?? err.message}`, { cause: e });
    }
    const info: NodeInfo = { pid: Number(out.trim()), port, node: `warren${port}@localhost`, home: join(dir, 'home') };
    writeFileSync(infoFile, JSON.stringify(info));
    spawnWatchdog(info);
    return info;
  });
}

function registerHolder(): void {
  mkdirSync(holdersDir, { recursive: true });
  const f = join(holdersDir, String(process.pid));
  writeFileSync(f, '');
  process.once('exit', () => {
    try { unlinkSync(f); } catch { /* already gone */ }
  });
}

function rabbitmqctl(info: NodeInfo | undefined, args: string[]): Promise<string> {
  const bin = existsSync('/usr/lib/rabbitmq/bin/rabbitmqctl') ? '/usr/lib/rabbitmq/bin/rabbitmqctl' : 'rabbitmqctl';
  const env = info === undefined ? process.env : { ...process.env, HOME: info.home };
  const full = info === undefined ? args : ['-n', info.node, ...args];
  return new Promise((res, rej) => {
    execFile(bin, full, { env, timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) rej(new Error(`rabbitmqctl ${full.join(' ')} failed: ${err.message} ${String(stderr)}`));
      else res(String(stdout));
    });
  });
}

export async function startRabbit(): Promise<BrokerTarget> {
  const external = process.env.RABBITMQ_URL;
  let url: string;
  let info: NodeInfo | undefined;
  if (external !== undefined && external !== '') {
    url = external;
  } else {
    registerHolder();
    info = await sharedRabbitNode();
    url = `amqp://guest:guest@127.0.0.1:${info.port}/`;
  }
  const port = Number(new URL(url).port || 5672);
  return {
    name: 'rabbitmq',
    url,
    port,
    async forceCloseConnections() {
      await rabbitmqctl(info, ['close_all_connections', 'closed by the test']);
    },
    async restart() {
      await rabbitmqctl(info, ['stop_app']);
      await rabbitmqctl(info, ['start_app']);
    },
    async setMemoryAlarm(on) {
      await rabbitmqctl(info, ['set_vm_memory_high_watermark', on ? '0.0000001' : '0.4']);
    },
    async close() { /* shared node: the watchdog stops it after the last test process */ },
  };
}

export const brokerKinds: Array<{ name: 'warren' | 'rabbitmq'; start(): Promise<BrokerTarget> }> = [
  { name: 'warren', start: startWarren },
  { name: 'rabbitmq', start: startRabbit },
];

/** Runs the same suite against each broker: `forEachBroker((b) => { test(..., async () => b().url) })`. */
export function forEachBroker(suite: (broker: () => BrokerTarget) => void): void {
  for (const kind of brokerKinds) {
    describe(kind.name, () => {
      let target: BrokerTarget | undefined;
      before(async () => {
        target = await kind.start();
      });
      after(async () => {
        await target?.close();
      });
      suite(() => {
        if (target === undefined) throw new Error(`${kind.name} did not start`);
        return target;
      });
    });
  }
}

/** A name no other test (or test run) uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Polls `cond` every 10 ms until it holds; fails after `ms` (a bound, not a timing assertion). */
export async function until(cond: () => boolean | Promise<boolean>, ms = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

