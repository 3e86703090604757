// The basic class: publish, consume, get, acknowledgements, prefetch, redelivery, consumer
// management, returns, CC/BCC and user-id validation, consumer priorities.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { useFileBroker } from './helpers/file-broker.js';
import {
  Inbox,
  Session,
  bodies,
  connect,
  consume,
  expectChannelClosed,
  expectChannelError,
  expectConnectionClosed,
  getAll,
  getOne,
  openChannel,
  queueCounts,
  safeClose,
  waitForReady,
  withTimeout,
} from './helpers/amqp.js';
import type { Message } from 'amqplib';

const { session, url: brokerUrl } = useFileBroker();

const nums = (n: number, from = 1): string[] => Array.from({ length: n }, (_, i) => String(i + from));

describe('publish and consume', () => {
  test('deliveries carry body, properties, exchange, routing key and increasing tags', async (t) => {
    const s = await session(t);
    const x = await s.exchange('direct');
    const q = await s.queue();
    await s.ch.bindQueue(q, x, 'rk');
    const ch = await s.channel();
    const inbox = await consume(ch, q);
    assert.match(inbox.consumerTag, /^amq\.ctag-/);
    const timestamp = 1_700_000_000;
    await s.publish(x, 'rk', [Buffer.from([0, 1, 2, 255])], {
      contentType: 'application/octet-stream',
      contentEncoding: 'binary',
      headers: { h1: 'v1', n: 42, nested: { a: true } },
      deliveryMode: 2,
      priority: 5,
      correlationId: 'corr-1',
      replyTo: 'reply-here',
      expiration: '60000',
      messageId: 'msg-1',
      timestamp,
      type: 'kind',
      appId: 'tests',
    });
    await s.publish(x, 'rk', ['second']);
    const m1 = await inbox.next();
    const m2 = await inbox.next();
    assert.deepEqual([...m1.content], [0, 1, 2, 255]);
    assert.equal(m1.fields.exchange, x);
    assert.equal(m1.fields.routingKey, 'rk');
    assert.equal(m1.fields.redelivered, false);
    assert.equal(m1.fields.consumerTag, inbox.consumerTag);
    assert.equal(m2.fields.deliveryTag, m1.fields.deliveryTag + 1);
    const p = m1.properties;
    assert.equal(p.contentType, 'application/octet-stream');
    assert.equal(p.contentEncoding, 'binary');
    assert.deepEqual(p.headers, { h1: 'v1', n: 42, nested: { a: true } });
    assert.equal(p.deliveryMode, 2);
    assert.equal(p.priority, 5);
    assert.equal(p.correlationId, 'corr-1');
    assert.equal(p.replyTo, 'reply-here');
    assert.equal(p.expiration, '60000');
    assert.equal(p.messageId, 'msg-1');
    assert.equal(p.timestamp, timestamp);
    assert.equal(p.type, 'kind');
    assert.equal(p.appId, 'tests');
    assert.equal(m2.content.toString(), 'second');
    ch.ack(m2, true);
  });

  test('an empty body and a body spanning several frames both arrive intact', async (t) => {
    const s = await session(t);
    const q = await s.queue();
    const big = Buffer.alloc(300_000);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31) % 251;
    await s.publish('', q, [Buffer.alloc(0), big]);
    const inbox = await consume(s.ch, q, { noAck: true });
    assert.equal((await inbox.next()).content.length, 0);
    assert.ok((await inbox.next()).content.equals(big));
  });

  test('messages are delivered in publish order', async (t) => {
    const s = await session(t);
    const q = await s.queue();
    await s.publish('', q, nums(50));
    const inbox = await consume(s.ch, q, { noAck: true });
    assert.deepEqual(bodies(await inbox.waitForCount(50)), nums(50));
  });

  test('publishing to a missing exchange → 404 NOT_FOUND closes the channel', async (t) => {
    const s = await session(t);
    const ch = await s.channel();
    const x = s.exchangeName('missing');
    ch.publish(x, 'k', Buffer.from('lost'));
    const err = await expectChannelClosed(ch, 404, /NOT_FOUND/);
    assert.match(err.message, new RegExp(`no exchange '${x}'`));
  });

  test('consuming from a missing queue → 404 NOT_FOUND', async (t) => {
    const s = await session(t);
    const err = await expectChannelError((await s.channel()).consume(s.queueName('missing'), () => undefined), 404);
    assert.match(err.message, /no queue/);
  });

  test('basic.cancel stops deliveries to that consumer', async (t) => {
    const s = await session(t);
    const q = await s.queue();
    const inbox = await consume(s.ch, q, { noAck: true });
    await s.publish('', q, ['before']);
    await inbox.next();
    await withTimeout(s.ch.cancel(inbox.consumerTag));
    await s.publish('', q, ['after']);
    assert.equal((await queueCounts(s.ch, q)).consumerCount, 0);
    assert.deepEqual(await getAll(s.ch, q), ['after']);
    assert.deepEqual(bodies(inbox.messages), ['before']);
  });

  test('a client-chosen consumer tag is used; reusing it on the channel → connection error 530 NOT_ALLOWED', async (t) => {
    // NOT_ALLOWED is a hard error: RabbitMQ closes the whole connection.
    const s = await session(t);
    const q = await s.queue();
    const ch = await s.channel();
    const inbox = await consume(ch, q, { consumerTag: 'my-tag' });
    assert.equal(inbox.consumerTag, 'my-tag');
    ch.consume(q, () => undefined, { consumerTag: 'my-tag' }).catch(() => undefined);
    const err = await expectConnectionClosed(s.conn, 530, /NOT_ALLOWED/);
    assert.match(err.message, /reuse consumer tag/);
  });
});

describe('basic.get', () => {
  test('get returns messages with the remaining count, then get-empty', async (t) => {
    const s = await session(t);
    const q = await s.queue();
    await s.publish('', q, ['a', 'b', 'c']);
    const counts: number[] = [];
    const got: string[] = [];
    for (let i = 0; i < 3; i++) {
      const m = await getOne(s.ch, q, { noAck: true });
      assert.ok(m, 'expected a message');
      counts.push(m.fields.messageCount);
      got.push(m.content.toString());
    }
    assert.deepEqual(got, ['a', 'b', 'c']);
    assert.deepEqual(counts, [2, 1, 0]);
    assert.equal(await getOne(s.ch, q), false);
  });

  test('an unacked get is redelivered after a nack with requeue', async (t) => {
    const s = await session(t);
    const q = await s.queue();
    await s.publish('', q, ['once']);
    const m = await getOne(s.ch, q, { noAck: false });
    assert.ok(m);
    assert.equal(m.fields.redelivered, false);
    assert.equal((await queueCounts(s.ch, q)).messageCount, 0);
    s.ch.nack(m, false, true);
    const again = await getOne(s.ch, q, { noAck: true });
    assert.ok(again);
    assert.equal(again.content.toString(), 'once');
    assert.equal(again.fields.redelivered, true);
  });

  test('get from a missing queue → 404 NOT_FOUND', async (t) => {
    const s = await session(t);
    await expectChannelError((await s.channel()).get(s.queueName('missing')), 404, /NOT_FOUND/);
  });
});

describe('acknowledgements', () => {
  async function deliverN(s: Session, n: number): Promise<{ q: string; msgs: Message[] }> {
    const q = await s.queue();
    await s.publish('', q, nums(n));
    const msgs: Message[] = [];
    for (let i = 0; i < n; i++) {
      const m = await getOne(s.ch, q, { noAck: false });
      assert.ok(m);
      msgs.push(m);
    }
    return { q, msgs };
  }

  test('ack multiple acknowledges everything up to the tag', async (t) => {
    const s = await session(t);
    const { q, msgs } = await deliverN(s, 4);
    s.ch.ack(msgs[2]!, true); // 1..3
    s.ch.nack(msgs[3]!, false, true); // 4 back
    assert.deepEqual(await getAll(s.ch, q), ['4']);
  });

  test('reject without requeue drops; reject with requeue redelivers with redelivered=true', async (t) => {
    const s = await session(t);
    const { q, msgs } = await deliverN(s, 2);
    s.ch.reject(msgs[0]!, false);
    s.ch.reject(msgs[1]!, true);
    const m = await getOne(s.ch, q, { noAck: true });
    assert.ok(m);
    assert.equal(m.content.toString(), '2');
    assert.equal(m.fields.redelivered, true);
    assert.equal(await getOne(s.ch, q), false);
  });

  test('nack multiple with requeue returns all, in their original order, ahead of ready messages', async (t) => {
    const s = await session(t);
    const q = await s.queue();
    await s.publish('', q, nums(5));
    const msgs: Message[] = [];
    for (let i = 0; i < 3; i++) {
      const m = await getOne(s.ch, q);
      assert.ok(m);
      msgs.push(m);
    }
    s.ch.nack(msgs[2]!, true, true);
    const again: Message[] = [];
    for (let i = 0; i < 5; i++) {
      const m = await getOne(s.ch, q, { noAck: true });
      assert.ok(m);
      again.push(m);
    }
    assert.deepEqual(bodies(again as never), nums(5));
    assert.deepEqual(
      again.map((m) => m.fields.redelivered),
      [true, true, true, false, false],
    );
  });

  test('nack multiple without requeue drops them all', async (t) => {
    const s = await session(t);
    const { q, msgs } = await deliverN(s, 3);
    s.ch.nack(msgs[1]!, true, false);
    s.ch.nack(msgs[2]!, false, true);
    assert.deepEqual(await getAll(s.ch, q), ['3']);
  });

  test('ack with an unknown delivery tag → 406 PRECONDITION_FAILED and the channel closes', async (t) => {
    const s = await session(t);
    const ch = await s.channel();
    ch.ack({ fields: { deliveryTag: 99 } } as Message);
    const err = await expectChannelClosed(ch, 406, /PRECONDITION_FAILED/);
    assert.match(err.message, /unknown delivery tag 99/);
    assert.deepEqual([err.classId, err.methodId], [60, 80]);
  });

  test('acking the same delivery twice → 406 PRECONDITION_FAILED', async (t) => {
    const s = await session(t);
    const q = await s.queue();
    await s.publish('', q, ['x']);
    const ch = await s.channel();
    const m = await getOne(ch, q);
    assert.ok(m);
    ch.ack(m);
    ch.ack(m);
    const err = await expectChannelClosed(ch, 406, /PRECONDITION_FAILED/);
    assert.match(err.message, /unknown delivery tag/);
    assert.equal((await queueCounts(s.ch, q)).messageCount, 0, 'the first ack took effect');
  });

  test('nack and reject with unknown tags → 406 too', async (t) => {
    const s = await session(t);
    const ch1 = await s.channel();
    ch1.nack({ fields: { deliveryTag: 7 } } as Message, false, true);
    await expectChannelClosed(ch1, 406, /unknown delivery tag 7/);
    const ch2 = await s.channel();
    ch2.reject({ fields: { deliveryTag: 8 } } as Message, true);
    await expectChannelClosed(ch2, 406, /unknown delivery tag 8/);
  });

  test('delivery tags are per channel', async (t) => {
    const s = await session(t);
    const q = await s.queue();
    await s.publish('', q, ['a', 'b']);
    const ch1 = await s.channel();
    const ch2 = await s.channel();
    const m1 = await getOne(ch1, q);
    const m2 = await getOne(ch2, q);
    assert.ok(m1 && m2);
    assert.equal(m1.fields.deliveryTag, 1);
    assert.equal(m2.fields.deliveryTag, 1);
    ch1.ack(m1);
    ch2.ack(m2);
    assert.equal((await queueCounts(s.ch, q)).messageCount, 0);
  });
});

describe('prefetch', () => {
  test('per-consumer prefetch (global=false) limits each consumer separately', async (t) => {
    const s = await session(t);
    const q1 = await s.queue();
    const q2 = await s.queue();
    await s.publish('', q1, nums(5));
    await s.publish('', q2, nums(5));
    const ch = await s.channel();
    await ch.prefetch(2, false);
    const a = await consume(ch, q1);
    const b = await consume(ch, q2);
    await a.waitForCount(2);
    await b.waitForCount(2);
    // Each consumer holds exactly 2 unacked; the rest stays ready.
    assert.equal((await queueCounts(s.ch, q1)).messageCount, 3);
    assert.equal((await queueCounts(s.ch, q2)).messageCount, 3);
    assert.equal(a.messages.length, 2);
    assert.equal(b.messages.length, 2);
    ch.ack(a.messages[0]!);
    await a.waitForCount(3);
    assert.equal((await queueCounts(s.ch, q1)).messageCount, 2);
    assert.deepEqual(bodies(a.messages), ['1', '2', '3']);
  });

  test('per-channel prefetch (global=true) is shared by all consumers on the channel', async (t) => {
    const s = await session(t);
    const q1 = await s.queue();
    const q2 = await s.queue();
    await s.publish('', q1, nums(5));
    await s.publish('', q2, nums(5));
    const ch = await s.channel();
    await ch.prefetch(3, true);
    const shared = new Inbox();
    await consume(ch, q1, {}, shared);
    await consume(ch, q2, {}, shared);
    await shared.waitForCount(3);
    const ready = (await queueCounts(s.ch, q1)).messageCount + (await queueCounts(s.ch, q2)).messageCount;
    assert.equal(ready, 7);
    assert.equal(shared.messages.length, 3);
    ch.ack(shared.messages[0]!);
    await shared.waitForCount(4);
    const ready2 = (await queueCounts(s.ch, q1)).messageCount + (await queueCounts(s.ch, q2)).messageCount;
    assert.equal(ready2, 6);
  });

  test('both limits at once: the stricter one applies', async (t) => {
    const s = await session(t);
    const q = await s.queue();
    await s.publish('', q, nums(10));
    const ch = await s.channel();
    await ch.prefetch(5, false); // per consumer
    await ch.prefetch(2, true); // per channel
    const inbox = await consume(ch, q);
    await inbox.waitForCount(2);
    assert.equal((await queueCounts(s.ch, q)).messageCount, 8);
  });

  test('no-ack consumers are not limited by prefetch', async (t) => {
    const s = await session(t);
    const q = await s.queue();
    await s.publish('', q, nums(10));
    const ch = await s.channel();
    await ch.prefetch(1, false);
    const inbox = await consume(ch, q, { noAck: true });
    assert.deepEqual(bodies(await inbox.waitForCount(10)), nums(10));
  });

  test('prefetch applies to consumers created after basic.qos only', async (t) => {
    const s = await session(t);
    const q = await s.queue();
    const ch = await s.channel();
    const unlimited = await consume(ch, q);
    await ch.prefetch(1, false);
    await s.publish('', q, nums(4));
    await unlimited.waitForCount(4);
    assert.equal((await queueCounts(s.ch, q)).messageCount, 0);
  });
});

describe('distribution among consumers', () => {
  test('round-robin between two consumers of one queue', async (t) => {
    const s = await session(t);
    const q = await s.queue();
    const ch = await s.channel();
    const shared = new Inbox();
    const a = await consume(ch, q, { noAck: true }, shared);
    const tagA = a.consumerTag;
    await consume(ch, q, { noAck: true }, shared);
    await s.publish('', q, nums(6));
    const all = await shared.waitForCount(6);
    const forA = all.filter((m) => m.fields.consumerTag === tagA).map((m) => m.content.toString());
    const forB = all.filter((m) => m.fields.consumerTag !== tagA).map((m) => m.content.toString());
    assert.equal(forA.length, 3);
    assert.equal(forB.length, 3);
    assert.ok(
      JSON.stringify(forA) === JSON.stringify(['1', '3', '5']) || JSON.stringify(forA) === JSON.stringify(['2', '4', '6']),
      `consumer A got ${forA.join(',')}`,
    );
  });

  test('higher x-priority consumers get messages first, whatever the registration order', async (t) => {
    const s = await session(t);
    const q = await s.queue();
    const ch = await s.channel();
    const shared = new Inbox();
    await consume(ch, q, { noAck: true, arguments: { 'x-priority': 1 } }, shared);
    const high = await consume(ch, q, { noAck: true, priority: 10 }, shared);
    const highTag = high.consumerTag;
    await consume(ch, q, { noAck: true }, shared);
    await s.publish('', q, nums(6));
    const all = await shared.waitForCount(6);
    assert.deepEqual(
      all.map((m) => m.fields.consumerTag === highTag),
      [true, true, true, true, true, true],
    );
  });

  test('when the high-priority consumer is at its prefetch limit, lower ones get the rest', async (t) => {
    const s = await session(t);
    const q = await s.queue();
    const highCh = await s.channel();
    await highCh.prefetch(1, false);
    const high = await consume(highCh, q, { priority: 5 });
    const lowCh = await s.channel();
    const low = await consume(lowCh, q, { noAck: true });
    await s.publish('', q, nums(4));
    await high.waitForCount(1);
    await low.waitForCount(3);
    assert.equal(high.messages.length, 1);
    assert.equal(high.messages[0]!.content.toString(), '1');
    assert.deepEqual(bodies(low.messages), ['2', '3', '4']);
  });

  test('an exclusive consumer excludes others (403 ACCESS_REFUSED) and vice versa', async (t) => {
    const s = await session(t);
    const q1 = await s.queue();
    await consume(s.ch, q1, { exclusive: true });
    const err1 = await expectChannelError((await s.channel()).consume(q1, () => undefined), 403, /ACCESS_REFUSED/);
    assert.match(err1.message, /exclusive use/);

    const q2 = await s.queue();
    await consume(s.ch, q2);
    const err2 = await expectChannelError(
      (await s.channel()).consume(q2, () => undefined, { exclusive: true }),
      403,
      /ACCESS_REFUSED/,
    );
    assert.match(err2.message, /exclusive use/);
  });
});

describe('redelivery', () => {
  test('unacked messages return in order, marked redelivered, when the channel closes', async (t) => {
    const s = await session(t);
    const q = await s.queue();
    await s.publish('', q, nums(6));
    const ch = await s.channel();
    await ch.prefetch(3, false);
    const inbox = await consume(ch, q);
    await inbox.waitForCount(3);
    ch.ack(inbox.messages[1]!); // "2" is done, which lets "4" be delivered
    await inbox.waitForCount(4);
    await safeClose(ch);
    await waitForReady(s.ch, q, 5);
    const again: Message[] = [];
    for (let i = 0; i < 5; i++) {
      const m = await getOne(s.ch, q, { noAck: true });
      assert.ok(m);
      again.push(m);
    }
    assert.deepEqual(bodies(again as never), ['1', '3', '4', '5', '6']);
    assert.deepEqual(
      again.map((m) => m.fields.redelivered),
      [true, true, true, false, false],
    );
  });

  test('unacked messages return to their queue when the connection drops', async (t) => {
    const s = await session(t);
    const q = await s.queue();
    await s.publish('', q, ['a', 'b', 'c']);
    const conn = await connect(brokerUrl());
    const ch = await openChannel(conn);
    const inbox = await consume(ch, q);
    await inbox.waitForCount(3);
    // Drop the TCP connection without an AMQP close. Destroying with an error makes amqplib notice
    // and stop its heartbeat timer (a plain destroy would keep the test process alive ~3 minutes).
    (conn.connection as unknown as { stream: { destroy(e: Error): void } }).stream.destroy(new Error('simulated drop'));
    await waitForReady(s.ch, q, 3);
    assert.deepEqual(await getAll(s.ch, q), ['a', 'b', 'c']);
  });

  test('basic.recover (requeue) redelivers all unacked messages with redelivered=true', async (t) => {
    const s = await session(t);
    const q = await s.queue();
    await s.publish('', q, ['r1', 'r2']);
    const ch = await s.channel();
    const inbox = await consume(ch, q);
    await inbox.waitForCount(2);
    await withTimeout(ch.recover());
    const all = await inbox.waitForCount(4);
    assert.deepEqual(bodies(all.slice(2)), ['r1', 'r2']);
    assert.deepEqual(
      all.map((m) => m.fields.redelivered),
      [false, false, true, true],
    );
    ch.ack(all[3]!, true);
    assert.equal((await queueCounts(s.ch, q)).messageCount, 0);
  });
});

describe('server-initiated consumer cancel', () => {
  test('deleting the queue sends basic.cancel (amqplib: callback gets null)', async (t) => {
    const s = await session(t);
    const q = await s.queue();
    const ch = await s.channel();
    const inbox = await consume(ch, q);
    await s.ch.deleteQueue(q);
    await inbox.waitForCancel();
    // The channel is still open and usable.
    const q2 = await s.queue();
    await withTimeout(ch.checkQueue(q2));
  });
});

describe('mandatory, CC/BCC, user-id', () => {
  test('a mandatory unroutable message comes back as basic.return 312 NO_ROUTE', async (t) => {
    const s = await session(t);
    const x = await s.exchange('direct');
    const ch = await s.channel();
    const returned = new Promise<Message>((resolve) => ch.once('return', resolve));
    ch.publish(x, 'nobody-home', Buffer.from('bounce'), { mandatory: true, messageId: 'm-1' });
    const m = await withTimeout(returned);
    // basic.return fields; @types/amqplib only describes the deliver/get shape.
    const fields = m.fields as unknown as { replyCode: number; replyText: string; exchange: string; routingKey: string };
    assert.equal(fields.replyCode, 312);
    assert.equal(fields.replyText, 'NO_ROUTE');
    assert.equal(fields.exchange, x);
    assert.equal(fields.routingKey, 'nobody-home');
    assert.equal(m.content.toString(), 'bounce');
    assert.equal(m.properties.messageId, 'm-1');
  });

  test('a non-mandatory unroutable message is dropped silently', async (t) => {
    const s = await session(t);
    const x = await s.exchange('direct');
    let returned = false;
    s.ch.on('return', () => (returned = true));
    await s.publish(x, 'nobody-home', ['gone']);
    const q = await s.queue();
    await s.ch.bindQueue(q, x, 'k');
    await s.publish(x, 'k', ['after']);
    assert.deepEqual(await getAll(s.ch, q), ['after']);
    assert.equal(returned, false);
  });

  test('CC and BCC headers add routing keys; BCC is removed before delivery', async (t) => {
    const s = await session(t);
    const x = await s.exchange('direct');
    const qa = await s.queue('a');
    const qb = await s.queue('b');
    const qc = await s.queue('c');
    await s.ch.bindQueue(qa, x, 'a');
    await s.ch.bindQueue(qb, x, 'b');
    await s.ch.bindQueue(qc, x, 'c');
    await s.publish(x, 'a', ['copied'], { CC: ['b'], BCC: ['c'], headers: { keep: 'me' } } as never);
    for (const q of [qa, qb, qc]) {
      const m = await getOne(s.ch, q, { noAck: true });
      assert.ok(m, `queue ${q} got nothing`);
      assert.equal(m.content.toString(), 'copied');
      assert.equal(m.fields.routingKey, 'a');
      assert.deepEqual(m.properties.headers?.CC, ['b']);
      assert.equal(m.properties.headers?.BCC, undefined);
      assert.equal(m.properties.headers?.keep, 'me');
    }
  });

  test('a CC key matching the same queue still delivers one copy', async (t) => {
    const s = await session(t);
    const x = await s.exchange('direct');
    const q = await s.queue();
    await s.ch.bindQueue(q, x, 'a');
    await s.ch.bindQueue(q, x, 'b');
    await s.publish(x, 'a', ['one'], { CC: ['b', 'a'] } as never);
    assert.deepEqual(await getAll(s.ch, q), ['one']);
  });

  test('user_id equal to the authenticated user is accepted and delivered', async (t) => {
    const s = await session(t);
    const q = await s.queue();
    await s.publish('', q, ['me'], { userId: 'guest' });
    const m = await getOne(s.ch, q, { noAck: true });
    assert.ok(m);
    assert.equal(m.properties.userId, 'guest');
  });

  test('user_id different from the authenticated user → 406 PRECONDITION_FAILED', async (t) => {
    const s = await session(t);
    const q = await s.queue();
    const ch = await s.channel();
    ch.sendToQueue(q, Buffer.from('spoof'), { userId: 'mallory' });
    const err = await expectChannelClosed(ch, 406, /PRECONDITION_FAILED/);
    assert.match(err.message, /user_id property set to 'mallory' but authenticated user was 'guest'/);
    assert.equal((await queueCounts(s.ch, q)).messageCount, 0);
  });
});
