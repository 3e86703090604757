// Benchmarks @warren/client against Warren and compares with amqplib doing the same work:
//   1. publish with confirms: 1 KB persistent messages to a durable queue, 1000 unconfirmed at most
//      (the S3 shape), while a consumer (manual ack, prefetch 1000) drains the queue;
//   2. consume with manual acks: 1 KB messages, prefetch 1000, a publisher (no confirms) and a
//      consumer running together (the S2 shape), both through the client in one process; the
//      consumer alone fed by ampbench's own S2 publisher (S2 consume); draining a pre-filled queue;
//   3. memory:// round trip: publish and consume in one process through Warren's in-process core.
// Warren runs as its own process (packages/cli, built with `npx tsc -b`) on a free loopback port;
// each measurement runs in a fresh Node process of its own, as an application would.
// When the shared ampbench tool is available (../shared/bench/build.sh and Go, or AMPBENCH=path),
// its raw S2 and S3 figures against the same Warren are measured too: the reference the issue sets.
// Usage: npm run bench:client [-- --reps 5 --seconds 5 --messages 100000 --only s3,s2,s2consume,drain,memory]
// Writes bench/results/client-<date>.md and prints the same table.
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect as netConnect } from 'node:net';
import { tmpdir, cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import amqplib from 'amqplib';
import { connect, Queue, closeMemoryBroker } from '@warren/client';

const execFileAsync = promisify(execFile);

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({
  options: {
    // internal: one measurement in a child process (see inChild)
    child: { type: 'string' }, url: { type: 'string' }, 'warren-pid': { type: 'string' }, 'management-port': { type: 'string' }, ampbench: { type: 'string' },
    only: { type: 'string', default: 's3,s2,s2consume,drain,memory' }, reps: { type: 'string', default: '5' }, seconds: { type: 'string', default: '5' }, messages: { type: 'string', default: '100000' }, 'memory-messages': { type: 'string', default: '300000' } },
});
const REPS = Math.max(1, Number(args.reps));
const ONLY = new Set(args.only.split(','));
const want = (scenario: string): boolean => ONLY.has(scenario);
const SECONDS = Number(args.seconds);
const MESSAGES = Number(args.messages);
const MEMORY_MESSAGES = Number(args['memory-messages']);
const WINDOW = 1000;
const body1k = Buffer.alloc(1024, 'x');

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => res(typeof a === 'object' && a !== null ? a.port : 0));
    });
  });
}

/** What a measurement needs to know of the Warren under test. */
interface WarrenAddress { url: string; pid: number; managementPort: number }

interface Warren extends WarrenAddress { child: ChildProcess; dataDir: string }

async function startWarren(): Promise<Warren> {
  const port = await freePort();
  const managementPort = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'warren-bench-client-'));
  const child = spawn(process.execPath, [join(root, 'packages/cli/bin/warren.js'), 'server', '--port', String(port), '--management-port', String(managementPort), '--prometheus-port', '0',
    '--bind', '127.0.0.1', '--data-dir', dataDir, '--log-level', 'warn'], { stdio: ['ignore', 'ignore', 'inherit'] });
  for (let i = 0; i < 200; i++) {
    const up = await new Promise<boolean>((r) => {
      const s = netConnect({ host: '127.0.0.1', port });
      s.once('connect', () => { s.destroy(); r(true); });
      s.once('error', () => r(false));
    });
    if (up) return { url: `amqp://guest:guest@127.0.0.1:${port}/`, pid: child.pid ?? 0, child, dataDir, managementPort };
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill();
  throw new Error('Warren did not start (is it built? run npx tsc -b)');
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Per-second rate of `count` over SECONDS, after a 1 s warm-up. */
async function measureRate(count: () => number): Promise<number> {
  await sleep(1000);
  const c0 = count();
  const t0 = performance.now();
  await sleep(SECONDS * 1000);
  return ((count() - c0) * 1000) / (performance.now() - t0);
}

// ------------------------------------------------------------------ 1. publish with confirms

async function publishClient(url: string): Promise<number> {
  const conn = await connect(url);
  const drain = await connect(url);
  const q = new Queue(`bench-pub-client-${process.pid}`, { durable: true });
  await conn.declare(q);
  await drain.consume(q, () => undefined, { prefetch: WINDOW });
  const producer = conn.producer({ maxInFlight: WINDOW });
  const opts = { routingKey: q.name };
  let inFlight = 0;
  let confirmed = 0;
  let stop = false;
  const onConfirmed = (): void => {
    inFlight--;
    confirmed++;
    kick();
  };
  const kick = (): void => {
    while (!stop && inFlight < WINDOW) {
      inFlight++;
      producer.publish(body1k, opts).then(onConfirmed, onConfirmed);
    }
  };
  kick();
  const rate = await measureRate(() => confirmed);
  stop = true;
  while (inFlight > 0) await sleep(10);
  await conn.deleteQueue(q);
  await drain.close();
  await conn.close();
  return rate;
}

async function publishAmqplib(url: string): Promise<number> {
  const conn = await amqplib.connect(url);
  const drainConn = await amqplib.connect(url);
  const q = `bench-pub-amqplib-${process.pid}`;
  const ch = await conn.createConfirmChannel();
  await ch.assertQueue(q, { durable: true });
  const dch = await drainConn.createChannel();
  await dch.prefetch(WINDOW);
  let drained = 0;
  await dch.consume(q, (m) => {
    if (m !== null && ++drained % 100 === 0) dch.ack(m, true);
  });
  let inFlight = 0;
  let confirmed = 0;
  let stop = false;
  const onConfirmed = (): void => {
    inFlight--;
    confirmed++;
    kick();
  };
  const opts = { persistent: true };
  const kick = (): void => {
    while (!stop && inFlight < WINDOW) {
      inFlight++;
      ch.publish('', q, body1k, opts, onConfirmed);
    }
  };
  kick();
  const rate = await measureRate(() => confirmed);
  stop = true;
  while (inFlight > 0) await sleep(10);
  await ch.deleteQueue(q);
  await drainConn.close();
  await conn.close();
  return rate;
}

// ------------------------------------------------------------------ 2. consume with manual acks

async function fill(url: string, q: string, n: number): Promise<void> {
  const conn = await connect(url);
  await conn.declare(new Queue(q, { durable: false }));
  const producer = conn.producer({ maxInFlight: WINDOW });
  const opts = { routingKey: q, persistent: false };
  let sent = 0;
  let done = 0;
  await new Promise<void>((resolveFill) => {
    const onDone = (): void => {
      done++;
      if (done === n) resolveFill();
      else kick();
    };
    const kick = (): void => {
      while (sent < n && sent - done < WINDOW) {
        sent++;
        producer.publish(body1k, opts).then(onDone, onDone);
      }
    };
    kick();
  });
  await conn.close();
}

async function consumeClient(url: string): Promise<number> {
  const q = `bench-consume-client-${process.pid}`;
  await fill(url, q, MESSAGES);
  const conn = await connect(url);
  let got = 0;
  let t0 = 0;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => { resolveDone = r; });
  await conn.consume(q, () => {
    if (got++ === 0) t0 = performance.now();
    if (got === MESSAGES) resolveDone();
  }, { prefetch: WINDOW });
  await done;
  const rate = ((MESSAGES - 1) * 1000) / (performance.now() - t0);
  await conn.deleteQueue(q);
  await conn.close();
  return rate;
}

async function consumeAmqplib(url: string, multiAck: number): Promise<number> {
  const q = `bench-consume-amqplib-${process.pid}`;
  await fill(url, q, MESSAGES);
  const conn = await amqplib.connect(url);
  const ch = await conn.createChannel();
  await ch.prefetch(WINDOW);
  let got = 0;
  let t0 = 0;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => { resolveDone = r; });
  await ch.consume(q, (m) => {
    if (m === null) return;
    if (got++ === 0) t0 = performance.now();
    if (got % multiAck === 0 || got === MESSAGES) ch.ack(m, multiAck > 1);
    if (got === MESSAGES) resolveDone();
  });
  await done;
  const rate = ((MESSAGES - 1) * 1000) / (performance.now() - t0);
  await ch.deleteQueue(q);
  await conn.close();
  return rate;
}

/** S2 shape through this client: one publisher connection (no confirms), one consumer (manual ack, prefetch 1000). */
async function s2Client(url: string): Promise<number> {
  const pubConn = await connect(url);
  const subConn = await connect(url);
  const q = new Queue(`bench-s2-client-${process.pid}`, { durable: false });
  await pubConn.declare(q);
  let got = 0;
  await subConn.consume(q, () => { got++; }, { prefetch: WINDOW });
  const producer = pubConn.producer({ confirm: false });
  const opts = { routingKey: q.name, persistent: false };
  let stop = false;
  let inFlight = 0;
  const onWritten = (): void => { inFlight--; kick(); };
  const kick = (): void => {
    // publishes resolve once written; keep the backlog bounded like a flow-controlled publisher
    while (!stop && inFlight < WINDOW && got + 20 * WINDOW > sent) {
      inFlight++;
      sent++;
      producer.publish(body1k, opts).then(onWritten, onWritten);
    }
    if (!stop && inFlight === 0) setTimeout(kick, 1);
  };
  let sent = 0;
  kick();
  const rate = await measureRate(() => got);
  stop = true;
  await sleep(100);
  await pubConn.deleteQueue(q);
  await subConn.close();
  await pubConn.close();
  return rate;
}

/** The same S2 shape with amqplib (ack every 100th with multiple, as ampbench's S2). */
async function s2Amqplib(url: string): Promise<number> {
  const pubConn = await amqplib.connect(url);
  const subConn = await amqplib.connect(url);
  const q = `bench-s2-amqplib-${process.pid}`;
  const pch = await pubConn.createChannel();
  await pch.assertQueue(q, { durable: false });
  const sch = await subConn.createChannel();
  await sch.prefetch(WINDOW);
  let got = 0;
  await sch.consume(q, (m) => {
    if (m === null) return;
    if (++got % 100 === 0) sch.ack(m, true);
  });
  let stop = false;
  let sent = 0;
  const pump = (): void => {
    while (!stop && got + 20 * WINDOW > sent) {
      sent++;
      if (!pch.publish('', q, body1k)) {
        pch.once('drain', pump);
        return;
      }
    }
    if (!stop) setTimeout(pump, 1);
  };
  pump();
  const rate = await measureRate(() => got);
  stop = true;
  await sleep(100);
  await pch.deleteQueue(q);
  await subConn.close();
  await pubConn.close();
  return rate;
}

// ------------------------------------------------------------------ S2 consume: ampbench publishes

/**
 * The consume half of S2 on its own: ampbench's S2 publisher (the raw reference's, with no
 * consumer of its own) feeds its queue, and the consumer under test drains it (manual acks,
 * prefetch 1000). The queue's name comes from the management API.
 */
async function s2Consume(bin: string, warren: WarrenAddress, consume: (queue: string, onMessage: () => void) => Promise<() => Promise<void>>): Promise<number> {
  const gen = spawn(bin, ['--url', warren.url, '--broker-pid', String(warren.pid), '--scenario', 'S2-publisher', '--size', '1024',
    '--consumers', '0', '--duration', String(SECONDS + 4), '--warmup', '0'], { stdio: 'ignore' });
  const exited = new Promise((r) => gen.once('exit', r));
  const api = (method: string, path: string): Promise<Response> =>
    fetch(`http://127.0.0.1:${warren.managementPort}${path}`, { method, headers: { authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}` } });
  let queue: string | undefined;
  try {
    // ampbench names its queue ampbench-<its pid>-<random>-q0
    for (let i = 0; i < 500 && queue === undefined; i++) {
      const rows = (await (await api('GET', '/api/queues/%2F?columns=name')).json()) as Array<{ name: string }>;
      queue = rows.find((q) => q.name.startsWith(`ampbench-${gen.pid}-`))?.name;
      if (queue === undefined) await sleep(10);
    }
    if (queue === undefined) throw new Error('ampbench did not declare its queue');
    let got = 0;
    const stop = await consume(queue, () => { got++; });
    // the warm-up also drains the backlog from before the consumer attached
    const rate = await measureRate(() => got);
    // Keep consuming until the publisher stops, so no backlog builds up behind it.
    await exited;
    await stop();
    return rate;
  } finally {
    await exited;
    if (queue !== undefined) await api('DELETE', `/api/queues/%2F/${encodeURIComponent(queue)}`);
  }
}

async function s2ConsumeClient(bin: string, warren: WarrenAddress): Promise<number> {
  return s2Consume(bin, warren, async (queue, onMessage) => {
    const conn = await connect(warren.url);
    await conn.consume(queue, onMessage, { prefetch: WINDOW });
    return () => conn.close();
  });
}

/** amqplib acks every 100th delivery with multiple=true, as ampbench's own S2 consumer. */
async function s2ConsumeAmqplib(bin: string, warren: WarrenAddress): Promise<number> {
  return s2Consume(bin, warren, async (queue, onMessage) => {
    const conn = await amqplib.connect(warren.url);
    const ch = await conn.createChannel();
    await ch.prefetch(WINDOW);
    let n = 0;
    await ch.consume(queue, (m) => {
      if (m === null) return;
      onMessage();
      if (++n % 100 === 0) ch.ack(m, true);
    });
    return () => conn.close();
  });
}

// ------------------------------------------------------------------ raw reference: ampbench

function ampbenchPath(): string | undefined {
  if (process.env.AMPBENCH) return process.env.AMPBENCH;
  const build = join(root, '../shared/bench/build.sh');
  if (!existsSync(build)) return undefined;
  try {
    return execFileSync('bash', [build], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split('\n').pop();
  } catch {
    return undefined;
  }
}

/** Runs one ampbench scenario; returns [sent rate, received rate]. */
function ampbench(bin: string, url: string, pid: number, scenario: 'S2' | 'S3'): [number, number] {
  const common = ['--url', url, '--broker-pid', String(pid), '--scenario', scenario, '--size', '1024', '--prefetch', '1000',
    '--multi-ack', '100', '--duration', String(SECONDS + 1), '--warmup', '1'];
  const extra = scenario === 'S3' ? ['--durable', '--persistent', '--confirm', '1000'] : [];
  const out = execFileSync(bin, [...common, ...extra], { encoding: 'utf8', timeout: (SECONDS + 60) * 1000 });
  const line = out.trim().split('\n').pop()!;
  const r = JSON.parse(line) as { sent_rate: number; recv_rate: number };
  return [r.sent_rate, r.recv_rate];
}

// ------------------------------------------------------------------ 3. memory:// round trip

/** Median of `reps` memory:// round trips after one unmeasured warm-up run (JIT compilation). */
async function memoryRoundTrip(defaults: boolean, reps = 3): Promise<number> {
  await memoryRoundTripOnce(defaults, 'warmup', Math.min(MEMORY_MESSAGES, 100_000));
  const rates: number[] = [];
  for (let i = 0; i < reps; i++) rates.push(await memoryRoundTripOnce(defaults, String(i), MEMORY_MESSAGES));
  rates.sort((a, b) => a - b);
  return rates[Math.floor(rates.length / 2)]!;
}

async function memoryRoundTripOnce(defaults: boolean, rep: string, messages: number): Promise<number> {
  const name = `bench-${defaults ? 'defaults' : 'fast'}-${rep}`;
  const conn = await connect(`memory://${name}`);
  const q = new Queue('roundtrip', { durable: false });
  await conn.declare(q);
  const body = Buffer.alloc(16, 'x');
  let got = 0;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => { resolveDone = r; });
  await conn.consume(q, () => {
    if (++got === messages) resolveDone();
  }, defaults ? { prefetch: WINDOW } : { noAck: true });
  const producer = conn.producer(defaults ? { maxInFlight: WINDOW } : { confirm: false });
  const opts = { routingKey: q.name, persistent: false };
  const t0 = performance.now();
  let sent = 0;
  let inFlight = 0;
  const onDone = (): void => { inFlight--; kick(); };
  const kick = (): void => {
    // without confirms, yield to the event loop every WINDOW publishes so deliveries flow
    while (sent < messages && inFlight < WINDOW) {
      sent++;
      inFlight++;
      producer.publish(body, opts).then(onDone, onDone);
    }
  };
  kick();
  await done;
  const rate = (messages * 1000) / (performance.now() - t0);
  await conn.close();
  await closeMemoryBroker(name);
  return rate;
}

// ------------------------------------------------------------------ main

// ------------------------------------------------------------------ one measurement per process

type Measurement = 'pubClient' | 'pubAmqplib' | 's2c' | 's2a' | 's2consumeClient' | 's2consumeAmqplib' | 'conClient' | 'conAmqplib' | 'memFast' | 'memDefaults';

/** Runs one measurement in this process (the child side of inChild). */
function measure(name: Measurement, w: WarrenAddress, bin: string | undefined): Promise<number> {
  switch (name) {
    case 'pubClient': return publishClient(w.url);
    case 'pubAmqplib': return publishAmqplib(w.url);
    case 's2c': return s2Client(w.url);
    case 's2a': return s2Amqplib(w.url);
    case 's2consumeClient': return s2ConsumeClient(bin!, w);
    case 's2consumeAmqplib': return s2ConsumeAmqplib(bin!, w);
    case 'conClient': return consumeClient(w.url);
    case 'conAmqplib': return consumeAmqplib(w.url, 1);
    case 'memFast': return memoryRoundTrip(false);
    case 'memDefaults': return memoryRoundTrip(true);
  }
}

/**
 * Runs one measurement in a fresh Node process, as an application runs one workload: the JIT
 * state of one client (or of amqplib) does not carry over into the next measurement.
 */
async function inChild(name: Measurement, w: WarrenAddress | undefined, bin: string | undefined): Promise<number> {
  const childArgs = [...process.execArgv, fileURLToPath(import.meta.url), '--child', name, '--seconds', String(SECONDS),
    '--messages', String(MESSAGES), '--memory-messages', String(MEMORY_MESSAGES)];
  if (w !== undefined) childArgs.push('--url', w.url, '--warren-pid', String(w.pid), '--management-port', String(w.managementPort));
  if (bin !== undefined) childArgs.push('--ampbench', bin);
  const { stdout } = await execFileAsync(process.execPath, childArgs, { encoding: 'utf8', timeout: (SECONDS + 120) * 1000 });
  return (JSON.parse(stdout.trim().split('\n').pop()!) as { rate: number }).rate;
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function median(xs: number[]): number {
  const a = [...xs].sort((x, y) => x - y);
  return a[Math.floor(a.length / 2)]!;
}

async function main(): Promise<void> {
  const warren: Warren = await startWarren();
  const rows: string[][] = [];
  const notes: string[] = [];
  const runs: Record<string, number[]> = {};
  const add = (k: string, v: number): void => { (runs[k] ??= []).push(v); };
  try {
    const bin = ampbenchPath();
    const haveRaw = bin !== undefined && existsSync(bin);
    if (!haveRaw) notes.push('ampbench was not available (needs ../shared/bench and Go, or AMPBENCH=path): no raw reference figures.');
    // Each repetition measures the raw reference and the clients close together in time, so a
    // per-repetition ratio is less exposed to a noisy machine than a ratio of separate medians.
    for (let rep = 0; rep < REPS; rep++) {
      if (haveRaw && want('s3')) add('rawS3', ampbench(bin!, warren.url, warren.child.pid ?? 0, 'S3')[0]);
      if (haveRaw && (want('s2') || want('s2consume'))) add('rawS2', ampbench(bin!, warren.url, warren.child.pid ?? 0, 'S2')[1]);
      // scenario → [client measurement, amqplib measurement, raw reference (for the ratio)]
      const pairs: Array<[string, Measurement, Measurement, string | undefined]> = [
        ['s3', 'pubClient', 'pubAmqplib', 'rawS3'],
        ['s2', 's2c', 's2a', 'rawS2'],
        ['s2consume', 's2consumeClient', 's2consumeAmqplib', 'rawS2'],
        ['drain', 'conClient', 'conAmqplib', undefined],
      ];
      for (const [scenario, client, other, raw] of pairs) {
        if (!want(scenario) || (scenario === 's2consume' && !haveRaw)) continue;
        for (const name of [client, other]) {
          add(name, await inChild(name, warren, bin));
          if (haveRaw && raw !== undefined) add(`${name}/raw`, runs[name]!.at(-1)! / runs[raw]!.at(-1)!);
        }
      }
    }
    const m = (k: string): string => (runs[k] === undefined ? '' : fmt(median(runs[k]!)));
    const pct = (k: string): string => (runs[k] === undefined ? '' : `${Math.round(100 * median(runs[k]!))} %`);
    if (want('s3')) rows.push(['S3 shape: publish with confirms, 1 KB persistent, durable queue, window 1000 (confirmed/s)', m('pubClient'), m('pubAmqplib'), m('rawS3'), pct('pubClient/raw'), pct('pubAmqplib/raw')]);
    if (want('s2')) rows.push(['S2 shape: publisher + consumer with manual acks, 1 KB, prefetch 1000 (delivered/s)', m('s2c'), m('s2a'), m('rawS2'), pct('s2c/raw'), pct('s2a/raw')]);
    if (want('s2consume')) rows.push(['S2 consume: ampbench\'s S2 publisher feeds the queue, the consumer under test drains it (manual acks, prefetch 1000; delivered/s)', m('s2consumeClient'), m('s2consumeAmqplib'), m('rawS2'), pct('s2consumeClient/raw'), pct('s2consumeAmqplib/raw')]);
    if (want('drain')) rows.push(['drain a pre-filled queue, manual ack of each message, 1 KB, prefetch 1000', m('conClient'), m('conAmqplib'), '', '', '']);
  } finally {
    warren.child.kill('SIGTERM');
    await new Promise((r) => warren.child.once('exit', r));
    rmSync(warren.dataDir, { recursive: true, force: true });
  }
  if (want('memory')) {
    const memFast = await inChild('memFast', undefined, undefined);
    const memDefaults = await inChild('memDefaults', undefined, undefined);
    rows.push(['memory:// round trip, 16 B, no confirms, no-ack consumer', fmt(memFast), '', '', '', '']);
    rows.push(['memory:// round trip, 16 B, confirms + manual ack (the defaults)', fmt(memDefaults), '', '', '', '']);
  }
  notes.push('', `Every repetition (${REPS}), in order:`, '');
  for (const [k, v] of Object.entries(runs)) notes.push(`- ${k}: ${v.map((x) => (k.includes('/') ? `${Math.round(100 * x)} %` : fmt(x))).join(', ')}`);

  const date = new Date().toISOString().slice(0, 10);
  const lines = [
    `# @warren/client benchmark, ${date}`,
    '',
    `Node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}); Warren as a separate process on 127.0.0.1;`,
    `Medians of ${REPS} repetitions (ratios: median of the per-repetition ratios); ${SECONDS} s measured after 1 s warm-up for publishing, ${MESSAGES} messages for consuming, ${MEMORY_MESSAGES} for memory:// (median of 3 after a warm-up run).`,
    'Produced by `npm run bench:client` (scripts/bench-client.ts). Rates in messages per second.',
    '',
    '| scenario | @warren/client | amqplib | ampbench (raw) | client / raw | amqplib / raw |',
    '|---|---:|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.join(' | ')} |`),
    '',
    ...notes,
  ];
  const text = lines.join('\n');
  const dir = join(root, 'bench/results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `client-${date}.md`), text);
  console.log(text);
}

async function child(name: Measurement): Promise<void> {
  const w: WarrenAddress = { url: args.url ?? '', pid: Number(args['warren-pid'] ?? 0), managementPort: Number(args['management-port'] ?? 0) };
  console.log(JSON.stringify({ rate: await measure(name, w, args.ampbench) }));
}

(args.child !== undefined ? child(args.child as Measurement) : main()).then(() => process.exit(0), (e: unknown) => {
  console.error(e);
  process.exit(1);
});
