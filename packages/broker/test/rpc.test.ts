// Request/reply: RabbitMQ's direct reply-to pseudo-queue and classic RPC over an exclusive reply queue.
import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { useFileBroker } from './helpers/file-broker.js';
import {
  connect,
  consume,
  expectChannelClosed,
  expectChannelError,
  openChannel,
  safeClose,
  withTimeout,
} from './helpers/amqp.js';
import type { Channel, ChannelModel } from 'amqplib';

const REPLY_TO = 'amq.rabbitmq.reply-to';

const { session, url: brokerUrl } = useFileBroker();

/**
 * An RPC server on its own connection: upper-cases each request body, replies to its reply_to with the
 * same correlation id, and records the reply_to values it saw.
 */
async function startUpperCaseServer(t: TestContext, queue: string): Promise<{ seenReplyTo: string[] }> {
  const conn: ChannelModel = await connect(brokerUrl());
  t.after(() => safeClose(conn));
  const ch: Channel = await openChannel(conn);
  await ch.assertQueue(queue, { durable: false });
  const seenReplyTo: string[] = [];
  await ch.consume(queue, (m) => {
    if (!m) return;
    seenReplyTo.push(m.properties.replyTo as string);
    ch.publish('', m.properties.replyTo as string, Buffer.from(m.content.toString().toUpperCase()), {
      correlationId: m.properties.correlationId as string,
    });
    ch.ack(m);
  });
  return { seenReplyTo };
}

describe('direct reply-to', () => {
  test('replies come back on the pseudo-queue; the server sees a rewritten amq.rabbitmq.reply-to.* address', async (t) => {
    const s = await session(t);
    const requests = s.queueName('rpc-requests');
    const server = await startUpperCaseServer(t, requests);
    const ch = await s.channel();
    const replies = await consume(ch, REPLY_TO, { noAck: true });
    for (const [i, word] of ['alpha', 'beta', 'gamma'].entries()) {
      ch.sendToQueue(requests, Buffer.from(word), { replyTo: REPLY_TO, correlationId: `c${i}` });
    }
    const got = await replies.waitForCount(3);
    assert.deepEqual(
      got.map((m) => [m.properties.correlationId, m.content.toString()]),
      [
        ['c0', 'ALPHA'],
        ['c1', 'BETA'],
        ['c2', 'GAMMA'],
      ],
    );
    assert.equal(server.seenReplyTo.length, 3);
    for (const r of server.seenReplyTo) {
      assert.match(r, /^amq\.rabbitmq\.reply-to\.[^.]/);
      assert.notEqual(r, REPLY_TO);
    }
    assert.equal(got[0]!.fields.routingKey, server.seenReplyTo[0]);
  });

  test('publishing with reply_to set but no reply consumer on the channel → 406 PRECONDITION_FAILED', async (t) => {
    const s = await session(t);
    const requests = await s.queue('rpc-requests');
    const ch = await s.channel();
    ch.sendToQueue(requests, Buffer.from('x'), { replyTo: REPLY_TO });
    const err = await expectChannelClosed(ch, 406, /PRECONDITION_FAILED/);
    assert.match(err.message, /fast reply consumer does not exist/);
  });

  test('consuming the pseudo-queue with acks → 406 PRECONDITION_FAILED', async (t) => {
    const s = await session(t);
    const ch = await s.channel();
    const err = await expectChannelError(ch.consume(REPLY_TO, () => undefined, { noAck: false }), 406, /PRECONDITION_FAILED/);
    assert.match(err.message, /reply consumer cannot acknowledge/);
  });

  test('a reply to a requester that has gone away is dropped', async (t) => {
    const s = await session(t);
    const requests = s.queueName('rpc-requests');
    await s.ch.assertQueue(requests, { durable: false });
    const requester = await connect(brokerUrl());
    const rch = await openChannel(requester);
    await consume(rch, REPLY_TO, { noAck: true });
    rch.sendToQueue(requests, Buffer.from('hello'), { replyTo: REPLY_TO });
    await withTimeout(rch.checkQueue(requests));
    await safeClose(requester);
    const req = await withTimeout(s.ch.get(requests, { noAck: true }));
    assert.ok(req);
    // Replying must not fail the replier's channel; a confirm proves the broker accepted it.
    await s.publish('', req.properties.replyTo as string, ['too late']);
    await withTimeout(s.ch.checkQueue(requests));
  });
});

describe('classic RPC', () => {
  test('replies arrive on an exclusive server-named reply queue, matched by correlation id', async (t) => {
    const s = await session(t);
    const requests = s.queueName('rpc-requests');
    const server = await startUpperCaseServer(t, requests);
    const ch = await s.channel();
    const { queue: replyQueue } = await ch.assertQueue('', { exclusive: true, autoDelete: true });
    const replies = await consume(ch, replyQueue, { noAck: true });
    ch.sendToQueue(requests, Buffer.from('one'), { replyTo: replyQueue, correlationId: 'id-1' });
    ch.sendToQueue(requests, Buffer.from('two'), { replyTo: replyQueue, correlationId: 'id-2' });
    const got = await replies.waitForCount(2);
    const byId = new Map(got.map((m) => [m.properties.correlationId as string, m.content.toString()]));
    assert.equal(byId.get('id-1'), 'ONE');
    assert.equal(byId.get('id-2'), 'TWO');
    assert.deepEqual(server.seenReplyTo, [replyQueue, replyQueue]);
  });
});
