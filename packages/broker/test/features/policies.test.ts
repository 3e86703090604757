// Policies and operator policies: matching, precedence against x-arguments, live application to
// existing queues and exchanges, validation, and definitions import/export/persistence.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PolicyError, startBroker, type PolicyInput } from '../../src/index.js';
import { consume, uniqueName } from '../helpers/amqp.js';
import { client, startFeatureBroker, tempDataDir, type FeatureBroker } from './helpers.js';
import { pino } from 'pino';

let fb: FeatureBroker;
before(async () => { fb = await startFeatureBroker(); });
after(async () => { await fb.close(); });

function policy(name: string, pattern: string, definition: Record<string, unknown>, extra: Partial<PolicyInput> = {}): PolicyInput {
  return { vhost: '/', name, pattern, applyTo: 'queues', priority: 0, definition, ...extra };
}

/** Publishes n small messages to a queue through the default exchange and waits for them to land. */
async function fill(ch: import('amqplib').Channel, q: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) ch.sendToQueue(q, Buffer.from(`m${i}`));
  await ch.checkQueue(q); // a round trip: every publish before it has been routed
}

describe('policies', () => {
  test('a max-length policy trims an existing queue at once and limits it afterwards', async (t) => {
    const c = await client(fb.url);
    t.after(() => c.close());
    const q = uniqueName('pol-maxlen');
    await c.ch.assertQueue(q, { durable: false });
    await fill(c.ch, q, 5);
    fb.broker.setPolicy('policy', policy(`p-${q}`, `^${q}$`, { 'max-length': 2 }));
    t.after(() => fb.broker.clearPolicy('policy', '/', `p-${q}`));
    assert.equal((await c.ch.checkQueue(q)).messageCount, 2);
    await fill(c.ch, q, 3);
    assert.equal((await c.ch.checkQueue(q)).messageCount, 2);
    const first = await c.ch.get(q, { noAck: true });
    assert.ok(first !== false);
    assert.equal(first.content.toString(), 'm1', 'drop-head keeps the newest messages');
  });

  test('a new queue matching the pattern gets the policy; others do not', async (t) => {
    const c = await client(fb.url);
    t.after(() => c.close());
    const prefix = uniqueName('pol-new');
    fb.broker.setPolicy('policy', policy(`p-${prefix}`, `^${prefix}\\.limited`, { 'max-length': 1 }));
    t.after(() => fb.broker.clearPolicy('policy', '/', `p-${prefix}`));
    await c.ch.assertQueue(`${prefix}.limited`, { durable: false });
    await c.ch.assertQueue(`${prefix}.free`, { durable: false });
    await fill(c.ch, `${prefix}.limited`, 3);
    await fill(c.ch, `${prefix}.free`, 3);
    assert.equal((await c.ch.checkQueue(`${prefix}.limited`)).messageCount, 1);
    assert.equal((await c.ch.checkQueue(`${prefix}.free`)).messageCount, 3);
    assert.deepEqual(fb.broker.effectivePolicy('/', `${prefix}.limited`, 'queue'), { policy: `p-${prefix}`, definition: { 'max-length': 1 } });
    assert.deepEqual(fb.broker.effectivePolicy('/', `${prefix}.free`, 'queue'), { definition: {} });
  });

  test('message-ttl and dead-letter-exchange from a policy: expired messages are dead-lettered', async (t) => {
    const c = await client(fb.url);
    t.after(() => c.close());
    const q = uniqueName('pol-ttl');
    const dlx = uniqueName('pol-dlx');
    const dlq = uniqueName('pol-dlq');
    await c.ch.assertExchange(dlx, 'fanout', { durable: false });
    await c.ch.assertQueue(dlq, { durable: false });
    await c.ch.bindQueue(dlq, dlx, '');
    fb.broker.setPolicy('policy', policy(`p-${q}`, `^${q}$`, { 'message-ttl': 1, 'dead-letter-exchange': dlx }));
    t.after(() => fb.broker.clearPolicy('policy', '/', `p-${q}`));
    await c.ch.assertQueue(q, { durable: false });
    c.ch.sendToQueue(q, Buffer.from('soon dead'));
    const inbox = await consume(c.ch, dlq, { noAck: true });
    const m = await inbox.next();
    assert.equal(m.content.toString(), 'soon dead');
    const death = (m.properties.headers!['x-death'] as Array<Record<string, unknown>>)[0]!;
    assert.equal(death.reason, 'expired');
    assert.equal(death.queue, q);
  });

  test('x-argument vs policy: the lower numeric limit wins, the argument wins for the dead-letter exchange', async (t) => {
    const c = await client(fb.url);
    t.after(() => c.close());
    const prefix = uniqueName('pol-prec');
    fb.broker.setPolicy('policy', policy(`p-${prefix}`, `^${prefix}`, { 'max-length': 3, 'dead-letter-exchange': 'from-policy' }));
    t.after(() => fb.broker.clearPolicy('policy', '/', `p-${prefix}`));
    const argLower = `${prefix}.a`;
    const argHigher = `${prefix}.b`;
    const dlxArg = uniqueName('pol-prec-dlx');
    const dlq = uniqueName('pol-prec-dlq');
    await c.ch.assertExchange(dlxArg, 'fanout', { durable: false });
    await c.ch.assertQueue(dlq, { durable: false });
    await c.ch.bindQueue(dlq, dlxArg, '');
    await c.ch.assertQueue(argLower, { durable: false, arguments: { 'x-max-length': 1, 'x-dead-letter-exchange': dlxArg } });
    await c.ch.assertQueue(argHigher, { durable: false, arguments: { 'x-max-length': 10 } });
    await fill(c.ch, argLower, 4);
    await fill(c.ch, argHigher, 6);
    assert.equal((await c.ch.checkQueue(argLower)).messageCount, 1);
    assert.equal((await c.ch.checkQueue(argHigher)).messageCount, 3);
    // the three dropped heads of argLower went to the argument's DLX, not the policy's
    assert.equal((await c.ch.checkQueue(dlq)).messageCount, 3);
  });

  test('the highest-priority matching policy is the only one applied', async (t) => {
    const c = await client(fb.url);
    t.after(() => c.close());
    const q = uniqueName('pol-prio');
    fb.broker.setPolicy('policy', policy(`low-${q}`, `^${q}$`, { 'max-length': 1 }, { priority: 1 }));
    fb.broker.setPolicy('policy', policy(`high-${q}`, q.slice(0, 12), { 'max-length-bytes': 1000 }, { priority: 5 }));
    t.after(() => { fb.broker.clearPolicy('policy', '/', `low-${q}`); fb.broker.clearPolicy('policy', '/', `high-${q}`); });
    await c.ch.assertQueue(q, { durable: false });
    await fill(c.ch, q, 4);
    assert.equal((await c.ch.checkQueue(q)).messageCount, 4, 'max-length of the lower-priority policy does not apply');
    assert.equal(fb.broker.effectivePolicy('/', q, 'queue').policy, `high-${q}`);
    fb.broker.clearPolicy('policy', '/', `high-${q}`);
    assert.equal((await c.ch.checkQueue(q)).messageCount, 1, 'once the higher one is cleared, the other applies at once');
  });

  test('apply-to exchanges does not touch queues, apply-to queues does not touch exchanges', async () => {
    const name = uniqueName('pol-applyto');
    fb.broker.setPolicy('policy', policy(`ex-${name}`, `^${name}$`, { 'alternate-exchange': 'ae' }, { applyTo: 'exchanges' }));
    fb.broker.setPolicy('policy', policy(`q-${name}`, `^${name}$`, { 'max-length': 5 }, { applyTo: 'queues' }));
    try {
      assert.equal(fb.broker.effectivePolicy('/', name, 'exchange').policy, `ex-${name}`);
      assert.equal(fb.broker.effectivePolicy('/', name, 'queue').policy, `q-${name}`);
    } finally {
      fb.broker.clearPolicy('policy', '/', `ex-${name}`);
      fb.broker.clearPolicy('policy', '/', `q-${name}`);
    }
  });

  test('alternate-exchange from a policy applies to an existing exchange and stops when cleared', async (t) => {
    const c = await client(fb.url);
    t.after(() => c.close());
    const ex = uniqueName('pol-ae-src');
    const ae = uniqueName('pol-ae');
    const aq = uniqueName('pol-ae-q');
    await c.ch.assertExchange(ex, 'direct', { durable: false });
    await c.ch.assertExchange(ae, 'fanout', { durable: false });
    await c.ch.assertQueue(aq, { durable: false });
    await c.ch.bindQueue(aq, ae, '');
    c.ch.publish(ex, 'nowhere', Buffer.from('lost'));
    assert.equal((await c.ch.checkQueue(aq)).messageCount, 0);
    fb.broker.setPolicy('policy', policy(`p-${ex}`, `^${ex}$`, { 'alternate-exchange': ae }, { applyTo: 'exchanges' }));
    c.ch.publish(ex, 'nowhere', Buffer.from('kept'));
    assert.equal((await c.ch.checkQueue(aq)).messageCount, 1);
    assert.equal(fb.broker.clearPolicy('policy', '/', `p-${ex}`), true);
    c.ch.publish(ex, 'nowhere', Buffer.from('lost again'));
    assert.equal((await c.ch.checkQueue(aq)).messageCount, 1);
  });

  test('an alternate-exchange argument wins over the policy', async (t) => {
    const c = await client(fb.url);
    t.after(() => c.close());
    const ex = uniqueName('pol-aearg');
    const [aeArg, aePol] = [uniqueName('ae-arg'), uniqueName('ae-pol')];
    const [qArg, qPol] = [uniqueName('ae-arg-q'), uniqueName('ae-pol-q')];
    for (const [e, q] of [[aeArg, qArg], [aePol, qPol]] as const) {
      await c.ch.assertExchange(e, 'fanout', { durable: false });
      await c.ch.assertQueue(q, { durable: false });
      await c.ch.bindQueue(q, e, '');
    }
    fb.broker.setPolicy('policy', policy(`p-${ex}`, `^${ex}$`, { 'alternate-exchange': aePol }, { applyTo: 'all' }));
    t.after(() => fb.broker.clearPolicy('policy', '/', `p-${ex}`));
    await c.ch.assertExchange(ex, 'direct', { durable: false, alternateExchange: aeArg });
    c.ch.publish(ex, 'nowhere', Buffer.from('x'));
    assert.equal((await c.ch.checkQueue(qArg)).messageCount, 1);
    assert.equal((await c.ch.checkQueue(qPol)).messageCount, 0);
  });
});

describe('operator policies', () => {
  test('the lower of operator policy and policy wins; effectivePolicy names both', async (t) => {
    const c = await client(fb.url);
    t.after(() => c.close());
    const q = uniqueName('op-merge');
    fb.broker.setPolicy('policy', policy(`p-${q}`, `^${q}$`, { 'max-length': 2, 'message-ttl': 60_000, overflow: 'reject-publish' }));
    fb.broker.setPolicy('operator-policy', policy(`op-${q}`, `^${q}$`, { 'max-length': 10, 'message-ttl': 1000 }));
    t.after(() => { fb.broker.clearPolicy('policy', '/', `p-${q}`); fb.broker.clearPolicy('operator-policy', '/', `op-${q}`); });
    assert.deepEqual(fb.broker.effectivePolicy('/', q, 'queue'), {
      policy: `p-${q}`, operatorPolicy: `op-${q}`, definition: { 'max-length': 2, 'message-ttl': 1000, overflow: 'reject-publish' },
    });
    await c.ch.assertQueue(q, { durable: false });
    await fill(c.ch, q, 4);
    assert.equal((await c.ch.checkQueue(q)).messageCount, 2);
    const m = await c.ch.get(q, { noAck: true });
    assert.ok(m !== false);
    assert.equal(m.content.toString(), 'm0', 'reject-publish from the policy: the first two stayed');
  });

  test('an operator policy alone limits an existing queue, below its x-argument', async (t) => {
    const c = await client(fb.url);
    t.after(() => c.close());
    const q = uniqueName('op-alone');
    await c.ch.assertQueue(q, { durable: false, arguments: { 'x-max-length': 100 } });
    await fill(c.ch, q, 6);
    fb.broker.setPolicy('operator-policy', policy(`op-${q}`, `^${q}$`, { 'max-length': 4 }));
    t.after(() => fb.broker.clearPolicy('operator-policy', '/', `op-${q}`));
    assert.equal((await c.ch.checkQueue(q)).messageCount, 4);
  });

  test('operator policies may only set the documented keys', () => {
    assert.throws(
      () => fb.broker.setPolicy('operator-policy', policy('op-bad', '.*', { 'dead-letter-exchange': 'x' })),
      (e: unknown) => e instanceof PolicyError && /\[<<"dead-letter-exchange">>\] are not recognised policy settings/.test(e.message),
    );
    assert.equal(fb.broker.listPolicies('operator-policy').some((p) => p.name === 'op-bad'), false);
  });
});

describe('policy validation', () => {
  const cases: Array<[string, Partial<PolicyInput>, RegExp]> = [
    ['negative message-ttl', { definition: { 'message-ttl': -1 } }, /-1 is not a valid message TTL/],
    ['string max-length', { definition: { 'max-length': 'ten' } }, /<<"ten">> is not a valid maximum length/],
    ['unknown overflow', { definition: { overflow: 'drop-tail' } }, /<<"drop-tail">> is not a valid overflow value/],
    ['zero expires', { definition: { expires: 0 } }, /0 is not a valid queue expiry/],
    ['unknown key', { definition: { 'max-lenght': 1 } }, /\[<<"max-lenght">>\] are not recognised policy settings/],
    ['max-priority (not a policy key)', { definition: { 'max-priority': 5 } }, /\[<<"max-priority">>\] are not recognised/],
    ['empty definition', { definition: {} }, /no policy provided/],
    ['bad regex', { pattern: '(' }, /is not a valid regex/],
    ['bad apply-to', { applyTo: 'topics' as never }, /<<"topics">> is not a valid apply-to value/],
    ['fractional priority', { priority: 1.5 }, /priority must be a number/],
  ];
  for (const [what, override, re] of cases) {
    test(`${what} → PolicyError, nothing stored`, () => {
      const name = uniqueName('bad');
      assert.throws(
        () => fb.broker.setPolicy('policy', { ...policy(name, '.*', { 'max-length': 1 }), ...override }),
        (e: unknown) => e instanceof PolicyError && re.test(e.message),
      );
      assert.equal(fb.broker.listPolicies('policy').some((p) => p.name === name), false);
    });
  }

  test('a policy for a vhost that does not exist is refused', () => {
    assert.throws(() => fb.broker.setPolicy('policy', { ...policy('x', '.*', { 'max-length': 1 }), vhost: 'nope' }), PolicyError);
  });

  test('clearPolicy of an absent policy returns false; listPolicies filters by vhost', () => {
    assert.equal(fb.broker.clearPolicy('policy', '/', 'never-set'), false);
    const name = uniqueName('listed');
    fb.broker.setPolicy('policy', policy(name, '^nothing$', { expires: 1000 }, { priority: 3 }));
    try {
      assert.deepEqual(fb.broker.listPolicies('policy', '/').find((p) => p.name === name),
        { vhost: '/', name, pattern: '^nothing$', applyTo: 'queues', priority: 3, definition: { expires: 1000 } });
      assert.equal(fb.broker.listPolicies('policy', 'other').length, 0);
    } finally {
      fb.broker.clearPolicy('policy', '/', name);
    }
  });
});

describe('policies in definitions', () => {
  test('loaded from a definitions document (policies array and operator_policy parameters) and applied to its queues', async (t) => {
    const b = await startFeatureBroker({
      definitions: {
        users: [{ name: 'guest', password: 'guest', tags: ['administrator'] }],
        vhosts: [{ name: '/' }],
        permissions: [{ user: 'guest', vhost: '/', configure: '.*', write: '.*', read: '.*' }],
        policies: [{ vhost: '/', name: 'limit', pattern: '^limited$', 'apply-to': 'queues', definition: { 'max-length': 3 }, priority: 1 }],
        parameters: [{ vhost: '/', component: 'operator_policy', name: 'cap', value: { pattern: '^limited$', definition: { 'max-length': 2 }, priority: 0, 'apply-to': 'queues' } }],
        queues: [{ name: 'limited', vhost: '/', durable: true, auto_delete: false, arguments: {} }],
      },
    });
    t.after(() => b.close());
    assert.deepEqual(b.broker.listPolicies('policy').map((p) => p.name), ['limit']);
    assert.deepEqual(b.broker.listPolicies('operator-policy').map((p) => p.name), ['cap']);
    const c = await client(b.url);
    t.after(() => c.close());
    await fill(c.ch, 'limited', 5);
    assert.equal((await c.ch.checkQueue('limited')).messageCount, 2);
  });

  test('persisted in definitions.json: a restarted broker has the same policies', async (t) => {
    const data = tempDataDir();
    const opts = { dataDir: data.dir, port: 0, host: '127.0.0.1', logger: pino({ level: 'silent' }) };
    const b1 = await startBroker(opts);
    b1.setPolicy('policy', { vhost: '/', name: 'ttl', pattern: '^t\\.', applyTo: 'all', priority: 7, definition: { 'message-ttl': 5000, 'alternate-exchange': 'ae' } });
    b1.setPolicy('operator-policy', { vhost: '/', name: 'op', pattern: '.*', applyTo: 'queues', priority: 0, definition: { 'max-length': 1000 } });
    b1.setPolicy('policy', { vhost: '/', name: 'gone', pattern: '.*', applyTo: 'queues', priority: 0, definition: { expires: 1000 } });
    assert.equal(b1.clearPolicy('policy', '/', 'gone'), true);
    await b1.close();
    const b2 = await startBroker(opts);
    t.after(async () => { await b2.close(); data.remove(); });
    assert.deepEqual(b2.listPolicies('policy'), [{ vhost: '/', name: 'ttl', pattern: '^t\\.', applyTo: 'all', priority: 7, definition: { 'message-ttl': 5000, 'alternate-exchange': 'ae' } }]);
    assert.deepEqual(b2.listPolicies('operator-policy'), [{ vhost: '/', name: 'op', pattern: '.*', applyTo: 'queues', priority: 0, definition: { 'max-length': 1000 } }]);
  });
});
