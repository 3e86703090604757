// x-delivery-limit / x-delivery-count (RabbitMQ 4.3 semantics), the consumer acknowledgement
// timeout (cancel only that consumer, requeue its messages), and queue types.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Channel, ConsumeMessage } from 'amqplib';
import { consume, expectChannelError, Inbox, openChannel, uniqueName, withTimeout } from '../helpers/amqp.js';
import { client, startFeatureBroker, type FeatureBroker } from './helpers.js';

let fb: FeatureBroker;
before(async () => { fb = await startFeatureBroker(); });
after(async () => { await fb.close(); });

/** A dead-letter exchange with one queue bound; returns the queue's name. */
async function deadLetterTarget(ch: Channel): Promise<{ dlx: string; dlq: string }> {
  const dlx = uniqueName('dl-x');
  const dlq = uniqueName('dl-q');
  await ch.assertExchange(dlx, 'fanout', { durable: false });
  await ch.assertQueue(dlq, { durable: false });
  await ch.bindQueue(dlq, dlx, '');
  return { dlx, dlq };
}

function deliveryCount(m: ConsumeMessage): unknown {
  return m.properties.headers?.['x-delivery-count'];
}

describe('x-delivery-limit', () => {
  test('basic.reject with requeue counts: x-delivery-count grows, past the limit the message is dead-lettered (delivery_limit)', async (t) => {
    const c = await client(fb.url);
    t.after(() => c.close());
    const { dlx, dlq } = await deadLetterTarget(c.ch);
    const q = uniqueName('dlim');
    await c.ch.assertQueue(q, { durable: false, arguments: { 'x-delivery-limit': 2, 'x-dead-letter-exchange': dlx } });
    c.ch.sendToQueue(q, Buffer.from('poison'));
    const inbox = await consume(c.ch, q);
    const seen: unknown[] = [];
    for (let i = 0; i < 3; i++) {
      const m = await inbox.next();
      seen.push(deliveryCount(m));
      c.ch.reject(m, true);
    }
    assert.deepEqual(seen, [undefined, 1, 2]);
    const dead = await withTimeout((async () => {
      for (;;) { const m = await c.ch.get(dlq, { noAck: true }); if (m !== false) return m; await new Promise((r) => setTimeout(r, 10)); }
    })());
    assert.equal(dead.content.toString(), 'poison');
    const death = (dead.properties.headers!['x-death'] as Array<Record<string, unknown>>)[0]!;
    assert.equal(death.reason, 'delivery_limit');
    assert.equal(death.queue, q);
    assert.equal(dead.properties.headers!['x-first-death-reason'], 'delivery_limit');
    assert.equal((await c.ch.checkQueue(q)).messageCount, 0);
  });

  test('basic.nack with requeue does not count (RabbitMQ 4.3)', async (t) => {
    const c = await client(fb.url);
    t.after(() => c.close());
    const q = uniqueName('dlim-nack');
    await c.ch.assertQueue(q, { durable: false, arguments: { 'x-delivery-limit': 0 } });
    c.ch.sendToQueue(q, Buffer.from('busy'));
    const inbox = await consume(c.ch, q);
    for (let i = 0; i < 4; i++) {
      const m = await inbox.next();
      assert.equal(deliveryCount(m), undefined);
      assert.equal(m.fields.redelivered, i > 0);
      c.ch.nack(m, false, true);
    }
    const last = await inbox.next();
    c.ch.ack(last);
    assert.equal(last.content.toString(), 'busy');
  });

  test('a closed channel counts as a failed attempt; limit 0 dead-letters at once', async (t) => {
    const c = await client(fb.url);
    t.after(() => c.close());
    const { dlx, dlq } = await deadLetterTarget(c.ch);
    const q = uniqueName('dlim-close');
    await c.ch.assertQueue(q, { durable: false, arguments: { 'x-delivery-limit': 0, 'x-dead-letter-exchange': dlx } });
    c.ch.sendToQueue(q, Buffer.from('crashy'));
    const other = await openChannel(c.conn);
    const inbox = await consume(other, q);
    await inbox.next();
    await other.close();
    assert.equal((await c.ch.checkQueue(q)).messageCount, 0);
    assert.equal((await c.ch.checkQueue(dlq)).messageCount, 1);
  });

  test('delivery-limit from a policy', async (t) => {
    const c = await client(fb.url);
    t.after(() => c.close());
    const q = uniqueName('dlim-pol');
    fb.broker.setPolicy('policy', { vhost: '/', name: `p-${q}`, pattern: `^${q}$`, applyTo: 'queues', priority: 0, definition: { 'delivery-limit': 1 } });
    t.after(() => fb.broker.clearPolicy('policy', '/', `p-${q}`));
    await c.ch.assertQueue(q, { durable: false });
    c.ch.sendToQueue(q, Buffer.from('x'));
    const inbox = await consume(c.ch, q);
    c.ch.reject(await inbox.next(), true);
    const second = await inbox.next();
    assert.equal(deliveryCount(second), 1);
    c.ch.reject(second, true);
    // gone (no DLX): the queue is empty once the reject is processed
    assert.equal((await c.ch.checkQueue(q)).messageCount, 0);
    assert.equal(inbox.messages.length, 2);
  });

  test('quorum queues default to a delivery limit of 20', async (t) => {
    const c = await client(fb.url);
    t.after(() => c.close());
    const q = uniqueName('qq-limit');
    await c.ch.assertQueue(q, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    t.after(async () => { const c2 = await client(fb.url); await c2.ch.deleteQueue(q); await c2.close(); });
    c.ch.sendToQueue(q, Buffer.from('x'));
    const inbox = await consume(c.ch, q);
    for (let i = 0; i <= 20; i++) c.ch.reject(await inbox.next(), true);
    assert.equal((await c.ch.checkQueue(q)).messageCount, 0);
    assert.equal(inbox.messages.length, 21);
    assert.equal(deliveryCount(inbox.messages[20]!), 20);
  });
});

describe('consumer acknowledgement timeout', () => {
  async function timedOut(url: string, queueArgs: Record<string, unknown>): Promise<void> {
    const c = await client(url);
    try {
      const q = uniqueName('ctimeout');
      await c.ch.assertQueue(q, { durable: false, arguments: queueArgs });
      await c.ch.prefetch(1);
      const slow = await consume(c.ch, q);
      const otherCh = await openChannel(c.conn);
      c.ch.sendToQueue(q, Buffer.from('held'));
      const held = await slow.next();
      await slow.waitForCancel();
      // the message went back to the queue; another consumer gets it, marked redelivered
      const fast = await consume(otherCh, q);
      const again = await fast.next();
      assert.equal(again.content.toString(), 'held');
      assert.equal(again.fields.redelivered, true);
      otherCh.ack(again);
      // a late ack from the timed-out consumer is ignored: the channel stays usable
      c.ch.ack(held);
      assert.equal((await c.ch.checkQueue(q)).consumerCount, 1);
      await otherCh.close();
    } finally {
      await c.close();
    }
  }

  test('x-consumer-timeout cancels only that consumer (basic.cancel) and requeues its message', async () => {
    await timedOut(fb.url, { 'x-consumer-timeout': 50 });
  });

  test('the broker option consumerTimeoutMs applies to queues without x-consumer-timeout', async (t) => {
    const b = await startFeatureBroker({ consumerTimeoutMs: 50 });
    t.after(() => b.close());
    await timedOut(b.url, {});
  });

  test('consumers that ack in time are not cancelled', async (t) => {
    const c = await client(fb.url);
    t.after(() => c.close());
    const q = uniqueName('ctimeout-ok');
    await c.ch.assertQueue(q, { durable: false, arguments: { 'x-consumer-timeout': 60_000 } });
    const inbox = new Inbox();
    await consume(c.ch, q, {}, inbox);
    for (let i = 0; i < 5; i++) c.ch.sendToQueue(q, Buffer.from(String(i)));
    for (let i = 0; i < 5; i++) c.ch.ack(await inbox.next());
    assert.equal(inbox.cancelledByServer, false);
    assert.equal((await c.ch.checkQueue(q)).consumerCount, 1);
  });
});

describe('x-queue-type', () => {
  test('classic and durable quorum queues are accepted', async (t) => {
    const c = await client(fb.url);
    t.after(() => c.close());
    const cq = uniqueName('type-classic');
    const qq = uniqueName('type-quorum');
    await c.ch.assertQueue(cq, { durable: false, arguments: { 'x-queue-type': 'classic' } });
    await c.ch.assertQueue(qq, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    await c.ch.deleteQueue(qq);
  });

  const refused: Array<[string, { durable: boolean; exclusive?: boolean; autoDelete?: boolean }, string, RegExp]> = [
    ['a non-durable quorum queue', { durable: false }, 'quorum', /with message "PRECONDITION_FAILED - invalid property 'non-durable' for queue '[^']+' in vhost '\/'"$/],
    ['an exclusive quorum queue', { durable: true, exclusive: true }, 'quorum', /PRECONDITION_FAILED - invalid property 'exclusive' for queue '[^']+' in vhost '\/'/],
    ['an auto-delete quorum queue', { durable: true, autoDelete: true }, 'quorum', /PRECONDITION_FAILED - invalid property 'auto-delete' for queue/],
    ['a stream', { durable: true }, 'stream', /PRECONDITION_FAILED - invalid arg 'x-queue-type' for queue '[^']+' in vhost '\/': stream queues are not supported/],
    ['an unknown type', { durable: true }, 'lazy', /PRECONDITION_FAILED - invalid arg 'x-queue-type' for queue/],
  ];
  for (const [what, flags, type, re] of refused) {
    test(`${what} → 406 PRECONDITION_FAILED`, async (t) => {
      const c = await client(fb.url);
      t.after(() => c.close());
      await expectChannelError(c.ch.assertQueue(uniqueName('type-bad'), { ...flags, arguments: { 'x-queue-type': type } }), 406, re);
    });
  }
});
