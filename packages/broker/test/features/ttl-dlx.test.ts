// The existing queue features, checked against RabbitMQ's documented behaviour: TTL, x-expires,
// dead-lettering with the exact x-death header, cycles, length limits and overflow modes,
// priorities, consumer priorities and single active consumer.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Channel, ConsumeMessage } from 'amqplib';
import { connect, consume, expectChannelError, Inbox, openChannel, openConfirmChannel, safeClose, uniqueName, withTimeout } from '../helpers/amqp.js';
import { client, startFeatureBroker, type FeatureBroker } from './helpers.js';

let fb: FeatureBroker;
before(async () => { fb = await startFeatureBroker(); });
after(async () => { await fb.close(); });

async function dlTarget(ch: Channel, type: 'fanout' | 'direct' = 'fanout', key = ''): Promise<{ dlx: string; dlq: string }> {
  const dlx = uniqueName('dlx');
  const dlq = uniqueName('dlq');
  await ch.assertExchange(dlx, type, { durable: false });
  await ch.assertQueue(dlq, { durable: false });
  await ch.bindQueue(dlq, dlx, key);
  return { dlx, dlq };
}

/** Polls with basic.get (bounded) until a message arrives. */
async function getOne(ch: Channel, q: string): Promise<ConsumeMessage> {
  return withTimeout((async () => {
    for (;;) {
      const m = await ch.get(q, { noAck: true });
      if (m !== false) return m as unknown as ConsumeMessage;
      await new Promise((r) => setTimeout(r, 5));
    }
  })(), 5000, `a message in ${q}`);
}

type Death = Record<string, unknown>;
const deaths = (m: ConsumeMessage): Death[] => m.properties.headers!['x-death'] as Death[];

describe('TTL and dead-lettering', () => {
  test('an expired message is dead-lettered with x-death exactly as RabbitMQ writes it', async (t) => {
    const c = await client(fb.url);
    t.after(() => c.close());
    const { dlx, dlq } = await dlTarget(c.ch);
    const q = uniqueName('ttl');
    await c.ch.assertQueue(q, { durable: false, arguments: { 'x-message-ttl': 10_000, 'x-dead-letter-exchange': dlx } });
    const before = Math.floor(Date.now() / 1000);
    c.ch.sendToQueue(q, Buffer.from('short'), { expiration: '5', headers: { CC: ['cc-key'] }, messageId: 'm1' });
    const m = await getOne(c.ch, dlq);
    assert.equal(m.content.toString(), 'short');
    assert.equal(m.properties.expiration, undefined, 'the expiration property is removed');
    assert.equal(m.properties.messageId, 'm1');
    const [d, ...rest] = deaths(m);
    assert.equal(rest.length, 0);
    const time = d!.time as { '!': string; value: number };
    assert.equal(time['!'], 'timestamp');
    assert.ok(time.value >= before && time.value <= Math.floor(Date.now() / 1000) + 1);
    assert.deepEqual({ ...d, time: 0 }, {
      count: 1, reason: 'expired', queue: q, time: 0, exchange: '', 'routing-keys': [q, 'cc-key'], 'original-expiration': '5',
    });
    const h = m.properties.headers!;
    assert.deepEqual([h['x-first-death-reason'], h['x-first-death-queue'], h['x-first-death-exchange']], ['expired', q, '']);
    assert.deepEqual([h['x-last-death-reason'], h['x-last-death-queue'], h['x-last-death-exchange']], ['expired', q, '']);
    assert.deepEqual(m.fields.exchange, dlx);
  });

  test('the lower of x-message-ttl and per-message expiration wins', async (t) => {
    const c = await client(fb.url);
    t.after(() => c.close());
    const { dlx, dlq } = await dlTarget(c.ch);
    const q = uniqueName('ttl-lower');
    await c.ch.assertQueue(q, { durable: false, arguments: { 'x-message-ttl': 5, 'x-dead-letter-exchange': dlx } });
    c.ch.sendToQueue(q, Buffer.from('long expiration'), { expiration: '600000' });
    const m = await getOne(c.ch, dlq);
    assert.equal(deaths(m)[0]!.reason, 'expired');
    assert.equal(deaths(m)[0]!['original-expiration'], '600000');
  });

  test('rejected without requeue → reason rejected, x-dead-letter-routing-key replaces the keys', async (t) => {
    const c = await client(fb.url);
    t.after(() => c.close());
    const { dlx, dlq } = await dlTarget(c.ch, 'direct', 'dead');
    const q = uniqueName('rej');
    await c.ch.assertQueue(q, { durable: false, arguments: { 'x-dead-letter-exchange': dlx, 'x-dead-letter-routing-key': 'dead' } });
    c.ch.sendToQueue(q, Buffer.from('bad'));
    const inbox = await consume(c.ch, q);
    c.ch.nack(await inbox.next(), false, false);
    const m = await getOne(c.ch, dlq);
    assert.equal(m.fields.routingKey, 'dead');
    assert.equal(deaths(m)[0]!.reason, 'rejected');
    assert.deepEqual(deaths(m)[0]!['routing-keys'], [q]);
  });

  test('a reject loop through the same queue counts up one x-death entry', async (t) => {
    const c = await client(fb.url);
    t.after(() => c.close());
    const back = uniqueName('loop-x');
    const q = uniqueName('loop-q');
    await c.ch.assertExchange(back, 'fanout', { durable: false });
    await c.ch.assertQueue(q, { durable: false, arguments: { 'x-dead-letter-exchange': back } });
    await c.ch.bindQueue(q, back, '');
    c.ch.sendToQueue(q, Buffer.from('again'));
    const inbox = await consume(c.ch, q);
    const counts: unknown[] = [];
    for (let i = 0; i < 4; i++) {
      const m = await inbox.next();
      if (i > 0) { assert.equal(deaths(m).length, 1); counts.push(deaths(m)[0]!.count); }
      if (i < 3) c.ch.reject(m, false); else c.ch.ack(m);
    }
    assert.deepEqual(counts, [1, 2, 3]);
  });

  test('an automatic cycle (expiry back into the same queue) is dropped, as RabbitMQ does', async (t) => {
    const c = await client(fb.url);
    t.after(() => c.close());
    const back = uniqueName('cycle-x');
    const q = uniqueName('cycle-q');
    const watch = uniqueName('cycle-watch');
    await c.ch.assertExchange(back, 'fanout', { durable: false });
    await c.ch.assertQueue(q, { durable: false, arguments: { 'x-dead-letter-exchange': back, 'x-message-ttl': 1 } });
    await c.ch.assertQueue(watch, { durable: false });
    await c.ch.bindQueue(q, back, '');
    await c.ch.bindQueue(watch, back, '');
    c.ch.sendToQueue(q, Buffer.from('cyclic'));
    // the watcher sees the one dead-lettering; q does not get it back
    const m = await getOne(c.ch, watch);
    assert.equal(deaths(m)[0]!.queue, q);
    assert.equal((await c.ch.checkQueue(q)).messageCount, 0);
    assert.equal((await c.ch.checkQueue(watch)).messageCount, 0);
  });

  test('x-expires deletes a queue that stays unused', async (t) => {
    const c = await client(fb.url);
    t.after(() => c.close());
    const q = uniqueName('expires');
    await c.ch.assertQueue(q, { durable: false, arguments: { 'x-expires': 30 } });
    await withTimeout((async () => {
      for (;;) {
        const probe = await client(fb.url);
        try { await probe.ch.checkQueue(q); } catch { await probe.close(); return; }
        await probe.close();
        await new Promise((r) => setTimeout(r, 20));
      }
    })(), 5000, 'queue expiry');
    const c2 = await client(fb.url);
    t.after(() => c2.close());
    await expectChannelError(c2.ch.checkQueue(q), 404);
  });
});

describe('length limits', () => {
  test('drop-head dead-letters the oldest with reason maxlen', async (t) => {
    const c = await client(fb.url);
    t.after(() => c.close());
    const { dlx, dlq } = await dlTarget(c.ch);
    const q = uniqueName('maxlen');
    await c.ch.assertQueue(q, { durable: false, arguments: { 'x-max-length': 2, 'x-dead-letter-exchange': dlx } });
    for (let i = 0; i < 3; i++) c.ch.sendToQueue(q, Buffer.from(`m${i}`));
    const m = await getOne(c.ch, dlq);
    assert.equal(m.content.toString(), 'm0');
    assert.equal(deaths(m)[0]!.reason, 'maxlen');
    assert.equal((await c.ch.checkQueue(q)).messageCount, 2);
  });

  test('x-max-length-bytes counts body bytes', async (t) => {
    const c = await client(fb.url);
    t.after(() => c.close());
    const q = uniqueName('maxbytes');
    await c.ch.assertQueue(q, { durable: false, arguments: { 'x-max-length-bytes': 10 } });
    for (let i = 0; i < 4; i++) c.ch.sendToQueue(q, Buffer.alloc(4, i));
    assert.equal((await c.ch.checkQueue(q)).messageCount, 2);
  });

  for (const mode of ['reject-publish', 'reject-publish-dlx'] as const) {
    test(`${mode}: the publisher gets a nack${mode === 'reject-publish-dlx' ? ' and the message is dead-lettered' : ''}`, async (t) => {
      const conn = await connect(fb.url);
      t.after(() => safeClose(conn));
      const ch = await openConfirmChannel(conn);
      const plain = await openChannel(conn);
      const { dlx, dlq } = await dlTarget(plain);
      const q = uniqueName('overflow');
      await ch.assertQueue(q, { durable: false, arguments: { 'x-max-length': 1, 'x-overflow': mode, 'x-dead-letter-exchange': dlx } });
      const results: boolean[] = [];
      for (let i = 0; i < 2; i++) {
        await new Promise<void>((resolve) => ch.sendToQueue(q, Buffer.from(`p${i}`), {}, (err) => { results.push(err == null); resolve(); }));
      }
      assert.deepEqual(results, [true, false]);
      assert.equal((await plain.checkQueue(q)).messageCount, 1);
      assert.equal((await plain.checkQueue(dlq)).messageCount, mode === 'reject-publish-dlx' ? 1 : 0);
    });
  }
});

describe('priorities', () => {
  test('x-max-priority: higher priority first, FIFO within a priority, above the max counts as the max', async (t) => {
    const c = await client(fb.url);
    t.after(() => c.close());
    const q = uniqueName('prio');
    await c.ch.assertQueue(q, { durable: false, arguments: { 'x-max-priority': 5 } });
    const sent: Array<[string, number | undefined]> = [['a', 1], ['b', 5], ['c', undefined], ['d', 9], ['e', 5], ['f', 3]];
    for (const [body, priority] of sent) c.ch.sendToQueue(q, Buffer.from(body), priority === undefined ? {} : { priority });
    await c.ch.checkQueue(q);
    const inbox = await consume(c.ch, q, { noAck: true });
    const got = (await inbox.waitForCount(6)).map((m) => m.content.toString());
    assert.deepEqual(got, ['b', 'd', 'e', 'f', 'a', 'c']);
  });

  test('consumer priorities: the higher-priority consumer gets messages while it has capacity', async (t) => {
    const c = await client(fb.url);
    t.after(() => c.close());
    const q = uniqueName('cprio');
    await c.ch.assertQueue(q, { durable: false });
    const lowCh = await openChannel(c.conn);
    const highCh = await openChannel(c.conn);
    await highCh.prefetch(2);
    const low = await consume(lowCh, q, { noAck: true, arguments: { 'x-priority': 1 } });
    const high = await consume(highCh, q, { noAck: false, arguments: { 'x-priority': 10 } });
    for (let i = 0; i < 5; i++) c.ch.sendToQueue(q, Buffer.from(String(i)));
    await high.waitForCount(2);
    await low.waitForCount(3);
    assert.deepEqual(high.messages.map((m) => m.content.toString()), ['0', '1']);
  });

  test('single active consumer: one consumer gets everything; the next takes over when it cancels', async (t) => {
    const c = await client(fb.url);
    t.after(() => c.close());
    const q = uniqueName('sac');
    await c.ch.assertQueue(q, { durable: false, arguments: { 'x-single-active-consumer': true } });
    const ch1 = await openChannel(c.conn);
    const ch2 = await openChannel(c.conn);
    const first = await consume(ch1, q, { noAck: true });
    const second = new Inbox();
    await consume(ch2, q, { noAck: true }, second);
    for (let i = 0; i < 3; i++) c.ch.sendToQueue(q, Buffer.from(`a${i}`));
    await first.waitForCount(3);
    await ch1.cancel(first.consumerTag);
    for (let i = 0; i < 2; i++) c.ch.sendToQueue(q, Buffer.from(`b${i}`));
    await second.waitForCount(2);
    assert.deepEqual(second.messages.map((m) => m.content.toString()), ['b0', 'b1']);
    assert.equal(first.messages.length, 3);
  });
});
