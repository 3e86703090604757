// Access control from definitions: per-vhost configure/write/read regular expressions.
//
// Not covered: RabbitMQ refuses the guest user on non-loopback connections, but this suite may only
// ever connect to 127.0.0.1/::1, so that rule cannot be exercised here.
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { withBroker, type Definitions, type TestBroker } from './helpers/broker.js';
import { connect, expectChannelClosed, expectChannelError, openChannel, safeClose, withTimeout } from './helpers/amqp.js';
import { RawClient, methods, PROTOCOL_HEADER } from './helpers/raw-amqp.js';
import type { Channel, ChannelModel } from 'amqplib';

// Fixed names with the pid, so runs against a shared RabbitMQ do not collide; deleted on close.
const VHOST = `perm-vh-${process.pid}`;
const LIMITED = `limited-${process.pid}`;
const OUTSIDER = `outsider-${process.pid}`;
const PASSWORD = 's3cret-pw';

const definitions: Definitions = {
  users: [
    { name: LIMITED, password: PASSWORD, tags: '' },
    { name: OUTSIDER, password: PASSWORD, tags: '' },
  ],
  vhosts: [{ name: VHOST }],
  permissions: [
    // guest administers the test vhost so it can create things the limited user may not.
    { user: 'guest', vhost: VHOST, configure: '.*', write: '.*', read: '.*' },
    { user: LIMITED, vhost: VHOST, configure: '^lim-', write: '^lim-', read: '^lim-' },
    // OUTSIDER has no permissions on VHOST at all.
  ],
};

let broker: TestBroker;
let admin: ChannelModel;
let adminCh: Channel;
before(async () => {
  broker = await withBroker({ definitions });
  admin = await connect(broker.urlFor('guest', 'guest', VHOST));
  adminCh = await openChannel(admin);
  await adminCh.assertQueue('open-q', { durable: false });
  await adminCh.assertExchange('open-x', 'direct', { durable: false });
  await adminCh.assertExchange('lim-x', 'direct', { durable: false });
  await adminCh.assertQueue('lim-q', { durable: false });
});
after(async () => {
  await safeClose(admin);
  await broker?.close();
});

async function limitedChannel(t: TestContext): Promise<{ conn: ChannelModel; ch: Channel }> {
  const conn = await connect(broker.urlFor(LIMITED, PASSWORD, VHOST));
  t.after(() => safeClose(conn));
  return { conn, ch: await openChannel(conn) };
}

describe('vhost access', () => {
  test('a user without permissions on the vhost → 530 NOT_ALLOWED at connection.open', async () => {
    const c = await RawClient.connect(broker.port, broker.host);
    try {
      c.send(PROTOCOL_HEADER);
      await c.readMethod(10, 10);
      c.send(methods.startOk(OUTSIDER, PASSWORD));
      await c.readMethod(10, 30);
      c.send(methods.tuneOk(2047, 131072, 0));
      c.send(methods.open(VHOST));
      const close = await c.expectConnectionClose();
      assert.equal(close.replyCode, 530);
      assert.match(close.replyText, /^NOT_ALLOWED - /);
      assert.match(close.replyText, new RegExp(`access to vhost '${VHOST}' refused for user '${OUTSIDER}'`));
    } finally {
      c.destroy();
    }
  });

  test('the same user can log in to a vhost it has permissions on', async (t) => {
    const { ch } = await limitedChannel(t);
    await withTimeout(ch.checkQueue('lim-q'));
  });

  test('definitions users authenticate with their password only', async () => {
    await assert.rejects(connect(broker.urlFor(LIMITED, 'wrong', VHOST)), /403.*ACCESS_REFUSED/s);
  });
});

describe('configure permission', () => {
  test('declaring a queue inside the pattern works, outside → 403 ACCESS_REFUSED', async (t) => {
    const { ch } = await limitedChannel(t);
    const ok = await withTimeout(ch.assertQueue('lim-mine', { durable: false, autoDelete: true }));
    assert.equal(ok.queue, 'lim-mine');
    const err = await expectChannelError(ch.assertQueue('not-mine', { durable: false }), 403, /ACCESS_REFUSED/);
    assert.match(err.message, new RegExp(`access to queue 'not-mine' in vhost '${VHOST}' refused for user '${LIMITED}'`));
  });

  test('declaring or deleting an exchange outside the pattern → 403 ACCESS_REFUSED', async (t) => {
    const { conn } = await limitedChannel(t);
    const e1 = await expectChannelError((await openChannel(conn)).assertExchange('my-x', 'fanout'), 403, /ACCESS_REFUSED/);
    assert.match(e1.message, /access to exchange 'my-x'/);
    await expectChannelError((await openChannel(conn)).deleteExchange('open-x'), 403, /ACCESS_REFUSED/);
    await expectChannelError((await openChannel(conn)).deleteQueue('open-q'), 403, /ACCESS_REFUSED/);
  });

  test('a passive declare needs no configure permission', async (t) => {
    const { ch } = await limitedChannel(t);
    const ok = await withTimeout(ch.checkQueue('open-q'));
    assert.equal(ok.queue, 'open-q');
  });
});

describe('write permission', () => {
  test('publishing to a non-writable exchange → 403 ACCESS_REFUSED', async (t) => {
    const { ch } = await limitedChannel(t);
    ch.publish('open-x', 'k', Buffer.from('nope'));
    const err = await expectChannelClosed(ch, 403, /ACCESS_REFUSED/);
    assert.match(err.message, /access to exchange 'open-x'/);
  });

  test('publishing via the default exchange is checked as write on amq.default', async (t) => {
    const { ch } = await limitedChannel(t);
    ch.sendToQueue('lim-q', Buffer.from('nope'));
    const err = await expectChannelClosed(ch, 403, /ACCESS_REFUSED/);
    assert.match(err.message, /access to exchange 'amq\.default'/);
  });

  test('publishing to a writable exchange works', async (t) => {
    await adminCh.bindQueue('lim-q', 'lim-x', 'k');
    t.after(() => adminCh.unbindQueue('lim-q', 'lim-x', 'k'));
    const { conn } = await limitedChannel(t);
    const ch = await conn.createConfirmChannel();
    ch.on('error', () => undefined);
    ch.publish('lim-x', 'k', Buffer.from('allowed'));
    await withTimeout(ch.waitForConfirms());
    const m = await withTimeout(adminCh.get('lim-q', { noAck: true }));
    assert.ok(m);
    assert.equal(m.content.toString(), 'allowed');
  });

  test('binding needs write on the queue and read on the exchange', async (t) => {
    const { conn } = await limitedChannel(t);
    // Read on open-x is missing.
    const e1 = await expectChannelError((await openChannel(conn)).bindQueue('lim-q', 'open-x', 'k'), 403, /ACCESS_REFUSED/);
    assert.match(e1.message, /access to exchange 'open-x'/);
    // Write on open-q is missing.
    const e2 = await expectChannelError((await openChannel(conn)).bindQueue('open-q', 'lim-x', 'k'), 403, /ACCESS_REFUSED/);
    assert.match(e2.message, /access to queue 'open-q'/);
  });
});

describe('read permission', () => {
  test('consuming from a non-readable queue → 403 ACCESS_REFUSED', async (t) => {
    const { ch } = await limitedChannel(t);
    const err = await expectChannelError(ch.consume('open-q', () => undefined), 403, /ACCESS_REFUSED/);
    assert.match(err.message, new RegExp(`access to queue 'open-q' in vhost '${VHOST}' refused for user '${LIMITED}'`));
  });

  test('basic.get and purge of a non-readable queue → 403 ACCESS_REFUSED', async (t) => {
    const { conn } = await limitedChannel(t);
    await expectChannelError((await openChannel(conn)).get('open-q'), 403, /ACCESS_REFUSED/);
    await expectChannelError((await openChannel(conn)).purgeQueue('open-q'), 403, /ACCESS_REFUSED/);
  });

  test('consuming from a readable queue works', async (t) => {
    const { ch } = await limitedChannel(t);
    const ok = await withTimeout(ch.consume('lim-q', () => undefined));
    assert.match(ok.consumerTag, /^amq\.ctag-/);
  });
});
