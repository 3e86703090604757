// pika and kombu (Debian's /usr/bin/python3) against the features: TTL + dead-lettering,
// priorities, delayed messages and policies.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { jsonLines, runPython } from '../helpers/python.js';
import { uniqueName } from '../helpers/amqp.js';
import { startFeatureBroker, type FeatureBroker } from './helpers.js';

let fb: FeatureBroker;
before(async () => { fb = await startFeatureBroker(); });
after(async () => { await fb.close(); });

/** Runs test/features/python/<script>; requires a clean exit; returns the output lines by step. */
async function scenario(script: string, args: string[] = []): Promise<Map<string, Record<string, unknown>>> {
  const r = await runPython(`../features/python/${script}`, fb.url, args);
  assert.equal(r.code, 0, `${script} ${args.join(' ')} exited with ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  const steps = new Map(jsonLines(r.stdout).map((l) => [String(l.step), l]));
  assert.ok(steps.has('done'), `${script} did not finish:\n${r.stdout}\n${r.stderr}`);
  return steps;
}

describe('pika', () => {
  test('TTL + dead-letter exchange: x-death as RabbitMQ writes it', async () => {
    const s = await scenario('pika_features.py', ['ttl_dlx']);
    assert.deepEqual(s.get('dead'), { step: 'dead', body: 'expiring', reason: 'expired', queue_matches: true, count: 1, routing_keys: true, first_reason: 'expired' });
  });

  test('x-max-priority ordering', async () => {
    const s = await scenario('pika_features.py', ['priority']);
    assert.deepEqual(s.get('order')!.order, ['high', 'mid', 'low', 'none']);
  });

  test('x-delayed-message: delay order, and 406 without x-delayed-type', async () => {
    const s = await scenario('pika_features.py', ['delayed']);
    assert.deepEqual(s.get('order')!.order, ['now', 'sooner', 'later']);
    assert.equal(s.get('bad')!.code, 406);
    assert.match(String(s.get('bad')!.text), /PRECONDITION_FAILED - Invalid argument, 'x-delayed-type' must be an existing exchange type/);
  });

  test('a policy set on the broker limits the queue pika declares', async (t) => {
    const q = uniqueName('py-pol');
    fb.broker.setPolicy('policy', { vhost: '/', name: `p-${q}`, pattern: `^${q}$`, applyTo: 'queues', priority: 0, definition: { 'max-length': 2 } });
    t.after(() => fb.broker.clearPolicy('policy', '/', `p-${q}`));
    const s = await scenario('pika_features.py', ['policy', q]);
    assert.equal(s.get('count')!.message_count, 2);
    assert.equal(s.get('head')!.body, 'm3');
  });
});

describe('kombu', () => {
  test('message_ttl + x-dead-letter-exchange and max_priority through kombu Queue options', async () => {
    const s = await scenario('kombu_features.py');
    assert.deepEqual(s.get('dead'), { step: 'dead', payload: { job: 1 }, reason: 'expired', queue_matches: true });
    assert.deepEqual(s.get('order')!.order, ['high', 'mid', 'low']);
  });
});
