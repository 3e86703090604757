// Runs the shared conformance scenarios (RabbitMQ tutorials 1-6 and core behaviours through pika,
// Kombu, amqplib and raw frames; ../shared/conformance) against an in-process Warren, and requires
// every scenario to pass, as RabbitMQ does.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { withBroker } from './helpers/broker.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const runner = path.join(repoRoot, '..', 'shared', 'conformance', 'run.sh');

test('shared conformance suite: every scenario passes', { timeout: 600_000 }, async () => {
  assert.ok(existsSync(runner), `${runner} must exist (shared/ sits beside the repository)`);
  const broker = await withBroker();
  try {
    const child = spawn('bash', [runner, broker.url], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    const summary = /^(\d+) passed, (\d+) failed$/m.exec(out);
    assert.ok(summary, `no summary line in conformance output:\n${out}`);
    const failures = out.split('\n').filter((l) => l.startsWith('FAIL'));
    assert.deepEqual(failures, [], `conformance failures:\n${failures.join('\n')}`);
    assert.equal(Number(summary[2]), 0);
    assert.ok(Number(summary[1]) >= 40, `expected at least 40 scenarios, ran ${summary[1]}`);
    assert.equal(code, 0);
  } finally {
    await broker.close();
  }
});
