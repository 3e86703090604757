// Runs the RabbitMQ tutorials 1-6 in examples/ (each as its own process, as a user would) against an
// in-process Warren.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startWarren, type BrokerTarget } from './helpers/brokers.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
let broker: BrokerTarget;
const children = new Set<ChildProcess>();

before(async () => { broker = await startWarren(); });
after(async () => {
  for (const c of children) c.kill('SIGKILL');
  await broker.close();
});

interface Running {
  child: ChildProcess;
  output(): string;
  /** Resolves once the output contains `text`; rejects if the process exits first or 20 s pass. */
  waitFor(text: string): Promise<void>;
  exited: Promise<number | null>;
}

function run(example: string, args: string[] = [], env: Record<string, string> = {}): Running {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'examples', example), ...args], {
    cwd: root,
    env: { ...process.env, WARREN_URL: broker.url, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let out = '';
  const listeners = new Set<() => void>();
  const onData = (c: Buffer): void => {
    out += c.toString();
    for (const l of listeners) l();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => { children.delete(child); r(code); for (const l of listeners) l(); }));
  return {
    child,
    output: () => out,
    exited,
    waitFor: (text) => new Promise<void>((resolveWait, reject) => {
      const timer = setTimeout(() => { listeners.delete(check); reject(new Error(`${example}: no "${text}" within 20 s; output:\n${out}`)); }, 20_000);
      const check = (): void => {
        if (out.includes(text)) {
          clearTimeout(timer);
          listeners.delete(check);
          resolveWait();
        } else if (child.exitCode !== null) {
          clearTimeout(timer);
          listeners.delete(check);
          reject(new Error(`${example} exited (${child.exitCode}) before printing "${text}"; output:\n${out}`));
        }
      };
      listeners.add(check);
      check();
    }),
  };
}

async function finish(r: Running): Promise<string> {
  const code = await r.exited;
  assert.equal(code, 0, `exit code; output:\n${r.output()}`);
  return r.output();
}

async function stop(r: Running): Promise<void> {
  r.child.kill('SIGTERM');
  assert.equal(await r.exited, 0, `graceful stop; output:\n${r.output()}`);
}

describe('RabbitMQ tutorials 1-6 with @warren/client against Warren', { concurrency: 6 }, () => {
  test('tutorial 1: hello world', async () => {
    const receiver = run('receive.ts');
    await receiver.waitFor('[*] Waiting for messages');
    assert.match(await finish(run('send.ts')), /\[x\] Sent 'Hello World!'/);
    await receiver.waitFor('[x] Received Hello World!');
    await stop(receiver);
  });
  test('tutorial 2: work queues', async () => {
    const worker = run('worker.ts', [], { WORKER_SECONDS_PER_DOT: '0.01' });
    await worker.waitFor('[*] Waiting for messages');
    await finish(run('new-task.ts', ['First', 'task...']));
    await worker.waitFor('[x] Received First task...');
    await worker.waitFor('[x] Done');
    await stop(worker);
  });
  test('tutorial 3: publish/subscribe', async () => {
    const sub = run('receive-logs.ts');
    await sub.waitFor('[*] Waiting for logs');
    await finish(run('emit-log.ts', ['info: it works']));
    await sub.waitFor('[x] info: it works');
    await stop(sub);
  });
  test('tutorial 4: routing', async () => {
    const sub = run('receive-logs-direct.ts', ['error', 'warning']);
    await sub.waitFor('[*] Waiting for logs');
    await finish(run('emit-log-direct.ts', ['info', 'not for this subscriber']));
    await finish(run('emit-log-direct.ts', ['error', 'Run. Run. Or it will explode.']));
    await sub.waitFor('[x] error:Run. Run. Or it will explode.');
    assert.doesNotMatch(sub.output(), /not for this subscriber/);
    await stop(sub);
  });
  test('tutorial 5: topics', async () => {
    const sub = run('receive-logs-topic.ts', ['kern.*', '*.critical']);
    await sub.waitFor('[*] Waiting for logs');
    await finish(run('emit-log-topic.ts', ['user.info', 'not routed here']));
    await finish(run('emit-log-topic.ts', ['kern.critical', 'A critical kernel error']));
    await sub.waitFor('[x] kern.critical:A critical kernel error');
    assert.doesNotMatch(sub.output(), /not routed here/);
    await stop(sub);
  });
  test('tutorial 6: RPC', async () => {
    const server = run('rpc-server.ts');
    await server.waitFor('[x] Awaiting RPC requests');
    const out = await finish(run('rpc-client.ts', ['10']));
    assert.match(out, /\[x\] Requesting fib\(10\)/);
    assert.match(out, /\[\.\] Got 55/);
    await server.waitFor('[.] fib(10)');
    await stop(server);
  });
});
