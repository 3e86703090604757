// Interoperability with the Python clients people actually use: pika and kombu (py-amqp), run as
// Debian's /usr/bin/python3 against the broker. Each scenario prints JSON lines that we check here.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { withBroker, type TestBroker } from './helpers/broker.js';
import { jsonLines, runPython, type PythonResult } from './helpers/python.js';

let broker: TestBroker;
before(async () => {
  broker = await withBroker();
});
after(async () => {
  await broker.close();
});

/** Runs a scenario, requires a clean exit, and returns its output lines keyed by `step`. */
async function scenario(script: string): Promise<Map<string, Record<string, unknown>>> {
  const r: PythonResult = await runPython(script, broker.url);
  assert.equal(r.code, 0, `${script} exited with ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  const steps = new Map(jsonLines(r.stdout).map((l) => [String(l.step), l]));
  assert.ok(steps.has('done'), `${script} did not finish:\n${r.stdout}\n${r.stderr}`);
  return steps;
}

describe('pika', () => {
  test('publish, consume with manual acks, queue empty afterwards', async () => {
    const s = await scenario('pika_basic.py');
    const consumed = s.get('consumed')!;
    assert.deepEqual(consumed.messages, [0, 1, 2].map((n) => ({
      body: `msg-${n}`,
      content_type: 'text/plain',
      n,
      redelivered: false,
    })));
    assert.deepEqual(s.get('after'), { step: 'after', message_count: 0, consumer_count: 0 });
  });

  test('publisher confirms, UnroutableError for mandatory, 404 for a missing exchange', async () => {
    const s = await scenario('pika_confirms.py');
    assert.equal(s.get('routable')!.confirmed, 20);
    assert.deepEqual(s.get('unroutable'), {
      step: 'unroutable',
      raised: true,
      reply_code: 312,
      reply_text: 'NO_ROUTE',
      body: 'bounce',
    });
    assert.equal(s.get('count')!.message_count, 20);
    const missing = s.get('missing-exchange')!;
    assert.equal(missing.raised, true);
    assert.equal(missing.reply_code, 404);
    assert.match(String(missing.reply_text), /^NOT_FOUND - no exchange '/);
  });

  test('basic_get with message counts, nack-requeue redelivery and get-empty', async () => {
    const s = await scenario('pika_get.py');
    assert.deepEqual(s.get('first'), { step: 'first', body: 'a', message_count: 1, redelivered: false });
    assert.deepEqual(s.get('again'), { step: 'again', body: 'a', message_count: 1, redelivered: true });
    assert.deepEqual(s.get('second'), { step: 'second', body: 'b', message_count: 0 });
    assert.deepEqual(s.get('empty'), { step: 'empty', is_none: true });
  });
});

describe('kombu', () => {
  test('Producer/Consumer JSON round trip', async () => {
    const s = await scenario('kombu_roundtrip.py');
    assert.deepEqual(s.get('received')!.messages, [
      {
        body: { id: 7, name: 'compile', tags: ['a', 'b'], nested: { ok: true, ratio: 0.5 } },
        content_type: 'application/json',
        origin: 'kombu',
      },
    ]);
  });

  test('SimpleQueue put/get/ack and Empty', async () => {
    const s = await scenario('kombu_simplequeue.py');
    assert.deepEqual(s.get('got')!.payloads, [{ hello: 'world' }, { n: 2 }]);
    assert.equal(s.get('empty')!.raised, true);
  });

  test('topic exchange routing (tutorial bindings)', async () => {
    const s = await scenario('kombu_topic.py');
    const routed = s.get('routed')!;
    assert.deepEqual(routed.q1, ['quick.orange.rabbit', 'lazy.orange.elephant', 'quick.orange.fox']);
    assert.deepEqual(routed.q2, ['quick.orange.rabbit', 'lazy.orange.elephant', 'lazy.brown.fox', 'lazy.pink.rabbit']);
  });
});
