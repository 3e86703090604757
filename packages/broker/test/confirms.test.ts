// Publisher confirms: every publish gets acked (possibly several per basic.ack with multiple=true),
// returns precede their ack, and a channel cannot be both transactional and in confirm mode.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { useFileBroker } from './helpers/file-broker.js';
import { expectChannelError, getAll, queueCounts, withTimeout } from './helpers/amqp.js';
import { confirmSelect, txSelect } from './helpers/tx.js';

const { session } = useFileBroker();

interface AckFields {
  deliveryTag: number;
  multiple: boolean;
}

/** Which delivery tags 1..n the recorded basic.ack frames cover. */
function covered(acks: AckFields[], n: number): boolean[] {
  const out = new Array<boolean>(n + 1).fill(false);
  let floor = 0;
  for (const a of acks) {
    if (a.multiple) {
      for (let tag = floor + 1; tag <= a.deliveryTag && tag <= n; tag++) out[tag] = true;
      floor = Math.max(floor, a.deliveryTag);
    } else if (a.deliveryTag <= n) {
      out[a.deliveryTag] = true;
    }
  }
  return out.slice(1);
}

describe('publisher confirms', () => {
  test('every publish is acked exactly once per delivery tag, multiple acks allowed', async (t) => {
    const s = await session(t);
    const q = await s.queue();
    const ch = await s.confirmChannel();
    const acks: AckFields[] = [];
    const nacks: AckFields[] = [];
    ch.on('ack', (f: AckFields) => acks.push(f));
    ch.on('nack', (f: AckFields) => nacks.push(f));
    const n = 200;
    const callbacks: Array<Promise<void>> = [];
    for (let i = 0; i < n; i++) {
      callbacks.push(
        new Promise((resolve, reject) => {
          ch.sendToQueue(q, Buffer.from(String(i)), {}, (err) => (err ? reject(err) : resolve()));
        }),
      );
    }
    await withTimeout(Promise.all(callbacks), 10_000, 'all confirms');
    assert.deepEqual(nacks, []);
    assert.ok(covered(acks, n).every(Boolean), 'some delivery tag was never acked');
    assert.ok(acks.every((a) => a.deliveryTag >= 1 && a.deliveryTag <= n));
    // Tags are acked in increasing order, never twice.
    for (let i = 1; i < acks.length; i++) assert.ok(acks[i]!.deliveryTag > acks[i - 1]!.deliveryTag);
    assert.equal((await queueCounts(s.ch, q)).messageCount, n);
  });

  test('unroutable messages are acked too', async (t) => {
    const s = await session(t);
    const x = await s.exchange('direct');
    const ch = await s.confirmChannel();
    const acked = await withTimeout(
      new Promise<boolean>((resolve) => ch.publish(x, 'nowhere', Buffer.from('lost'), {}, (err) => resolve(!err))),
    );
    assert.equal(acked, true);
  });

  test('a mandatory unroutable message: basic.return arrives before its basic.ack', async (t) => {
    const s = await session(t);
    const x = await s.exchange('direct');
    const ch = await s.confirmChannel();
    const events: string[] = [];
    ch.on('return', (m) => events.push(`return:${m.fields.replyCode}:${m.content.toString()}`));
    ch.on('ack', (f: AckFields) => events.push(`ack:${f.deliveryTag}`));
    await withTimeout(
      new Promise<void>((resolve, reject) =>
        ch.publish(x, 'nowhere', Buffer.from('bounce'), { mandatory: true }, (err) => (err ? reject(err) : resolve())),
      ),
    );
    assert.deepEqual(events, ['return:312:bounce', 'ack:1']);
  });

  test('confirm.select is idempotent and delivery tags keep counting', async (t) => {
    const s = await session(t);
    const q = await s.queue();
    const ch = await s.confirmChannel();
    await confirmSelect(ch);
    const acks: AckFields[] = [];
    ch.on('ack', (f: AckFields) => acks.push(f));
    ch.sendToQueue(q, Buffer.from('a'));
    ch.sendToQueue(q, Buffer.from('b'));
    await withTimeout(ch.waitForConfirms());
    assert.ok(covered(acks, 2).every(Boolean));
    assert.equal(acks.at(-1)!.deliveryTag, 2);
    assert.deepEqual(await getAll(s.ch, q), ['a', 'b']);
  });
});

describe('confirm and tx do not mix', () => {
  test('tx.select on a confirm channel → 406 PRECONDITION_FAILED', async (t) => {
    const s = await session(t);
    const ch = await s.confirmChannel();
    const err = await expectChannelError(txSelect(ch), 406, /PRECONDITION_FAILED/);
    assert.match(err.message, /cannot switch from confirm to tx mode/);
  });

  test('confirm.select on a transactional channel → 406 PRECONDITION_FAILED', async (t) => {
    const s = await session(t);
    const ch = await s.channel();
    await txSelect(ch);
    const err = await expectChannelError(confirmSelect(ch), 406, /PRECONDITION_FAILED/);
    assert.match(err.message, /cannot switch from tx to confirm mode/);
  });
});
