// Invalid x-arguments: 406 PRECONDITION_FAILED naming the argument in RabbitMQ's words, and
// nothing created (a passive declare afterwards finds nothing).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { consume, expectChannelError, uniqueName } from '../helpers/amqp.js';
import { client, startFeatureBroker, type FeatureBroker } from './helpers.js';

let fb: FeatureBroker;
before(async () => { fb = await startFeatureBroker(); });
after(async () => { await fb.close(); });

const Q = "queue '[^']+' in vhost '/'";
const queueCases: Array<[string, Record<string, unknown>, string]> = [
  ['negative TTL', { 'x-message-ttl': -1 }, `invalid arg 'x-message-ttl' for ${Q}: \\{value_negative,-1\\}`],
  ['TTL too large', { 'x-message-ttl': 4294967296 }, `invalid arg 'x-message-ttl' for ${Q}: \\{value_too_large,4294967296,4294967295\\}`],
  ['string TTL', { 'x-message-ttl': '1000' }, `invalid arg 'x-message-ttl' for ${Q}: \\{unacceptable_type,longstr\\}`],
  ['fractional TTL', { 'x-message-ttl': 1.5 }, `invalid arg 'x-message-ttl' for ${Q}: \\{unacceptable_type,double\\}`],
  ['zero x-expires', { 'x-expires': 0 }, `invalid arg 'x-expires' for ${Q}: \\{value_zero,0\\}`],
  ['negative x-expires', { 'x-expires': -5 }, `invalid arg 'x-expires' for ${Q}: \\{value_negative,-5\\}`],
  ['negative max-length', { 'x-max-length': -1 }, `invalid arg 'x-max-length' for ${Q}: \\{value_negative,-1\\}`],
  ['string max-length-bytes', { 'x-max-length-bytes': 'big' }, `invalid arg 'x-max-length-bytes' for ${Q}: \\{unacceptable_type,longstr\\}`],
  ['unknown overflow', { 'x-overflow': 'drop-tail' }, `invalid arg 'x-overflow' for ${Q}: \\{unknown_overflow_type,<<"drop-tail">>\\}`],
  ['priority > 255', { 'x-max-priority': 256 }, `invalid arg 'x-max-priority' for ${Q}: \\{value_too_large,256,255\\}`],
  ['negative priority', { 'x-max-priority': -1 }, `invalid arg 'x-max-priority' for ${Q}: \\{value_negative,-1\\}`],
  ['numeric DLX', { 'x-dead-letter-exchange': 5 }, `invalid arg 'x-dead-letter-exchange' for ${Q}: \\{unacceptable_type,long\\}`],
  ['DL routing key without DLX', { 'x-dead-letter-routing-key': 'rk' }, `invalid arg 'x-dead-letter-routing-key' for ${Q}: routing_key_but_no_dlx_defined`],
  ['string single-active-consumer', { 'x-single-active-consumer': 'yes' }, `invalid arg 'x-single-active-consumer' for ${Q}: \\{unacceptable_type,longstr\\}`],
  ['unknown queue mode', { 'x-queue-mode': 'eager' }, `invalid arg 'x-queue-mode' for ${Q}: \\{unknown_queue_mode,<<"eager">>\\}`],
  ['negative delivery limit', { 'x-delivery-limit': -7 }, `invalid arg 'x-delivery-limit' for ${Q}: \\{value_negative,-7\\}`],
  ['string consumer timeout', { 'x-consumer-timeout': 'long' }, `invalid arg 'x-consumer-timeout' for ${Q}: \\{unacceptable_type,longstr\\}`],
];

describe('invalid queue arguments', () => {
  for (const [what, args, text] of queueCases) {
    test(`${what} → 406 naming the argument, queue not created`, async (t) => {
      const c = await client(fb.url);
      t.after(() => c.close());
      const q = uniqueName('badarg');
      await expectChannelError(c.ch.assertQueue(q, { durable: false, arguments: args }), 406, new RegExp(`PRECONDITION_FAILED - ${text}`));
      const c2 = await client(fb.url);
      t.after(() => c2.close());
      await expectChannelError(c2.ch.checkQueue(q), 404);
    });
  }

  test('one bad argument among good ones: nothing is applied', async (t) => {
    const c = await client(fb.url);
    t.after(() => c.close());
    const q = uniqueName('badarg-mixed');
    await expectChannelError(c.ch.assertQueue(q, { durable: false, arguments: { 'x-max-length': 5, 'x-message-ttl': 1000, 'x-overflow': 'nope' } }), 406, /x-overflow/);
    const c2 = await client(fb.url);
    t.after(() => c2.close());
    // declared again with valid arguments it is new, with exactly those arguments
    await c2.ch.assertQueue(q, { durable: false, arguments: { 'x-max-length': 1 } });
    for (let i = 0; i < 3; i++) c2.ch.sendToQueue(q, Buffer.from(String(i)));
    assert.equal((await c2.ch.checkQueue(q)).messageCount, 1);
  });
});

describe('invalid exchange and consumer arguments', () => {
  test('a numeric alternate-exchange → 406 naming it, exchange not created', async (t) => {
    const c = await client(fb.url);
    t.after(() => c.close());
    const ex = uniqueName('badae');
    await expectChannelError(c.ch.assertExchange(ex, 'direct', { durable: false, arguments: { 'alternate-exchange': 42 } }), 406,
      /PRECONDITION_FAILED - invalid arg 'alternate-exchange' for exchange '[^']+' in vhost '\/': \{unacceptable_type,long\}/);
    const c2 = await client(fb.url);
    t.after(() => c2.close());
    await expectChannelError(c2.ch.checkExchange(ex), 404);
  });

  test('a string consumer x-priority → 406 naming the argument and the queue', async (t) => {
    const c = await client(fb.url);
    t.after(() => c.close());
    const q = uniqueName('badprio');
    await c.ch.assertQueue(q, { durable: false });
    await expectChannelError(consume(c.ch, q, { arguments: { 'x-priority': 'high' } }), 406,
      new RegExp(`PRECONDITION_FAILED - invalid arg 'x-priority' for queue '${q}' in vhost '/': \\{unacceptable_type,longstr\\}`));
  });
});
