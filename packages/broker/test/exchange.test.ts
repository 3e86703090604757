// Exchanges: declaration rules, reserved names, deletion, internal and alternate exchanges,
// exchange-to-exchange bindings, and routing through every exchange type, observed with amqplib.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { useFileBroker } from './helpers/file-broker.js';
import {
  expectChannelError,
  expectChannelClosed,
  expectConnectionClosed,
  getAll,
  queueCounts,
  withTimeout,
} from './helpers/amqp.js';
import type { Channel } from 'amqplib';

const { session } = useFileBroker();

describe('pre-declared exchanges', () => {
  for (const [name, type] of [
    ['amq.direct', 'direct'],
    ['amq.fanout', 'fanout'],
    ['amq.topic', 'topic'],
    ['amq.headers', 'headers'],
    ['amq.match', 'headers'],
  ] as const) {
    test(`${name} exists (passive declare) and is a ${type} exchange`, async (t) => {
      const s = await session(t);
      await withTimeout(s.ch.checkExchange(name));
      // An active redeclare with the same type is allowed even on amq.* (it is an equivalence check).
      await withTimeout(s.ch.assertExchange(name, type, { durable: true }));
    });
  }

  test('the default exchange cannot be declared (even passively) or deleted → 403 ACCESS_REFUSED', async (t) => {
    // RabbitMQ 3.10 refuses every exchange.declare/delete naming '' rather than answering declare-ok.
    const s = await session(t);
    for (const op of [
      (ch: Channel) => ch.checkExchange(''),
      (ch: Channel) => ch.assertExchange('', 'direct'),
      (ch: Channel) => ch.deleteExchange(''),
    ]) {
      const err = await expectChannelError(op(await s.channel()), 403, /ACCESS_REFUSED/);
      assert.match(err.message, /default exchange/);
    }
  });

  test('the default exchange routes by queue name', async (t) => {
    const s = await session(t);
    const q = await s.queue();
    await s.publish('', q, ['via default']);
    assert.deepEqual(await getAll(s.ch, q), ['via default']);
  });

  test('amq.direct and amq.fanout route to bound queues', async (t) => {
    const s = await session(t);
    const q = await s.queue();
    await s.ch.bindQueue(q, 'amq.direct', q);
    await s.ch.bindQueue(q, 'amq.fanout', '');
    t.after(async () => {
      // amq.fanout is shared between tests: unbind so nothing else receives our traffic.
      await s.ch.unbindQueue(q, 'amq.fanout', '').catch(() => undefined);
    });
    await s.publish('amq.direct', q, ['d']);
    await s.publish('amq.fanout', 'any-key', ['f']);
    assert.deepEqual(await getAll(s.ch, q), ['d', 'f']);
  });
});

describe('declaration rules', () => {
  test('redeclaring with a different type → 406 PRECONDITION_FAILED', async (t) => {
    const s = await session(t);
    const x = await s.exchange('direct');
    const ch = await s.channel();
    const err = await expectChannelError(ch.assertExchange(x, 'fanout', { durable: false }), 406, /PRECONDITION_FAILED/);
    assert.match(err.message, /inequivalent arg 'type'/);
    assert.match(err.message, new RegExp(x));
  });

  test('redeclaring with a different durable flag → 406 PRECONDITION_FAILED', async (t) => {
    const s = await session(t);
    const x = await s.exchange('direct');
    const ch = await s.channel();
    const err = await expectChannelError(ch.assertExchange(x, 'direct', { durable: true }), 406, /PRECONDITION_FAILED/);
    assert.match(err.message, /inequivalent arg 'durable'/);
  });

  test('redeclaring with identical arguments is fine', async (t) => {
    const s = await session(t);
    const x = await s.exchange('topic');
    const ok = await withTimeout(s.ch.assertExchange(x, 'topic', { durable: false }));
    assert.equal(ok.exchange, x);
  });

  test('declaring an amq.* exchange → 403 ACCESS_REFUSED', async (t) => {
    const s = await session(t);
    const ch = await s.channel();
    const err = await expectChannelError(ch.assertExchange('amq.foo', 'direct'), 403, /ACCESS_REFUSED/);
    assert.match(err.message, /amq\./);
  });

  test('passive declare of a missing exchange → 404 NOT_FOUND', async (t) => {
    const s = await session(t);
    const ch = await s.channel();
    const missing = s.exchangeName('missing');
    const err = await expectChannelError(ch.checkExchange(missing), 404, /NOT_FOUND/);
    assert.match(err.message, new RegExp(`no exchange '${missing}'`));
  });

  test('declaring an unknown exchange type → connection error 503 COMMAND_INVALID', async (t) => {
    // COMMAND_INVALID is a hard error: the whole connection is closed, not just the channel.
    const s = await session(t);
    const ch = await s.channel();
    ch.assertExchange(s.exchangeName(), 'no-such-type').catch(() => undefined);
    const err = await expectConnectionClosed(s.conn, 503, /COMMAND_INVALID/);
    assert.match(err.message, /no-such-type/);
  });

  test('the channel stays usable after a successful declare-ok', async (t) => {
    const s = await session(t);
    const x = await s.exchange('fanout');
    const q = await s.queue();
    await s.ch.bindQueue(q, x, '');
    await s.publish(x, '', ['after declare']);
    assert.deepEqual(await getAll(s.ch, q), ['after declare']);
  });
});

describe('deletion', () => {
  test('delete if-unused with a binding → 406 PRECONDITION_FAILED; without the binding it succeeds', async (t) => {
    const s = await session(t);
    const x = await s.exchange('direct');
    const q = await s.queue();
    await s.ch.bindQueue(q, x, 'k');
    const ch = await s.channel();
    const err = await expectChannelError(ch.deleteExchange(x, { ifUnused: true }), 406, /PRECONDITION_FAILED/);
    assert.match(err.message, /in use/);
    await s.ch.unbindQueue(q, x, 'k');
    await withTimeout(s.ch.deleteExchange(x, { ifUnused: true }));
    await expectChannelError((await s.channel()).checkExchange(x), 404);
  });

  test('deleting an exchange removes its bindings', async (t) => {
    const s = await session(t);
    const x = await s.exchangeName();
    await s.ch.assertExchange(x, 'fanout', { durable: false });
    const q = await s.queue();
    await s.ch.bindQueue(q, x, '');
    await s.ch.deleteExchange(x);
    await s.ch.assertExchange(x, 'fanout', { durable: false });
    await s.publish(x, '', ['to a fresh exchange']);
    assert.equal((await queueCounts(s.ch, q)).messageCount, 0);
  });

  test('deleting a missing exchange succeeds (RabbitMQ treats it as idempotent)', async (t) => {
    const s = await session(t);
    await withTimeout(s.ch.deleteExchange(s.exchangeName('never-declared')));
  });

  test('deleting amq.* → 403 ACCESS_REFUSED', async (t) => {
    const s = await session(t);
    await expectChannelError((await s.channel()).deleteExchange('amq.direct'), 403, /ACCESS_REFUSED/);
  });
});

describe('internal and alternate exchanges', () => {
  test('publishing to an internal exchange → 403 ACCESS_REFUSED, but it receives via e2e bindings', async (t) => {
    const s = await session(t);
    const inner = await s.exchange('fanout', 'internal', { internal: true });
    const outer = await s.exchange('fanout', 'outer');
    const q = await s.queue();
    await s.ch.bindQueue(q, inner, '');
    await s.ch.bindExchange(inner, outer, '');
    await s.publish(outer, '', ['through']);
    assert.deepEqual(await getAll(s.ch, q), ['through']);

    const ch = await s.channel();
    ch.publish(inner, '', Buffer.from('direct to internal'));
    const err = await expectChannelClosed(ch, 403, /ACCESS_REFUSED/);
    assert.match(err.message, /internal exchange/);
  });

  test('alternate-exchange receives messages the exchange cannot route', async (t) => {
    const s = await session(t);
    const ae = await s.exchange('fanout', 'ae');
    const x = await s.exchange('direct', 'with-ae', { alternateExchange: ae });
    const routed = await s.queue('routed');
    const unrouted = await s.queue('unrouted');
    await s.ch.bindQueue(routed, x, 'known');
    await s.ch.bindQueue(unrouted, ae, '');
    await s.publish(x, 'known', ['r1']);
    await s.publish(x, 'unknown', ['u1']);
    await s.publish(x, 'known', ['r2']);
    assert.deepEqual(await getAll(s.ch, routed), ['r1', 'r2']);
    assert.deepEqual(await getAll(s.ch, unrouted), ['u1']);
  });

  test('a mandatory message routed by the alternate exchange is not returned', async (t) => {
    const s = await session(t);
    const ae = await s.exchange('fanout', 'ae');
    const x = await s.exchange('direct', 'with-ae', { alternateExchange: ae });
    const q = await s.queue();
    await s.ch.bindQueue(q, ae, '');
    const returned: string[] = [];
    s.ch.on('return', (m) => returned.push(m.content.toString()));
    await s.publish(x, 'nope', ['m'], { mandatory: true });
    assert.deepEqual(await getAll(s.ch, q), ['m']);
    assert.deepEqual(returned, []);
  });
});

describe('exchange-to-exchange bindings', () => {
  test('bind routes from source to destination; unbind stops it', async (t) => {
    const s = await session(t);
    const src = await s.exchange('direct', 'src');
    const dst = await s.exchange('fanout', 'dst');
    const q = await s.queue();
    await s.ch.bindQueue(q, dst, '');
    await s.ch.bindExchange(dst, src, 'via');
    await s.publish(src, 'via', ['yes']);
    await s.publish(src, 'other', ['no']);
    assert.deepEqual(await getAll(s.ch, q), ['yes']);
    await s.ch.unbindExchange(dst, src, 'via');
    await s.publish(src, 'via', ['after unbind']);
    assert.equal((await queueCounts(s.ch, q)).messageCount, 0);
  });

  test('the destination applies its own routing to the original routing key', async (t) => {
    const s = await session(t);
    const src = await s.exchange('fanout', 'src');
    const dst = await s.exchange('topic', 'dst');
    const q1 = await s.queue('animals');
    const q2 = await s.queue('plants');
    await s.ch.bindQueue(q1, dst, 'animal.#');
    await s.ch.bindQueue(q2, dst, 'plant.#');
    await s.ch.bindExchange(dst, src, '');
    await s.publish(src, 'animal.cat', ['cat']);
    await s.publish(src, 'plant.fern', ['fern']);
    assert.deepEqual(await getAll(s.ch, q1), ['cat']);
    assert.deepEqual(await getAll(s.ch, q2), ['fern']);
  });

  test('binding to a missing exchange → 404 NOT_FOUND', async (t) => {
    const s = await session(t);
    const src = await s.exchange('direct');
    const ch = await s.channel();
    await expectChannelError(ch.bindExchange(s.exchangeName('missing'), src, 'k'), 404, /NOT_FOUND/);
  });

  test('a cycle of exchange bindings still delivers each message once', async (t) => {
    const s = await session(t);
    const a = await s.exchange('fanout', 'a');
    const b = await s.exchange('fanout', 'b');
    const q = await s.queue();
    await s.ch.bindExchange(b, a, '');
    await s.ch.bindExchange(a, b, '');
    await s.ch.bindQueue(q, b, '');
    await s.publish(a, '', ['loop']);
    assert.deepEqual(await getAll(s.ch, q), ['loop']);
  });
});

describe('at most one copy per queue', () => {
  test('two bindings from one exchange that both match → one copy', async (t) => {
    const s = await session(t);
    const x = await s.exchange('topic');
    const q = await s.queue();
    await s.ch.bindQueue(q, x, 'a.*');
    await s.ch.bindQueue(q, x, '*.b');
    await s.publish(x, 'a.b', ['once']);
    assert.deepEqual(await getAll(s.ch, q), ['once']);
  });

  test('an exchange-to-exchange diamond → one copy', async (t) => {
    const s = await session(t);
    const top = await s.exchange('fanout', 'top');
    const left = await s.exchange('fanout', 'left');
    const right = await s.exchange('direct', 'right');
    const q = await s.queue();
    await s.ch.bindExchange(left, top, '');
    await s.ch.bindExchange(right, top, '');
    await s.ch.bindQueue(q, left, '');
    await s.ch.bindQueue(q, right, 'k');
    await s.publish(top, 'k', ['diamond']);
    assert.deepEqual(await getAll(s.ch, q), ['diamond']);
  });

  test('the same binding declared twice is one binding', async (t) => {
    const s = await session(t);
    const x = await s.exchange('direct');
    const q = await s.queue();
    await s.ch.bindQueue(q, x, 'k');
    await s.ch.bindQueue(q, x, 'k');
    await s.publish(x, 'k', ['one']);
    assert.deepEqual(await getAll(s.ch, q), ['one']);
    await s.ch.unbindQueue(q, x, 'k');
    await s.publish(x, 'k', ['none']);
    assert.deepEqual(await getAll(s.ch, q), []);
  });
});

describe('routing by exchange type', () => {
  test('direct: exact routing-key match, several queues per key', async (t) => {
    const s = await session(t);
    const x = await s.exchange('direct');
    const errors = await s.queue('errors');
    const all = await s.queue('all');
    await s.ch.bindQueue(errors, x, 'error');
    for (const sev of ['info', 'warning', 'error']) await s.ch.bindQueue(all, x, sev);
    await s.publish(x, 'info', ['i']);
    await s.publish(x, 'error', ['e']);
    await s.publish(x, 'debug', ['d']);
    await s.publish(x, 'ERROR', ['E']);
    assert.deepEqual(await getAll(s.ch, errors), ['e']);
    assert.deepEqual(await getAll(s.ch, all), ['i', 'e']);
  });

  test('fanout: ignores the routing key', async (t) => {
    const s = await session(t);
    const x = await s.exchange('fanout');
    const q1 = await s.queue();
    const q2 = await s.queue();
    await s.ch.bindQueue(q1, x, 'whatever');
    await s.ch.bindQueue(q2, x, '');
    await s.publish(x, 'some.key', ['f']);
    assert.deepEqual(await getAll(s.ch, q1), ['f']);
    assert.deepEqual(await getAll(s.ch, q2), ['f']);
  });

  test('topic: the tutorial example (*.orange.*, *.*.rabbit, lazy.#)', async (t) => {
    const s = await session(t);
    const x = await s.exchange('topic');
    const q1 = await s.queue('q1');
    const q2 = await s.queue('q2');
    await s.ch.bindQueue(q1, x, '*.orange.*');
    await s.ch.bindQueue(q2, x, '*.*.rabbit');
    await s.ch.bindQueue(q2, x, 'lazy.#');
    const keys = [
      'quick.orange.rabbit',
      'lazy.orange.elephant',
      'quick.orange.fox',
      'lazy.brown.fox',
      'lazy.pink.rabbit',
      'quick.brown.fox',
      'orange',
      'quick.orange.male.rabbit',
      'lazy.orange.male.rabbit',
      'lazy',
    ];
    for (const k of keys) await s.publish(x, k, [k]);
    assert.deepEqual(await getAll(s.ch, q1), ['quick.orange.rabbit', 'lazy.orange.elephant', 'quick.orange.fox']);
    assert.deepEqual(await getAll(s.ch, q2), [
      'quick.orange.rabbit',
      'lazy.orange.elephant',
      'lazy.brown.fox',
      'lazy.pink.rabbit',
      'lazy.orange.male.rabbit',
      'lazy',
    ]);
  });

  test('topic: # matches zero or more words, * exactly one', async (t) => {
    const s = await session(t);
    const x = await s.exchange('topic');
    const hash = await s.queue('hash');
    const mid = await s.queue('mid');
    const star = await s.queue('star');
    const tail = await s.queue('tail');
    await s.ch.bindQueue(hash, x, '#');
    await s.ch.bindQueue(mid, x, 'a.#.z');
    await s.ch.bindQueue(star, x, '*');
    await s.ch.bindQueue(tail, x, '#.end');
    for (const k of ['', 'a', 'a.z', 'a.b.z', 'a.b.c.z', 'end', 'x.end', 'a.zz', 'a.b.c']) await s.publish(x, k, [`<${k}>`]);
    assert.deepEqual(await getAll(s.ch, hash), ['<>', '<a>', '<a.z>', '<a.b.z>', '<a.b.c.z>', '<end>', '<x.end>', '<a.zz>', '<a.b.c>']);
    assert.deepEqual(await getAll(s.ch, mid), ['<a.z>', '<a.b.z>', '<a.b.c.z>']);
    assert.deepEqual(await getAll(s.ch, star), ['<a>', '<end>']);
    assert.deepEqual(await getAll(s.ch, tail), ['<end>', '<x.end>']);
  });

  test('headers: x-match all requires every header, x-match any just one', async (t) => {
    const s = await session(t);
    const x = await s.exchange('headers');
    const all = await s.queue('all');
    const any = await s.queue('any');
    await s.ch.bindQueue(all, x, '', { 'x-match': 'all', format: 'pdf', type: 'report' });
    await s.ch.bindQueue(any, x, '', { 'x-match': 'any', format: 'pdf', type: 'report' });
    await s.publish(x, '', ['both'], { headers: { format: 'pdf', type: 'report' } });
    await s.publish(x, '', ['format only'], { headers: { format: 'pdf' } });
    await s.publish(x, '', ['wrong value'], { headers: { format: 'zip', type: 'log' } });
    await s.publish(x, '', ['no headers']);
    await s.publish(x, 'ignored-key', ['extra header'], { headers: { format: 'pdf', type: 'report', more: 1 } });
    assert.deepEqual(await getAll(s.ch, all), ['both', 'extra header']);
    assert.deepEqual(await getAll(s.ch, any), ['both', 'format only', 'extra header']);
  });

  test('headers: x-match defaults to all; x- arguments are not matched', async (t) => {
    const s = await session(t);
    const x = await s.exchange('headers');
    const q = await s.queue();
    await s.ch.bindQueue(q, x, '', { color: 'red', 'x-note': 'ignored' });
    await s.publish(x, '', ['red'], { headers: { color: 'red' } });
    await s.publish(x, '', ['blue'], { headers: { color: 'blue' } });
    assert.deepEqual(await getAll(s.ch, q), ['red']);
  });

  test('headers: numbers match numbers of the same value', async (t) => {
    const s = await session(t);
    const x = await s.exchange('headers');
    const q = await s.queue();
    await s.ch.bindQueue(q, x, '', { 'x-match': 'all', level: 3 });
    await s.publish(x, '', ['three'], { headers: { level: 3 } });
    await s.publish(x, '', ['four'], { headers: { level: 4 } });
    assert.deepEqual(await getAll(s.ch, q), ['three']);
  });
});
