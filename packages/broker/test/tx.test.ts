// Transactions (tx class): publishes and acks on a transactional channel take effect at tx.commit
// and are discarded by tx.rollback; a new transaction starts right after each commit/rollback.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { useFileBroker } from './helpers/file-broker.js';
import { Session, expectChannelError, getAll, getOne, queueCounts, safeClose, waitForReady } from './helpers/amqp.js';
import { txCommit, txRollback, txSelect } from './helpers/tx.js';
import type { Message } from 'amqplib';

const { session } = useFileBroker();

describe('transactional publishing', () => {
  test('publishes are invisible until commit', async (t) => {
    const s = await session(t);
    const q1 = await s.queue();
    const q2 = await s.queue();
    const ch = await s.channel();
    await txSelect(ch);
    ch.sendToQueue(q1, Buffer.from('a'));
    ch.sendToQueue(q2, Buffer.from('b'));
    ch.sendToQueue(q1, Buffer.from('c'));
    // A round trip on the tx channel proves the publishes reached the broker before we look.
    await ch.checkQueue(q1);
    assert.equal((await queueCounts(s.ch, q1)).messageCount, 0);
    assert.equal((await queueCounts(s.ch, q2)).messageCount, 0);
    await txCommit(ch);
    assert.deepEqual(await getAll(s.ch, q1), ['a', 'c']);
    assert.deepEqual(await getAll(s.ch, q2), ['b']);
  });

  test('BCC keys of each publish in a transaction are routed at commit', async (t) => {
    const s = await session(t);
    const x = await s.exchange('direct');
    const qa = await s.queue();
    const qb = await s.queue();
    const qc = await s.queue();
    await s.ch.bindQueue(qa, x, 'a');
    await s.ch.bindQueue(qb, x, 'b');
    await s.ch.bindQueue(qc, x, 'c');
    const ch = await s.channel();
    await txSelect(ch);
    ch.publish(x, 'a', Buffer.from('first'), { BCC: ['b'] } as never);
    ch.publish(x, 'a', Buffer.from('second'), { BCC: ['c'] } as never);
    await txCommit(ch);
    assert.deepEqual(await getAll(s.ch, qa), ['first', 'second']);
    assert.deepEqual(await getAll(s.ch, qb), ['first']);
    assert.deepEqual(await getAll(s.ch, qc), ['second']);
  });

  test('rollback discards publishes; the channel stays transactional', async (t) => {
    const s = await session(t);
    const q = await s.queue();
    const ch = await s.channel();
    await txSelect(ch);
    ch.sendToQueue(q, Buffer.from('discarded'));
    await txRollback(ch);
    ch.sendToQueue(q, Buffer.from('kept'));
    await ch.checkQueue(q);
    assert.equal((await queueCounts(s.ch, q)).messageCount, 0, 'still transactional after rollback');
    await txCommit(ch);
    assert.deepEqual(await getAll(s.ch, q), ['kept']);
  });

  test('uncommitted publishes are dropped when the channel closes', async (t) => {
    const s = await session(t);
    const q = await s.queue();
    const ch = await s.channel();
    await txSelect(ch);
    ch.sendToQueue(q, Buffer.from('never'));
    await safeClose(ch);
    assert.equal((await queueCounts(s.ch, q)).messageCount, 0);
  });

  test('an empty commit and an empty rollback are fine', async (t) => {
    const s = await session(t);
    const q = await s.queue();
    const ch = await s.channel();
    await txSelect(ch);
    await txCommit(ch);
    await txRollback(ch);
    ch.sendToQueue(q, Buffer.from('x'));
    await txCommit(ch);
    assert.deepEqual(await getAll(s.ch, q), ['x']);
  });
});

describe('transactional acknowledgements', () => {
  async function holdTwo(s: Session): Promise<{ q: string; ch: Awaited<ReturnType<Session['channel']>>; msgs: Message[] }> {
    const q = await s.queue();
    await s.publish('', q, ['m1', 'm2']);
    const ch = await s.channel();
    await txSelect(ch);
    const msgs: Message[] = [];
    for (let i = 0; i < 2; i++) {
      const m = await getOne(ch, q);
      assert.ok(m);
      msgs.push(m);
    }
    return { q, ch, msgs };
  }

  test('acks take effect at commit', async (t) => {
    const s = await session(t);
    const { q, ch, msgs } = await holdTwo(s);
    ch.ack(msgs[1]!, true);
    await txCommit(ch);
    await safeClose(ch); // nothing left unacked to requeue
    assert.deepEqual(await getAll(s.ch, q), []);
  });

  test('rolled-back acks are forgotten: the messages stay unacked and return when the channel closes', async (t) => {
    const s = await session(t);
    const { q, ch, msgs } = await holdTwo(s);
    ch.ack(msgs[0]!);
    ch.ack(msgs[1]!);
    await txRollback(ch);
    assert.equal((await queueCounts(s.ch, q)).messageCount, 0, 'rollback does not requeue');
    await safeClose(ch);
    await waitForReady(s.ch, q, 2);
    assert.deepEqual(await getAll(s.ch, q), ['m1', 'm2']);
  });

  test('an ack that is not committed yet is undone by closing the channel', async (t) => {
    const s = await session(t);
    const { q, ch, msgs } = await holdTwo(s);
    ch.ack(msgs[0]!);
    await ch.checkQueue(q);
    await safeClose(ch);
    await waitForReady(s.ch, q, 2);
    assert.deepEqual(await getAll(s.ch, q), ['m1', 'm2']);
  });
});

describe('tx misuse', () => {
  test('tx.commit without tx.select → 406 PRECONDITION_FAILED', async (t) => {
    const s = await session(t);
    const err = await expectChannelError(txCommit(await s.channel()), 406, /PRECONDITION_FAILED/);
    assert.match(err.message, /not transactional/);
  });

  test('tx.rollback without tx.select → 406 PRECONDITION_FAILED', async (t) => {
    const s = await session(t);
    const err = await expectChannelError(txRollback(await s.channel()), 406, /PRECONDITION_FAILED/);
    assert.match(err.message, /not transactional/);
  });
});
