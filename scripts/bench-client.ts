// Benchmarks @warren/client against Warren and compares with amqplib doing the same work:
//   1. publish with confirms: 1 KB persistent messages to a durable queue, 1000 unconfirmed at most
//      (the S3 shape), while a no-ack consumer drains the queue;
//   2. consume with manual acks: 1 KB messages, prefetch 1000 (the S2 shape), from a pre-filled queue;
//   3. memory:// round trip: publish and consume in one process through Warren's in-process core.
// Warren runs as its own process (packages/cli, built with `npx tsc -b`) on a free loopback port.
// Usage: npm run bench:client [-- --seconds 5 --messages 100000]
// Writes bench/results/client-<date>.md and prints the same table.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect as netConnect } from 'node:net';
import { tmpdir, cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import amqplib from 'amqplib';
import { connect, Queue, closeMemoryBroker } from '@warren/client';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({
  options: { seconds: { type: 'string', default: '5' }, messages: { type: 'string', default: '100000' }, 'memory-messages': { type: 'string', default: '300000' } },
});
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

async function startWarren(): Promise<{ url: string; child: ChildProcess; dataDir: string }> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'warren-bench-client-'));
  const child = spawn(process.execPath, [join(root, 'packages/cli/bin/warren.js'), 'server', '--port', String(port), '--management-port', '0',
    '--bind', '127.0.0.1', '--data-dir', dataDir, '--log-level', 'warn'], { stdio: ['ignore', 'ignore', 'inherit'] });
  for (let i = 0; i < 200; i++) {
    const up = await new Promise<boolean>((r) => {
      const s = netConnect({ host: '127.0.0.1', port });
      s.once('connect', () => { s.destroy(); r(true); });
      s.once('error', () => r(false));
    });
    if (up) return { url: `amqp://guest:guest@127.0.0.1:${port}/`, child, dataDir };
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill();
  throw new Error('Warren did not start (is it built? run npx tsc -b)');
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ------------------------------------------------------------------ 1. publish with confirms

async function publishClient(url: string): Promise<number> {
  const conn = await connect(url);
  const drain = await connect(url);
  const q = new Queue(`bench-pub-client-${process.pid}`, { durable: true });
  await conn.declare(q);
  await drain.consume(q, () => undefined, { noAck: true });
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
  await sleep(1000); // warm-up
  const c0 = confirmed;
  const t0 = performance.now();
  await sleep(SECONDS * 1000);
  const rate = ((confirmed - c0) * 1000) / (performance.now() - t0);
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
  await dch.consume(q, () => undefined, { noAck: true });
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
  await sleep(1000);
  const c0 = confirmed;
  const t0 = performance.now();
  await sleep(SECONDS * 1000);
  const rate = ((confirmed - c0) * 1000) / (performance.now() - t0);
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

// ------------------------------------------------------------------ 3. memory:// round trip

async function memoryRoundTrip(defaults: boolean): Promise<number> {
  const name = `bench-${defaults ? 'defaults' : 'fast'}`;
  const conn = await connect(`memory://${name}`);
  const q = new Queue('roundtrip', { durable: false });
  await conn.declare(q);
  const body = Buffer.alloc(16, 'x');
  let got = 0;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => { resolveDone = r; });
  await conn.consume(q, () => {
    if (++got === MEMORY_MESSAGES) resolveDone();
  }, defaults ? { prefetch: WINDOW } : { noAck: true });
  const producer = conn.producer(defaults ? { maxInFlight: WINDOW } : { confirm: false });
  const opts = { routingKey: q.name, persistent: false };
  const t0 = performance.now();
  let sent = 0;
  let inFlight = 0;
  const onDone = (): void => { inFlight--; kick(); };
  const kick = (): void => {
    // without confirms, yield to the event loop every WINDOW publishes so deliveries flow
    while (sent < MEMORY_MESSAGES && inFlight < WINDOW) {
      sent++;
      inFlight++;
      producer.publish(body, opts).then(onDone, onDone);
    }
  };
  kick();
  await done;
  const rate = (MEMORY_MESSAGES * 1000) / (performance.now() - t0);
  await conn.close();
  await closeMemoryBroker(name);
  return rate;
}

// ------------------------------------------------------------------ main

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

async function main(): Promise<void> {
  const warren = await startWarren();
  const rows: string[][] = [];
  try {
    const pubClient = await publishClient(warren.url);
    const pubAmqplib = await publishAmqplib(warren.url);
    rows.push(['publish, confirms, 1 KB persistent, durable queue, window 1000 (S3 shape)', fmt(pubClient), fmt(pubAmqplib), `${Math.round((100 * pubClient) / pubAmqplib)} %`]);
    const conClient = await consumeClient(warren.url);
    const conAmqplibEach = await consumeAmqplib(warren.url, 1);
    const conAmqplibMulti = await consumeAmqplib(warren.url, 100);
    rows.push(['consume, manual ack of each message, 1 KB, prefetch 1000', fmt(conClient), fmt(conAmqplibEach), `${Math.round((100 * conClient) / conAmqplibEach)} %`]);
    rows.push(['consume, amqplib acking every 100th with multiple (S2 shape)', '', fmt(conAmqplibMulti), `${Math.round((100 * conClient) / conAmqplibMulti)} %`]);
  } finally {
    warren.child.kill('SIGTERM');
    await new Promise((r) => warren.child.once('exit', r));
    rmSync(warren.dataDir, { recursive: true, force: true });
  }
  const memFast = await memoryRoundTrip(false);
  const memDefaults = await memoryRoundTrip(true);
  rows.push(['memory:// round trip, 16 B, no confirms, no-ack consumer', fmt(memFast), 'n/a', '']);
  rows.push(['memory:// round trip, 16 B, confirms + manual ack (the defaults)', fmt(memDefaults), 'n/a', '']);

  const date = new Date().toISOString().slice(0, 10);
  const lines = [
    `# @warren/client benchmark, ${date}`,
    '',
    `Node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}); Warren as a separate process on 127.0.0.1;`,
    `${SECONDS} s measured after 1 s warm-up for publishing, ${MESSAGES} messages for consuming, ${MEMORY_MESSAGES} for memory://.`,
    'Produced by `npm run bench:client` (scripts/bench-client.ts). Rates in messages per second.',
    '',
    '| scenario | @warren/client | amqplib | client / amqplib |',
    '|---|---:|---:|---:|',
    ...rows.map((r) => `| ${r.join(' | ')} |`),
    '',
  ];
  const text = lines.join('\n');
  const dir = join(root, 'bench/results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `client-${date}.md`), text);
  console.log(text);
}

main().then(() => process.exit(0), (e: unknown) => {
  console.error(e);
  process.exit(1);
});
