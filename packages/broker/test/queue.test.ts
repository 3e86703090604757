// Queues: naming, redeclaration equivalence, exclusivity, auto-delete, purge/delete conditions,
// the counts in declare-ok, bindings.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { useFileBroker } from './helpers/file-broker.js';
import {
  Session,
  connect,
  consume,
  expectChannelError,
  getAll,
  openChannel,
  queueCounts,
  safeClose,
  withTimeout,
} from './helpers/amqp.js';
import type { Channel } from 'amqplib';

const { session, url: brokerUrl } = useFileBroker();

/** Polls (bounded) until a passive declare says the queue is gone; the broker may delete asynchronously. */
async function waitUntilGone(s: Session, q: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const ch = await s.channel();
    const err = await withTimeout(ch.checkQueue(q)).then(
      () => undefined,
      (e: { code?: number }) => e,
    );
    if (err) {
      assert.equal(err.code, 404);
      return;
    }
    await safeClose(ch);
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`queue ${q} was never deleted`);
}

describe('declaration', () => {
  test('an empty name gets a unique server-generated amq.gen- name', async (t) => {
    const s = await session(t);
    const a = await s.ch.assertQueue('', { exclusive: true });
    const b = await s.ch.assertQueue('', { exclusive: true });
    assert.match(a.queue, /^amq\.gen-[A-Za-z0-9_-]+$/);
    assert.match(b.queue, /^amq\.gen-/);
    assert.notEqual(a.queue, b.queue);
    await s.publish('', a.queue, ['to generated']);
    assert.deepEqual(await getAll(s.ch, a.queue), ['to generated']);
  });

  test('declare-ok reports ready messages (not unacked ones) and consumers', async (t) => {
    const s = await session(t);
    const q = await s.queue();
    await s.publish('', q, ['1', '2', '3']);
    const other = await s.channel();
    await other.prefetch(1);
    const inbox = await consume(other, q);
    await inbox.next(); // one delivered and unacked; prefetch keeps the other two ready
    const ok = await withTimeout(s.ch.assertQueue(q, { durable: false }));
    assert.equal(ok.queue, q);
    assert.deepEqual([ok.messageCount, ok.consumerCount], [2, 1]);
    const passive = await queueCounts(s.ch, q);
    assert.deepEqual([passive.messageCount, passive.consumerCount], [2, 1]);
  });

  test('declare-ok counts ready messages exactly when nothing consumes', async (t) => {
    const s = await session(t);
    const q = await s.queue();
    await s.publish('', q, ['1', '2', '3', '4']);
    const ok = await withTimeout(s.ch.assertQueue(q, { durable: false }));
    assert.deepEqual([ok.messageCount, ok.consumerCount], [4, 0]);
  });

  test('redeclaring with a different durable flag → 406 PRECONDITION_FAILED', async (t) => {
    const s = await session(t);
    const q = await s.queue('dur', { durable: false });
    const ch = await s.channel();
    const err = await expectChannelError(ch.assertQueue(q, { durable: true }), 406, /PRECONDITION_FAILED/);
    assert.match(err.message, /inequivalent arg 'durable'/);
    assert.match(err.message, new RegExp(`queue '${q}'`));
  });

  test('redeclaring with a different auto-delete flag → 406 PRECONDITION_FAILED', async (t) => {
    const s = await session(t);
    const q = await s.queue('ad', { autoDelete: false });
    const ch = await s.channel();
    const err = await expectChannelError(ch.assertQueue(q, { durable: false, autoDelete: true }), 406);
    assert.match(err.message, /inequivalent arg 'auto_delete'/);
  });

  test('redeclaring with different x-arguments → 406 PRECONDITION_FAILED', async (t) => {
    const s = await session(t);
    const q = await s.queue('args', { arguments: { 'x-max-length': 10 } });
    const ch = await s.channel();
    const err = await expectChannelError(ch.assertQueue(q, { durable: false, arguments: { 'x-max-length': 20 } }), 406);
    assert.match(err.message, /inequivalent arg 'x-max-length'/);
  });

  test('passive declare of a missing queue → 404 NOT_FOUND', async (t) => {
    const s = await session(t);
    const ch = await s.channel();
    const q = s.queueName('missing');
    const err = await expectChannelError(ch.checkQueue(q), 404, /NOT_FOUND/);
    assert.match(err.message, new RegExp(`no queue '${q}' in vhost '/'`));
  });

  test('declaring a queue named amq.* → 403 ACCESS_REFUSED', async (t) => {
    const s = await session(t);
    const ch = await s.channel();
    const err = await expectChannelError(ch.assertQueue('amq.mine'), 403, /ACCESS_REFUSED/);
    assert.match(err.message, /amq\./);
  });
});

describe('exclusive queues', () => {
  test('another connection gets 405 RESOURCE_LOCKED for declare, passive declare, consume and get', async (t) => {
    const s = await session(t);
    const q = await s.queue('excl', { exclusive: true });
    const other = await connect(brokerUrl());
    t.after(() => safeClose(other));
    const attempts: Array<[string, (ch: Channel) => Promise<unknown>]> = [
      ['declare', (ch) => ch.assertQueue(q, { exclusive: true, durable: false })],
      ['passive declare', (ch) => ch.checkQueue(q)],
      ['consume', (ch) => ch.consume(q, () => undefined)],
      ['get', (ch) => ch.get(q)],
    ];
    for (const [what, op] of attempts) {
      const ch = await openChannel(other);
      const err = await expectChannelError(op(ch), 405, /RESOURCE_LOCKED/);
      assert.match(err.message, /exclusive/, what);
      assert.match(err.message, new RegExp(q), what);
    }
  });

  test('the owning connection may use it from any of its channels', async (t) => {
    const s = await session(t);
    const q = await s.queue('excl', { exclusive: true });
    const ch2 = await s.channel();
    await s.publish('', q, ['mine']);
    const m = await withTimeout(ch2.get(q, { noAck: true }));
    assert.ok(m);
    assert.equal(m.content.toString(), 'mine');
  });

  test('an exclusive queue is deleted when its connection closes', async (t) => {
    const s = await session(t);
    const owner = await connect(brokerUrl());
    const ch = await openChannel(owner);
    const q = s.queueName('excl-gone');
    await ch.assertQueue(q, { exclusive: true, durable: false });
    await safeClose(owner);
    await waitUntilGone(s, q);
  });
});

describe('auto-delete', () => {
  test('deleted after the last consumer cancels, not before', async (t) => {
    const s = await session(t);
    const q = await s.queue('auto', { autoDelete: true });
    const c1 = await consume(s.ch, q);
    const c2 = await consume(s.ch, q);
    await s.ch.cancel(c1.consumerTag);
    assert.equal((await queueCounts(s.ch, q)).consumerCount, 1);
    await s.ch.cancel(c2.consumerTag);
    await waitUntilGone(s, q);
  });

  test('an auto-delete queue that never had a consumer stays', async (t) => {
    const s = await session(t);
    const q = await s.queue('auto-idle', { autoDelete: true });
    await s.publish('', q, ['kept']);
    assert.deepEqual(await getAll(s.ch, q), ['kept']);
    assert.equal((await queueCounts(s.ch, q)).messageCount, 0);
  });

  test('deleted when the consuming channel closes', async (t) => {
    const s = await session(t);
    const q = await s.queue('auto-chan', { autoDelete: true });
    const ch = await s.channel();
    await consume(ch, q);
    await safeClose(ch);
    await waitUntilGone(s, q);
  });
});

describe('purge and delete', () => {
  test('purge returns the number of messages removed', async (t) => {
    const s = await session(t);
    const q = await s.queue();
    await s.publish('', q, ['a', 'b', 'c']);
    const ok = await withTimeout(s.ch.purgeQueue(q));
    assert.equal(ok.messageCount, 3);
    assert.equal((await queueCounts(s.ch, q)).messageCount, 0);
    assert.equal((await withTimeout(s.ch.purgeQueue(q))).messageCount, 0);
  });

  test('purge does not touch unacknowledged messages', async (t) => {
    const s = await session(t);
    const q = await s.queue();
    await s.publish('', q, ['held', 'ready']);
    const ch = await s.channel();
    const held = await withTimeout(ch.get(q, { noAck: false }));
    assert.ok(held);
    assert.equal((await withTimeout(s.ch.purgeQueue(q))).messageCount, 1);
    await safeClose(ch); // requeues "held"
    for (let i = 0; i < 100 && (await queueCounts(s.ch, q)).messageCount !== 1; i++) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(await getAll(s.ch, q), ['held']);
  });

  test('delete if-empty on a queue with messages → 406 PRECONDITION_FAILED', async (t) => {
    const s = await session(t);
    const q = await s.queue();
    await s.publish('', q, ['x']);
    const ch = await s.channel();
    const err = await expectChannelError(ch.deleteQueue(q, { ifEmpty: true }), 406, /PRECONDITION_FAILED/);
    assert.match(err.message, /not empty/);
    assert.equal((await queueCounts(s.ch, q)).messageCount, 1);
  });

  test('delete if-unused on a queue with a consumer → 406 PRECONDITION_FAILED', async (t) => {
    const s = await session(t);
    const q = await s.queue();
    await consume(s.ch, q);
    const ch = await s.channel();
    const err = await expectChannelError(ch.deleteQueue(q, { ifUnused: true }), 406, /PRECONDITION_FAILED/);
    assert.match(err.message, /in use/);
  });

  test('delete-ok reports the number of messages deleted', async (t) => {
    const s = await session(t);
    const q = await s.queue();
    await s.publish('', q, ['1', '2']);
    const ok = await withTimeout(s.ch.deleteQueue(q, { ifUnused: true, ifEmpty: false }));
    assert.equal(ok.messageCount, 2);
    await expectChannelError((await s.channel()).checkQueue(q), 404);
  });

  test('delete of a missing queue succeeds with count 0', async (t) => {
    const s = await session(t);
    const ok = await withTimeout(s.ch.deleteQueue(s.queueName('never')));
    assert.equal(ok.messageCount, 0);
  });
});

describe('bindings', () => {
  test('bind then unbind: routing starts and stops', async (t) => {
    const s = await session(t);
    const x = await s.exchange('direct');
    const q = await s.queue();
    await s.ch.bindQueue(q, x, 'k');
    await s.publish(x, 'k', ['bound']);
    await withTimeout(s.ch.unbindQueue(q, x, 'k'));
    await s.publish(x, 'k', ['unbound']);
    assert.deepEqual(await getAll(s.ch, q), ['bound']);
  });

  test('unbinding a binding that does not exist is fine', async (t) => {
    const s = await session(t);
    const x = await s.exchange('direct');
    const q = await s.queue();
    await withTimeout(s.ch.unbindQueue(q, x, 'never-bound'));
  });

  test('binding a missing queue or to a missing exchange → 404 NOT_FOUND', async (t) => {
    const s = await session(t);
    const x = await s.exchange('direct');
    const q = await s.queue();
    const e1 = await expectChannelError((await s.channel()).bindQueue(s.queueName('missing'), x, 'k'), 404, /NOT_FOUND/);
    assert.match(e1.message, /no queue/);
    const e2 = await expectChannelError((await s.channel()).bindQueue(q, s.exchangeName('missing'), 'k'), 404, /NOT_FOUND/);
    assert.match(e2.message, /no exchange/);
  });

  test('binding to the default exchange → 403 ACCESS_REFUSED', async (t) => {
    const s = await session(t);
    const q = await s.queue();
    const err = await expectChannelError((await s.channel()).bindQueue(q, '', 'k'), 403, /ACCESS_REFUSED/);
    assert.match(err.message, /default exchange/);
  });

  test('deleting a queue removes its bindings', async (t) => {
    const s = await session(t);
    const x = await s.exchange('fanout');
    const q = await s.queue();
    await s.ch.bindQueue(q, x, '');
    await s.ch.deleteQueue(q);
    await s.ch.assertQueue(q, { durable: false });
    await s.publish(x, '', ['after re-create']);
    assert.equal((await queueCounts(s.ch, q)).messageCount, 0);
  });
});
