// npm run bench:features — the cost of queue features, measured with the shared load generator
// (ampbench, ../shared/bench) against an in-process Warren:
//  1. S2-like throughput (1 KB, manual ack every 100, prefetch 1000) on a plain queue vs a queue
//     with message TTL + dead-letter exchange + max-length (set by a policy matching ampbench's
//     queues); plain and featured runs interleaved, medians compared (target: ≥ 80 %).
//  2. 100 000 messages held by an x-delayed-message exchange: the extra RSS of a broker in its
//     own process (target: ≤ 50 MB).
// Results: bench/results/features-STAMP.json and .md. Knobs: DURATION (s, default 10), REPS (3),
// DELAYED (100000), DELAYED_SIZE (body bytes, 128), SKIP_THROUGHPUT=1.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import amqp from 'amqplib';
import { pino } from 'pino';
import { startBroker } from '../packages/broker/src/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DURATION = Number(process.env.DURATION ?? 10);
const REPS = Number(process.env.REPS ?? 3);
const DELAYED = Number(process.env.DELAYED ?? 100_000);
const DELAYED_SIZE = Number(process.env.DELAYED_SIZE ?? 128);
const log = (s: string): void => { process.stderr.write(`bench:features: ${s}\n`); };

// Child mode: the broker whose memory part 2 measures; SIGUSR2 = collect garbage, then say "gc".
if (process.argv[2] === '--broker-child') {
  const b = await startBroker({ port: 0, host: '127.0.0.1', logger: pino({ level: 'silent' }) });
  process.on('SIGUSR2', () => {
    (globalThis as { gc?: () => void }).gc?.();
    const m = process.memoryUsage();
    process.stderr.write(`mem rss=${m.rss >> 20} heapUsed=${m.heapUsed >> 20} heapTotal=${m.heapTotal >> 20} external=${m.external >> 20} ab=${m.arrayBuffers >> 20}\n`);
    process.stdout.write('gc\n');
  });
  process.stdout.write(JSON.stringify({ port: b.port }) + '\n');
  await new Promise(() => { /* until killed */ });
}

const ampbench = execFileSync('bash', [path.join(root, '..', 'shared', 'bench', 'build.sh')], { encoding: 'utf8' }).trim().split('\n').pop()!;

interface Run { scenario: string; recv_rate: number; [k: string]: unknown }

function runAmpbench(port: number, scenario: string): Promise<Run> {
  const args = ['--url', `amqp://guest:guest@127.0.0.1:${port}/`, '--scenario', scenario, '--size', '1024', '--prefetch', '1000',
    '--multi-ack', '100', '--duration', String(DURATION), '--warmup', '2', '--broker-pid', String(process.pid)];
  return new Promise((resolve, reject) => {
    const child = spawn(ampbench, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), (DURATION + 60) * 1000);
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.on('exit', () => {
      clearTimeout(timer);
      const line = out.split('\n').filter((l) => l.startsWith('{')).pop();
      if (line === undefined) return reject(new Error(`ampbench printed no result: ${out}`));
      const r = JSON.parse(line) as Run;
      if (typeof r.error === 'string') return reject(new Error(`ampbench: ${r.error}`));
      resolve(r);
    });
  });
}

const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]!; };

async function throughput(): Promise<{ plain: number[]; featured: number[]; ratio: number; runs: Run[] }> {
  const broker = await startBroker({ port: 0, host: '127.0.0.1', logger: pino({ level: 'silent' }) });
  const vh = broker.vhost('/')!;
  vh.declareExchange({ name: 'bench-dlx', type: 'fanout', passive: false, durable: false, autoDelete: false, internal: false, args: {} });
  vh.declareQueue({ name: 'bench-dead', passive: false, durable: false, exclusive: false, autoDelete: false, args: {} }, 0);
  vh.bind(vh.exchange('bench-dlx'), vh.queue('bench-dead', 0), '', {});
  const plain: number[] = [];
  const featured: number[] = [];
  const runs: Run[] = [];
  try {
    for (let i = 0; i < REPS; i++) {
      for (const withFeatures of [false, true]) {
        if (withFeatures) {
          broker.setPolicy('policy', {
            vhost: '/', name: 'bench-features', pattern: '^ampbench', applyTo: 'queues', priority: 0,
            definition: { 'message-ttl': 600_000, 'dead-letter-exchange': 'bench-dlx', 'max-length': 1_000_000 },
          });
        } else {
          broker.clearPolicy('policy', '/', 'bench-features');
        }
        const r = await runAmpbench(broker.port, withFeatures ? 'S2-ttl-dlx-maxlen' : 'S2-plain');
        runs.push(r);
        (withFeatures ? featured : plain).push(r.recv_rate);
        log(`${r.scenario}: ${Math.round(r.recv_rate)} msg/s`);
      }
    }
  } finally {
    await broker.close();
  }
  return { plain, featured, ratio: median(featured) / median(plain), runs };
}

function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

async function delayedMemory(): Promise<{ messages: number; bodyBytes: number; baselineRss: number; heldRss: number; extraMb: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--expose-gc', fileURLToPath(import.meta.url), '--broker-child'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let childOut = '';
  child.stdout!.on('data', (d: Buffer) => { childOut += d.toString(); });
  /** Full GC in the broker, then its RSS. */
  const settledRss = async (): Promise<number> => {
    const before = childOut.split('gc\n').length;
    child.kill('SIGUSR2');
    for (let i = 0; i < 200 && childOut.split('gc\n').length === before; i++) await new Promise((r) => setTimeout(r, 25));
    await new Promise((r) => setTimeout(r, 500));
    return rssOf(child.pid!);
  };
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('broker did not start')), 30_000);
      const poll = setInterval(() => {
        const line = childOut.split('\n').find((l) => l.startsWith('{'));
        if (line !== undefined) { clearTimeout(timer); clearInterval(poll); resolve((JSON.parse(line) as { port: number }).port); }
      }, 20);
    });
    const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${port}/`);
    const ch = await conn.createChannel();
    await ch.assertExchange('bench-delayed', 'x-delayed-message', { durable: false, arguments: { 'x-delayed-type': 'direct' } });
    await ch.assertQueue('bench-delayed-q', { durable: false });
    await ch.bindQueue('bench-delayed-q', 'bench-delayed', 'k');
    // The same traffic once without delay (routed at once, then purged), so the baseline already
    // includes what publishing 100 000 messages costs (V8's grown young generation, buffers);
    // the difference is what holding them costs.
    const body = Buffer.alloc(DELAYED_SIZE, 0x61);
    for (let i = 0; i < DELAYED; i++) {
      if (!ch.publish('bench-delayed', 'k', body, { headers: { 'x-delay': 0 } })) await new Promise((r) => ch.once('drain', r));
    }
    await ch.purgeQueue('bench-delayed-q');
    const baselineRss = await settledRss();
    for (let i = 0; i < DELAYED; i++) {
      if (!ch.publish('bench-delayed', 'k', body, { headers: { 'x-delay': 3_600_000 + i } })) await new Promise((r) => ch.once('drain', r));
    }
    await ch.checkQueue('bench-delayed-q'); // every publish before it has been handled
    const heldRss = await settledRss();
    await conn.close();
    return { messages: DELAYED, bodyBytes: DELAYED_SIZE, baselineRss, heldRss, extraMb: (heldRss - baselineRss) / 1048576 };
  } finally {
    child.kill('SIGKILL');
  }
}

const tp = process.env.SKIP_THROUGHPUT === '1' ? { plain: [0], featured: [0], ratio: 0, runs: [] } : await throughput();
const mem = await delayedMemory();
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const outDir = path.join(root, 'bench', 'results');
mkdirSync(outDir, { recursive: true });
const result = { stamp, durationS: DURATION, reps: REPS, throughput: tp, delayed: mem };
writeFileSync(path.join(outDir, `features-${stamp}.json`), JSON.stringify(result, null, 2) + '\n');
const md = [
  `# Feature benchmarks (${stamp})`,
  '',
  `S2-like (1 KB, manual ack every 100, prefetch 1000), ${REPS} interleaved runs of ${DURATION} s each, ampbench against an in-process Warren:`,
  '',
  '| queue | runs (msg/s) | median |',
  '|---|---|---|',
  `| plain | ${tp.plain.map(Math.round).join(', ')} | ${Math.round(median(tp.plain))} |`,
  `| message-ttl + dead-letter-exchange + max-length (policy) | ${tp.featured.map(Math.round).join(', ')} | ${Math.round(median(tp.featured))} |`,
  '',
  `Ratio featured/plain: **${(tp.ratio * 100).toFixed(1)} %** (target ≥ 80 %: ${tp.ratio >= 0.8 ? 'met' : 'NOT met'}).`,
  '',
  `${mem.messages} delayed messages (${mem.bodyBytes} B bodies, x-delay ≥ 1 h) held by an x-delayed-message exchange: broker RSS ${(mem.baselineRss / 1048576).toFixed(1)} MB → ${(mem.heldRss / 1048576).toFixed(1)} MB, extra **${mem.extraMb.toFixed(1)} MB** (target ≤ 50 MB: ${mem.extraMb <= 50 ? 'met' : 'NOT met'}).`,
  '',
].join('\n');
writeFileSync(path.join(outDir, `features-${stamp}.md`), md);
process.stdout.write(md);
