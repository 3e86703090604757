// Exchange type x-delayed-message: x-delayed-type routing, the x-delay header, persistence
// across a restart and a kill -9, and bad declarations.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { pino } from 'pino';
import { startBroker } from '../../src/index.js';
import { connect, consume, expectChannelError, openConfirmChannel, safeClose, uniqueName } from '../helpers/amqp.js';
import { client, startFeatureBroker, tempDataDir, type FeatureBroker } from './helpers.js';
import { killed, startChild } from '../helpers/child-broker.js';

let fb: FeatureBroker;
before(async () => { fb = await startFeatureBroker(); });
after(async () => { await fb.close(); });


describe('x-delayed-message', () => {
  test('messages are delivered in order of their delay, after undelayed ones', async (t) => {
    const c = await client(fb.url);
    t.after(() => c.close());
    const ex = uniqueName('delayed');
    const q = uniqueName('delayed-q');
    await c.ch.assertExchange(ex, 'x-delayed-message', { durable: false, arguments: { 'x-delayed-type': 'direct' } });
    await c.ch.assertQueue(q, { durable: false });
    await c.ch.bindQueue(q, ex, 'k');
    c.ch.publish(ex, 'k', Buffer.from('300'), { headers: { 'x-delay': 300 } });
    c.ch.publish(ex, 'k', Buffer.from('100'), { headers: { 'x-delay': 100 } });
    c.ch.publish(ex, 'k', Buffer.from('now') );
    c.ch.publish(ex, 'k', Buffer.from('200'), { headers: { 'x-delay': 200 } });
    const inbox = await consume(c.ch, q, { noAck: true });
    const got = (await inbox.waitForCount(4)).map((m) => m.content.toString());
    assert.deepEqual(got, ['now', '100', '200', '300']);
  });

  test('missing, negative, zero and non-numeric x-delay mean no delay; a held message is not in the queue yet', async (t) => {
    const c = await client(fb.url);
    t.after(() => c.close());
    const ex = uniqueName('delayed-nodelay');
    const q = uniqueName('delayed-nodelay-q');
    await c.ch.assertExchange(ex, 'x-delayed-message', { durable: false, arguments: { 'x-delayed-type': 'fanout' } });
    await c.ch.assertQueue(q, { durable: false });
    await c.ch.bindQueue(q, ex, '');
    c.ch.publish(ex, '', Buffer.from('none'));
    c.ch.publish(ex, '', Buffer.from('negative'), { headers: { 'x-delay': -5000 } });
    c.ch.publish(ex, '', Buffer.from('zero'), { headers: { 'x-delay': 0 } });
    c.ch.publish(ex, '', Buffer.from('text'), { headers: { 'x-delay': 'soon' } });
    c.ch.publish(ex, '', Buffer.from('held'), { headers: { 'x-delay': 60_000 } });
    assert.equal((await c.ch.checkQueue(q)).messageCount, 4);
  });

  test('routing after the delay follows x-delayed-type (topic)', async (t) => {
    const c = await client(fb.url);
    t.after(() => c.close());
    const ex = uniqueName('delayed-topic');
    const [qa, qb] = [uniqueName('dt-a'), uniqueName('dt-b')];
    await c.ch.assertExchange(ex, 'x-delayed-message', { durable: false, arguments: { 'x-delayed-type': 'topic' } });
    await c.ch.assertQueue(qa, { durable: false });
    await c.ch.assertQueue(qb, { durable: false });
    await c.ch.bindQueue(qa, ex, 'a.*');
    await c.ch.bindQueue(qb, ex, 'b.#');
    c.ch.publish(ex, 'a.x', Buffer.from('to a'), { headers: { 'x-delay': 20 } });
    const inbox = await consume(c.ch, qa, { noAck: true });
    assert.equal((await inbox.next()).content.toString(), 'to a');
    assert.equal((await c.ch.checkQueue(qb)).messageCount, 0);
  });

  test('CC and BCC route a held message when it is due; BCC is never delivered', async (t) => {
    const c = await client(fb.url);
    t.after(() => c.close());
    const ex = uniqueName('delayed-cc');
    const qs = ['k', 'cc', 'bcc'].map((k) => ({ key: k, name: uniqueName(`delayed-${k}`) }));
    await c.ch.assertExchange(ex, 'x-delayed-message', { durable: false, arguments: { 'x-delayed-type': 'direct' } });
    for (const q of qs) {
      await c.ch.assertQueue(q.name, { durable: false });
      await c.ch.bindQueue(q.name, ex, q.key);
    }
    c.ch.publish(ex, 'k', Buffer.from('held'), { headers: { 'x-delay': 150, CC: ['cc'], BCC: ['bcc'] } });
    // Held, so nowhere yet.
    for (const q of qs) assert.equal((await c.ch.checkQueue(q.name)).messageCount, 0);
    for (const q of qs) {
      const inbox = await consume(c.ch, q.name, { noAck: true });
      const [m] = await inbox.waitForCount(1);
      assert.equal(m!.content.toString(), 'held', q.key);
      const headers = m!.properties.headers ?? {};
      assert.equal('BCC' in headers, false, `no BCC header in ${q.key}`);
      assert.deepEqual(headers['CC'], ['cc']);
    }
  });

  test('publisher confirms arrive for held messages; mandatory does not return them', async (t) => {
    const conn = await connect(fb.url);
    t.after(() => safeClose(conn));
    const ch = await openConfirmChannel(conn);
    const ex = uniqueName('delayed-confirm');
    await ch.assertExchange(ex, 'x-delayed-message', { durable: false, arguments: { 'x-delayed-type': 'direct' } });
    let returned = 0;
    ch.on('return', () => { returned++; });
    ch.publish(ex, 'unbound', Buffer.from('x'), { headers: { 'x-delay': 50 }, mandatory: true });
    await ch.waitForConfirms();
    ch.publish(ex, 'unbound', Buffer.from('y'), { mandatory: true });
    await ch.waitForConfirms();
    assert.equal(returned, 1, 'only the undelayed unroutable message is returned');
  });

  test('deleting the exchange drops its held messages', async (t) => {
    // a broker of its own: no other test's held messages fall due meanwhile
    const own = await startFeatureBroker();
    t.after(() => own.close());
    const c = await client(own.url);
    t.after(() => c.close());
    const ex = uniqueName('delayed-del');
    const q = uniqueName('delayed-del-q');
    await c.ch.assertExchange(ex, 'x-delayed-message', { durable: false, arguments: { 'x-delayed-type': 'fanout' } });
    await c.ch.assertQueue(q, { durable: false });
    await c.ch.bindQueue(q, ex, '');
    c.ch.publish(ex, '', Buffer.from('x'), { headers: { 'x-delay': 60_000 } });
    await c.ch.checkQueue(q);
    assert.equal(own.broker.vhost('/')!.delayed.size, 1);
    await c.ch.deleteExchange(ex);
    assert.equal(own.broker.vhost('/')!.delayed.size, 0);
  });

  test('without x-delayed-type (or with an unknown one) → 406 naming the argument', async (t) => {
    for (const args of [{}, { 'x-delayed-type': 'nonsense' }, { 'x-delayed-type': 5 }]) {
      const c = await client(fb.url);
      t.after(() => c.close());
      await expectChannelError(
        c.ch.assertExchange(uniqueName('delayed-bad'), 'x-delayed-message', { durable: false, arguments: args }),
        406, /PRECONDITION_FAILED - Invalid argument, 'x-delayed-type' must be an existing exchange type/,
      );
    }
  });
});

describe('x-delayed-message persistence', () => {
  test('persistent messages of a durable delayed exchange survive a restart (transient ones do not)', async (t) => {
    const data = tempDataDir();
    const opts = { dataDir: data.dir, port: 0, host: '127.0.0.1', logger: pino({ level: 'silent' }) };
    const b1 = await startBroker(opts);
    const url1 = `amqp://guest:guest@127.0.0.1:${b1.port}/`;
    const c1 = await client(url1);
    await c1.ch.assertExchange('dx', 'x-delayed-message', { durable: true, arguments: { 'x-delayed-type': 'direct' } });
    await c1.ch.assertQueue('dq', { durable: true });
    await c1.ch.bindQueue('dq', 'dx', 'k');
    c1.ch.publish('dx', 'k', Buffer.from('kept'), { persistent: true, headers: { 'x-delay': 400 } });
    c1.ch.publish('dx', 'k', Buffer.from('transient'), { persistent: false, headers: { 'x-delay': 400 } });
    await c1.ch.checkQueue('dq');
    await c1.close();
    await b1.close();
    const b2 = await startBroker(opts);
    t.after(async () => { await b2.close(); data.remove(); });
    assert.equal(b2.vhost('/')!.delayed.size, 1);
    const c2 = await client(`amqp://guest:guest@127.0.0.1:${b2.port}/`);
    t.after(() => c2.close());
    const inbox = await consume(c2.ch, 'dq', { noAck: true });
    const m = await inbox.next();
    assert.equal(m.content.toString(), 'kept');
    assert.equal(m.properties.headers!['x-delay'], 400);
  });

  test('a confirmed delayed message survives kill -9', { timeout: 60_000 }, async () => {
    const data = tempDataDir();
    let child: ChildProcess | undefined;
    try {
      const first = await startChild(data.dir);
      child = first.child;
      const conn = await connect(`amqp://guest:guest@127.0.0.1:${first.port}/`);
      conn.on('error', () => { /* killed under it */ });
      const ch = await openConfirmChannel(conn);
      ch.on('error', () => { /* idem */ });
      await ch.assertExchange('kx', 'x-delayed-message', { durable: true, arguments: { 'x-delayed-type': 'fanout' } });
      await ch.assertQueue('kq', { durable: true });
      await ch.bindQueue('kq', 'kx', '');
      // long enough to still be held when the broker dies (a restart takes about a second)
      ch.publish('kx', '', Buffer.from('survivor'), { persistent: true, headers: { 'x-delay': 1500 } });
      await ch.waitForConfirms();
      await killed(child);
      const second = await startChild(data.dir);
      child = second.child;
      const conn2 = await connect(`amqp://guest:guest@127.0.0.1:${second.port}/`);
      const ch2 = await conn2.createChannel();
      const inbox = await consume(ch2, 'kq', { noAck: true });
      assert.equal((await inbox.next(10_000)).content.toString(), 'survivor');
      await safeClose(conn2);
    } finally {
      if (child !== undefined) await killed(child);
      data.remove();
    }
  });
});

