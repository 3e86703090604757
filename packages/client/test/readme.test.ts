// The code in packages/client/README.md runs as written (against an in-process Warren, whose URL
// replaces the README's, and memory://), so the README stays exact.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startWarren, type BrokerTarget } from './helpers/brokers.js';

const here = dirname(fileURLToPath(import.meta.url));
const readme = readFileSync(resolve(here, '../README.md'), 'utf8');
const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
const entry = pathToFileURL(resolve(here, '../src/index.ts')).href;
const README_URL = 'amqp://guest:guest@127.0.0.1:5672/';

let broker: BrokerTarget;
let dir: string;
before(async () => {
  broker = await startWarren();
  dir = mkdtempSync(join(tmpdir(), 'warren-readme-'));
});
after(async () => {
  await broker.close();
  rmSync(dir, { recursive: true, force: true });
});

function block(needle: string): string {
  const b = blocks.find((x) => x.includes(needle));
  assert.ok(b !== undefined, `README has a code block containing ${needle}`);
  return b;
}

let counter = 0;
/** Runs README code (with a prelude and a check appended) as a module; returns what it printed. */
async function runModule(code: string): Promise<string[]> {
  const source = code.replaceAll("'@warren/client'", `'${entry}'`).replaceAll(README_URL, broker.url);
  const file = join(dir, `block-${++counter}.mts`);
  writeFileSync(file, source);
  const printed: string[] = [];
  const original = console.log;
  console.log = (...args: unknown[]) => { printed.push(args.map(String).join(' ')); };
  try {
    await import(pathToFileURL(file).href);
  } finally {
    console.log = original;
  }
  return printed;
}

const prelude = `import { connect, Exchange, Queue, serializers } from '@warren/client';\nconst conn = await connect('${README_URL}');\n`;

test('README: the opening example', async () => {
  const code = block("const orders = new Queue('orders')");
  assert.ok(code.includes(`connect('${README_URL}')`));
  await runModule(code);
});

test('README: declaring exchanges, queues and bindings', async () => {
  const printed = await runModule(`${prelude}${block('const logs   = new Exchange')}\nconsole.log(queue, messageCount, consumerCount);\nawait conn.close();\n`);
  assert.deepEqual(printed, ['errors 0 0']);
});

test('README: ensure', async () => {
  const printed = await runModule(`${prelude}await conn.declare(new Queue('orders'));\n${block('conn.ensure(')}\nconsole.log(count);\nawait conn.close();\n`);
  assert.equal(printed.length, 1);
  assert.match(printed[0]!, /^\d+$/);
});

test('README: registering a serializer', async () => {
  const printed = await runModule(`${block("serializers.register('csv'")}
const props = {};
const bytes = serializers.encode([['a', 'b'], ['c', 'd']], 'csv', undefined, props);
console.log(JSON.stringify(props), bytes.toString(), JSON.stringify(serializers.decode(bytes, props)));
`);
  assert.deepEqual(printed, ['{"contentType":"text/csv","contentEncoding":"utf-8"} a,b\nc,d [["a","b"],["c","d"]]']);
});

test('README: SimpleQueue', async () => {
  const printed = await runModule(`${prelude}${block("conn.simpleQueue<{ n: number }>('jobs')")}\nawait conn.close();\n`);
  assert.deepEqual(printed, ['1', '0 0']);
});

test('README: RPC', async () => {
  const printed = await runModule(`${prelude}function fib(n: number): number { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
${block('conn.rpc.serve<{ n: number }, number>')}
console.log(answer);
await conn.close();
`);
  assert.deepEqual(printed, ['832040']);
});

test('README: memory://', async () => {
  const printed = await runModule(block("connect('memory://')"));
  assert.deepEqual(printed, ['144']);
});
