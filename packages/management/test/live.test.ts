// connections, channels, consumers and message statistics, with real AMQP clients.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import amqp from 'amqplib';
import { eventually, startMgmt, type Mgmt } from './helpers/mgmt.js';

describe('management API: connections, channels, consumers, stats', () => {
  let m: Mgmt;
  before(async () => {
    m = await startMgmt({ statsIntervalMs: 200 });
  });
  after(() => m.close());

  it('lists connections, channels and consumers; a management user sees only its own', async () => {
    const conn = await amqp.connect(m.amqpUrl, { clientProperties: { connection_name: 'my-app' } });
    try {
      const ch = await conn.createChannel();
      await ch.prefetch(7);
      const q = await ch.assertQueue('', { exclusive: true });
      await ch.consume(q.queue, () => undefined, { consumerTag: 'ctag-1' });
      const list = await m.api('GET', '/api/connections');
      assert.equal(list.body.length, 1);
      const c = list.body[0];
      assert.equal(c.user, 'guest');
      assert.equal(c.vhost, '/');
      assert.equal(c.user_provided_name, 'my-app');
      assert.equal(c.client_properties.connection_name, 'my-app');
      assert.equal(c.protocol, 'AMQP 0-9-1');
      assert.equal(c.channels, 1);
      assert.equal(c.port, m.broker.port);
      assert.equal(c.ssl, false);
      assert.equal(c.state, 'running');
      assert.match(c.name, /^127\.0\.0\.1:\d+ -> 127\.0\.0\.1:\d+$/);
      assert.equal((await m.api('GET', `/api/connections/${encodeURIComponent(c.name)}`)).body.name, c.name);
      assert.equal((await m.api('GET', '/api/vhosts/%2F/connections')).body.length, 1);

      const chans = await m.api('GET', '/api/channels');
      assert.equal(chans.body.length, 1);
      assert.equal(chans.body[0].name, `${c.name} (1)`);
      assert.equal(chans.body[0].number, 1);
      assert.equal(chans.body[0].consumer_count, 1);
      assert.equal(chans.body[0].prefetch_count, 7);
      assert.equal(chans.body[0].connection_details.name, c.name);
      assert.equal((await m.api('GET', `/api/connections/${encodeURIComponent(c.name)}/channels`)).body.length, 1);
      const one = await m.api('GET', `/api/channels/${encodeURIComponent(chans.body[0].name)}`);
      assert.equal(one.body.consumer_details[0].consumer_tag, 'ctag-1');

      const consumers = await m.api('GET', '/api/consumers/%2F');
      assert.equal(consumers.body.length, 1);
      assert.equal(consumers.body[0].consumer_tag, 'ctag-1');
      assert.deepEqual(consumers.body[0].queue, { name: q.queue, vhost: '/' });
      assert.equal(consumers.body[0].ack_required, true);
      assert.equal(consumers.body[0].channel_details.connection_name, c.name);
      const qd = await m.api('GET', `/api/queues/%2F/${encodeURIComponent(q.queue)}`);
      assert.equal(qd.body.exclusive, true);
      assert.equal(qd.body.consumers, 1);
      assert.equal(qd.body.consumer_details[0].consumer_tag, 'ctag-1');
      assert.equal(qd.body.consumer_details[0].channel_details.connection_name, c.name);

      await m.api('PUT', '/api/users/watcher', { password: 'pw', tags: 'management' });
      await m.api('PUT', '/api/permissions/%2F/watcher', { configure: '.*', write: '.*', read: '.*' });
      assert.deepEqual((await m.api('GET', '/api/connections', undefined, ['watcher', 'pw'])).body, []);
      assert.equal((await m.api('GET', `/api/connections/${encodeURIComponent(c.name)}`, undefined, ['watcher', 'pw'])).status, 401);
    } finally {
      await conn.close();
    }
    await eventually(async () => (await m.api('GET', '/api/connections')).body.length === 0, 'connection gone from the list');
  });

  it('DELETE /api/connections/:name closes it with 320 and the X-Reason text', async () => {
    const conn = await amqp.connect(m.amqpUrl);
    const closed = new Promise<Error & { code?: number }>((resolve) => conn.on('close', resolve));
    const [c] = (await m.api('GET', '/api/connections')).body;
    const r = await m.api('DELETE', `/api/connections/${encodeURIComponent(c.name)}`, undefined, undefined, { 'X-Reason': 'maintenance window' });
    assert.equal(r.status, 204);
    const err = await closed;
    assert.equal(err.code, 320);
    assert.match(err.message, /CONNECTION_FORCED - maintenance window/);
    assert.equal((await m.api('DELETE', '/api/connections/no%20such')).status, 404);

    // all of one user's connections
    await m.api('PUT', '/api/users/many', { password: 'pw', tags: '' });
    await m.api('PUT', '/api/permissions/%2F/many', { configure: '.*', write: '.*', read: '.*' });
    const c1 = await amqp.connect(m.amqpUrlFor('many', 'pw'));
    const c2 = await amqp.connect(m.amqpUrlFor('many', 'pw'));
    const both = Promise.all([c1, c2].map((c) => new Promise<Error & { code?: number }>((resolve) => c.on('close', resolve))));
    assert.equal((await m.api('GET', '/api/connections/username/many')).body.length, 2);
    assert.equal((await m.api('DELETE', '/api/connections/username/many', undefined, undefined, { 'X-Reason': 'bye' })).status, 204);
    for (const e of await both) assert.equal(e.code, 320);
  });

  it('counts publishes, deliveries, acks, gets and confirms; rates move', async () => {
    const conn = await amqp.connect(m.amqpUrl);
    try {
      const ch = await conn.createConfirmChannel();
      await ch.assertQueue('stats-q', { durable: false });
      for (let i = 0; i < 10; i++) ch.sendToQueue('stats-q', Buffer.from(`m${i}`));
      await ch.waitForConfirms();
      const got = await ch.get('stats-q', { noAck: false });
      assert.ok(got !== false);
      ch.ack(got);
      await ch.get('stats-q', { noAck: true });
      let received = 0;
      await ch.consume('stats-q', (msg) => {
        if (msg !== null) {
          received++;
          ch.ack(msg);
        }
      });
      await eventually(() => received === 8, 'all messages consumed');
      ch.publish('', 'no-such-queue', Buffer.from('lost'));
      await ch.waitForConfirms();

      await eventually(async () => {
        const q = (await m.api('GET', '/api/queues/%2F/stats-q')).body;
        return q.message_stats.ack === 9;
      }, 'acks counted');
      const q = (await m.api('GET', '/api/queues/%2F/stats-q')).body;
      assert.equal(q.message_stats.publish, 10);
      assert.equal(q.message_stats.get, 1);
      assert.equal(q.message_stats.get_no_ack, 1);
      assert.equal(q.message_stats.deliver, 8);
      assert.equal(q.message_stats.deliver_get, 10);
      const [chan] = (await m.api('GET', '/api/channels')).body;
      assert.equal(chan.message_stats.publish, 11);
      assert.equal(chan.message_stats.confirm, 11);
      assert.equal(chan.message_stats.drop_unroutable, 1);
      assert.equal(chan.confirm, true);
      const o = (await m.api('GET', '/api/overview')).body;
      assert.equal(o.message_stats.publish, 11);
      assert.equal(o.message_stats.ack, 9);
      const [c] = (await m.api('GET', '/api/connections')).body;
      assert.ok(c.recv_oct > 0 && c.send_oct > 0);

      // keep publishing until a sample shows a publish rate
      const timer = setInterval(() => ch.sendToQueue('stats-q', Buffer.from('tick')), 10);
      try {
        await eventually(async () => (await m.api('GET', '/api/overview')).body.message_stats.publish_details.rate > 0, 'publish rate above zero');
        await eventually(async () => (await m.api('GET', '/api/queues/%2F/stats-q')).body.message_stats.publish_details.rate > 0, 'queue publish rate above zero');
      } finally {
        clearInterval(timer);
      }
    } finally {
      await conn.close();
    }
    // history for charts, as RabbitMQ's UI asks for it
    await eventually(async () => {
      const h = (await m.api('GET', '/api/overview?msg_rates_age=60&msg_rates_incr=0.2&lengths_age=60&lengths_incr=0.2')).body;
      return h.message_stats.publish_details.samples.length >= 3;
    }, 'three samples of history');
    const h = (await m.api('GET', '/api/overview?msg_rates_age=60&msg_rates_incr=0.2&lengths_age=60&lengths_incr=0.2')).body;
    const samples = h.message_stats.publish_details.samples as { sample: number; timestamp: number }[];
    for (let i = 1; i < samples.length; i++) {
      assert.ok(samples[i - 1]!.timestamp > samples[i]!.timestamp, 'newest first');
      assert.ok(samples[i - 1]!.sample >= samples[i]!.sample, 'counters never go down');
    }
    assert.equal(typeof h.message_stats.publish_details.avg_rate, 'number');
    assert.ok(Array.isArray(h.queue_totals.messages_details.samples));
    assert.equal((await m.api('GET', '/api/overview')).body.message_stats.publish_details.samples, undefined);
    // a closed channel's counts stay in the vhost and overview totals
    const o = (await m.api('GET', '/api/overview')).body;
    assert.ok(o.message_stats.publish >= 11);
    const v = (await m.api('GET', '/api/vhosts/%2F')).body;
    assert.ok(v.message_stats.publish >= 11);
  });

  it('exchanges count publish_in and publish_out (per queue routed to); no message_stats before traffic', async () => {
    const conn = await amqp.connect(m.amqpUrl);
    try {
      const ch = await conn.createConfirmChannel();
      await ch.assertExchange('stats-ex', 'direct', { durable: false });
      await ch.assertExchange('stats-idle', 'fanout', { durable: false });
      for (const q of ['stats-ex-a', 'stats-ex-b']) {
        await ch.assertQueue(q, { durable: false });
        await ch.bindQueue(q, 'stats-ex', 'both');
      }
      await ch.bindQueue('stats-ex-a', 'stats-ex', 'only-a');
      for (let i = 0; i < 3; i++) ch.publish('stats-ex', 'both', Buffer.from('x'));
      ch.publish('stats-ex', 'only-a', Buffer.from('x'));
      ch.publish('stats-ex', 'nowhere', Buffer.from('x'));
      await ch.waitForConfirms();
      assert.equal((await m.api('POST', '/api/exchanges/%2F/stats-ex/publish', { routing_key: 'both', payload: 'y', payload_encoding: 'string', properties: {} })).body.routed, true);
      const ex = (await m.api('GET', '/api/exchanges/%2F/stats-ex')).body;
      assert.equal(ex.message_stats.publish_in, 6);
      assert.equal(ex.message_stats.publish_out, 9);
      assert.equal(typeof ex.message_stats.publish_in_details.rate, 'number');
      assert.equal((await m.api('GET', '/api/exchanges/%2F/stats-idle')).body.message_stats, undefined);
      const listed = ((await m.api('GET', '/api/exchanges/%2F')).body as Array<{ name: string; message_stats?: { publish_in: number } }>).find((e) => e.name === 'stats-ex');
      assert.equal(listed?.message_stats?.publish_in, 6);
      // keep publishing until a sample shows the rates
      const timer = setInterval(() => ch.publish('stats-ex', 'both', Buffer.from('tick')), 10);
      try {
        await eventually(async () => {
          const s = (await m.api('GET', '/api/exchanges/%2F/stats-ex')).body.message_stats;
          return s.publish_in_details.rate > 0 && s.publish_out_details.rate > s.publish_in_details.rate;
        }, 'exchange rates above zero, out twice in');
      } finally {
        clearInterval(timer);
      }
    } finally {
      await conn.close();
    }
  });
});
