// GET /api/queues with many queues (issue 5: 10 000 queues answer in ≤ 1 s), plus the cost of
// one stats sample over them. Runs Warren in-process with the management API on a free port.
//   node --import tsx scripts/bench-management.ts [QUEUES=10000] [REPS=5]
// Writes bench/results/management-queues-STAMP.{json,md}.
import { mkdirSync, writeFileSync } from 'node:fs';
import { pino } from 'pino';
import { startBroker } from '@warren/broker';
import { startManagement, StatsCollector } from '@warren/management';

const QUEUES = Number(process.argv[2] ?? 10_000);
const REPS = Number(process.argv[3] ?? 5);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const broker = await startBroker({ port: 0, host: '127.0.0.1', logger: pino({ level: 'silent' }) });
const vh = broker.vhost('/')!;
for (let i = 0; i < QUEUES; i++) {
  vh.declareQueue({ name: `bench-q-${i}`, passive: false, durable: false, exclusive: false, autoDelete: false, args: {} }, 0);
}
const mgmt = await startManagement({ broker, port: 0, host: '127.0.0.1' });
const auth = 'Basic ' + Buffer.from('guest:guest').toString('base64');

async function timeGet(path: string): Promise<{ ms: number; bytes: number; count: number }> {
  const t0 = performance.now();
  const res = await fetch(`http://127.0.0.1:${mgmt.port}${path}`, { headers: { authorization: auth } });
  const text = await res.text();
  const ms = performance.now() - t0;
  if (res.status !== 200) throw new Error(`${path}: HTTP ${res.status}: ${text.slice(0, 200)}`);
  const body = JSON.parse(text) as unknown[] | { items?: unknown[] };
  return { ms, bytes: text.length, count: Array.isArray(body) ? body.length : (body.items?.length ?? 1) };
}

const results: Record<string, { medianMs: number; maxMs: number; bytes: number; items: number }> = {};
for (const path of ['/api/queues', '/api/queues/%2F', '/api/queues?page=1&page_size=100&sort=messages&sort_reverse=true', '/api/overview']) {
  await timeGet(path); // warm-up
  const runs = [];
  for (let i = 0; i < REPS; i++) runs.push(await timeGet(path));
  results[path] = { medianMs: Math.round(median(runs.map((r) => r.ms))), maxMs: Math.round(Math.max(...runs.map((r) => r.ms))), bytes: runs[0]!.bytes, items: runs[0]!.count };
}

const collector = new StatsCollector(broker, 5000);
collector.sample();
const sampleRuns: number[] = [];
for (let i = 0; i < REPS; i++) {
  const t0 = performance.now();
  collector.sample();
  sampleRuns.push(performance.now() - t0);
}

await mgmt.close();
await broker.close();

const summary = {
  date: new Date().toISOString(), node: process.version, queues: QUEUES, reps: REPS,
  requests: results, statsSampleMedianMs: Math.round(median(sampleRuns) * 10) / 10,
  limitMs: 1000, pass: (results['/api/queues']?.medianMs ?? Infinity) <= 1000,
};
const stamp = summary.date.replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
mkdirSync('bench/results', { recursive: true });
writeFileSync(`bench/results/management-queues-${stamp}.json`, JSON.stringify(summary, null, 2) + '\n');
const md = [
  `# Management API with ${QUEUES} queues (${summary.date}, Node ${process.version})`,
  '',
  '| request | median ms | max ms | items | bytes |',
  '|---|---|---|---|---|',
  ...Object.entries(results).map(([p, r]) => `| \`GET ${p}\` | ${r.medianMs} | ${r.maxMs} | ${r.items} | ${r.bytes} |`),
  '',
  `One stats sample over all queues: ${summary.statsSampleMedianMs} ms (median of ${REPS}).`,
  `Limit: GET /api/queues ≤ 1000 ms → ${summary.pass ? 'PASS' : 'FAIL'}.`,
  '',
].join('\n');
writeFileSync(`bench/results/management-queues-${stamp}.md`, md);
process.stdout.write(md);
