// vhosts, users (password and RabbitMQ password hashes), permissions and topic permissions.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import amqp from 'amqplib';
import { startMgmt, type Mgmt } from './helpers/mgmt.js';

/** RabbitMQ's rabbit_password_hashing_sha256 with a fixed salt. */
function rabbitHash(password: string, salt = Buffer.from([1, 2, 3, 4])): string {
  return Buffer.concat([salt, createHash('sha256').update(salt).update(password, 'utf8').digest()]).toString('base64');
}

describe('management API: vhosts, users, permissions', () => {
  let m: Mgmt;
  before(async () => {
    m = await startMgmt();
  });
  after(() => m.close());

  it('vhosts: create (201), update (204), get, delete (closes its connections), 404s', async () => {
    assert.equal((await m.api('PUT', '/api/vhosts/v1', { description: 'first', tags: 'a,b' })).status, 201);
    assert.equal((await m.api('PUT', '/api/vhosts/v1', { description: 'changed' })).status, 204);
    const v = await m.api('GET', '/api/vhosts/v1');
    assert.equal(v.body.name, 'v1');
    assert.equal(v.body.description, 'changed');
    assert.deepEqual(v.body.tags, ['a', 'b']);
    assert.equal(v.body.messages, 0);
    // The creator gets full permissions on the new vhost, as in RabbitMQ.
    assert.deepEqual((await m.api('GET', '/api/permissions/v1/guest')).body, { user: 'guest', vhost: 'v1', configure: '.*', write: '.*', read: '.*' });
    const conn = await amqp.connect(m.amqpUrlFor('guest', 'guest', 'v1'));
    // amqplib reports a server-forced close (320) as a 'close' event carrying the error.
    const closed = new Promise<Error>((resolve) => conn.on('close', resolve));
    assert.equal((await m.api('DELETE', '/api/vhosts/v1')).status, 204);
    const err = (await closed) as Error & { code?: number };
    assert.equal(err.code, 320);
    assert.equal((await m.api('GET', '/api/vhosts/v1')).status, 404);
    assert.equal((await m.api('DELETE', '/api/vhosts/v1')).status, 404);
    assert.equal((await m.api('PUT', '/api/vhosts/v2', { bogus: 1 })).status, 400);
    assert.equal((await m.api('GET', '/api/vhosts/v2')).status, 404);
  });

  it('users: password, tags, hash export, login over AMQP, errors', async () => {
    assert.equal((await m.api('PUT', '/api/users/alice', { password: 's3cret', tags: 'administrator,monitoring' })).status, 201);
    const u = await m.api('GET', '/api/users/alice');
    assert.equal(u.body.name, 'alice');
    assert.deepEqual(u.body.tags, ['administrator', 'monitoring']);
    assert.equal(u.body.hashing_algorithm, 'rabbit_password_hashing_sha256');
    assert.equal(Buffer.from(u.body.password_hash, 'base64').length, 36);
    assert.ok(!JSON.stringify(u.body).includes('s3cret'));
    assert.equal((await m.api('PUT', '/api/users/alice', { tags: ['management'] })).status, 204);
    assert.deepEqual((await m.api('GET', '/api/users/alice')).body.tags, ['management']);
    // the password survived the tag change
    assert.equal((await m.api('GET', '/api/whoami', undefined, ['alice', 's3cret'])).status, 200);

    assert.deepEqual((await m.api('PUT', '/api/users/nobody', { password: 'x' })).body, { error: 'bad_request', reason: 'tags_not_present' });
    assert.deepEqual((await m.api('PUT', '/api/users/nobody', { password_hash: 'abc', tags: '' })).body, { error: 'bad_request', reason: ['not_base64', 'abc'] });
    assert.equal((await m.api('PUT', '/api/users/nobody', { password: 'x', tags: '', hashing_algorithm: 'rot13' })).status, 400);
    assert.equal((await m.api('PUT', '/api/users/nobody', { password: 5, tags: '' })).status, 400);
    assert.equal((await m.api('GET', '/api/users/nobody')).status, 404);

    // A hash made the way RabbitMQ makes it logs in over AMQP.
    assert.equal((await m.api('PUT', '/api/users/hashed', { password_hash: rabbitHash('from-rabbit'), hashing_algorithm: 'rabbit_password_hashing_sha256', tags: '' })).status, 201);
    assert.equal((await m.api('GET', '/api/users/hashed')).body.password_hash, rabbitHash('from-rabbit'));
    assert.equal((await m.api('PUT', '/api/permissions/%2F/hashed', { configure: '.*', write: '.*', read: '.*' })).status, 201);
    const c = await amqp.connect(m.amqpUrlFor('hashed', 'from-rabbit'));
    await c.close();
    await assert.rejects(amqp.connect(m.amqpUrlFor('hashed', 'wrong')));

    const list = await m.api('GET', '/api/users');
    assert.deepEqual(list.body.map((x: { name: string }) => x.name), ['alice', 'guest', 'hashed']);
    const without = await m.api('GET', '/api/users/without-permissions');
    assert.deepEqual(without.body.map((x: { name: string }) => x.name), ['alice']);
    assert.equal((await m.api('DELETE', '/api/users/hashed')).status, 204);
    assert.equal((await m.api('GET', '/api/permissions/%2F/hashed')).status, 404);
    assert.equal((await m.api('DELETE', '/api/users/hashed')).status, 404);
    await m.api('PUT', '/api/users/b1', { password: 'x', tags: '' });
    await m.api('PUT', '/api/users/b2', { password: 'x', tags: '' });
    assert.equal((await m.api('POST', '/api/users/bulk-delete', { users: ['b1', 'b2'] })).status, 204);
    assert.equal((await m.api('GET', '/api/users/b1')).status, 404);
  });

  it('permissions: set, list per user and vhost, invalid regex, unknown user, delete', async () => {
    await m.api('PUT', '/api/users/perm', { password: 'pw', tags: '' });
    assert.equal((await m.api('PUT', '/api/permissions/%2F/perm', { configure: '^a', write: '^b', read: '^c' })).status, 201);
    assert.equal((await m.api('PUT', '/api/permissions/%2F/perm', { configure: '^a', write: '^b', read: '^c' })).status, 204);
    assert.deepEqual((await m.api('GET', '/api/permissions/%2F/perm')).body, { user: 'perm', vhost: '/', configure: '^a', write: '^b', read: '^c' });
    assert.ok((await m.api('GET', '/api/permissions')).body.some((p: { user: string }) => p.user === 'perm'));
    assert.equal((await m.api('GET', '/api/users/perm/permissions')).body.length, 1);
    assert.ok((await m.api('GET', '/api/vhosts/%2F/permissions')).body.some((p: { user: string }) => p.user === 'perm'));
    assert.equal((await m.api('PUT', '/api/permissions/%2F/perm', { configure: '(', write: '', read: '' })).status, 400);
    assert.equal((await m.api('PUT', '/api/permissions/%2F/perm', { configure: '.*', write: '.*' })).status, 400);
    assert.deepEqual((await m.api('PUT', '/api/permissions/%2F/ghost', { configure: '.*', write: '.*', read: '.*' })).body, { error: 'bad_request', reason: 'vhost_or_user_not_found' });
    assert.deepEqual((await m.api('GET', '/api/permissions/%2F/perm')).body.configure, '^a');
    // enforced over AMQP
    const c = await amqp.connect(m.amqpUrlFor('perm', 'pw'));
    const ch = await c.createChannel();
    const failed = new Promise((resolve) => ch.on('error', resolve));
    await assert.rejects(ch.assertQueue('zzz', { durable: false }));
    await failed;
    await c.close();
    assert.equal((await m.api('DELETE', '/api/permissions/%2F/perm')).status, 204);
    assert.equal((await m.api('DELETE', '/api/permissions/%2F/perm')).status, 404);
  });

  it('topic permissions: set, list, filter by user and vhost, delete', async () => {
    await m.api('PUT', '/api/users/tp', { password: 'pw', tags: '' });
    assert.equal((await m.api('PUT', '/api/topic-permissions/%2F/tp', { exchange: 'amq.topic', write: '^x', read: '.*' })).status, 201);
    assert.equal((await m.api('PUT', '/api/topic-permissions/%2F/tp', { exchange: 'amq.topic', write: '^y', read: '.*' })).status, 204);
    assert.deepEqual((await m.api('GET', '/api/topic-permissions/%2F/tp')).body, [{ user: 'tp', vhost: '/', exchange: 'amq.topic', write: '^y', read: '.*' }]);
    assert.equal((await m.api('GET', '/api/topic-permissions')).body.length, 1);
    assert.equal((await m.api('GET', '/api/users/tp/topic-permissions')).body.length, 1);
    assert.equal((await m.api('GET', '/api/vhosts/%2F/topic-permissions')).body.length, 1);
    assert.equal((await m.api('PUT', '/api/topic-permissions/%2F/tp', { exchange: 'amq.topic', write: '[', read: '' })).status, 400);
    assert.equal((await m.api('PUT', '/api/topic-permissions/%2F/none', { exchange: 'amq.topic', write: '', read: '' })).status, 400);
    assert.equal((await m.api('DELETE', '/api/topic-permissions/%2F/tp')).status, 204);
    assert.equal((await m.api('GET', '/api/topic-permissions/%2F/tp')).status, 404);
  });

  it('topic permissions are enforced on topic exchanges: publish (write) and queue.bind (read)', async () => {
    await m.api('PUT', '/api/users/tu', { password: 'pw', tags: '' });
    await m.api('PUT', '/api/permissions/%2F/tu', { configure: '.*', write: '.*', read: '.*' });
    await m.api('PUT', '/api/exchanges/%2F/tx-free', { type: 'topic', durable: false });
    assert.equal((await m.api('PUT', '/api/topic-permissions/%2F/tu', { exchange: 'amq.topic', write: '^{username}\\.', read: '^allowed\\.' })).status, 201);
    const conn = await amqp.connect(m.amqpUrlFor('tu', 'pw'));
    try {
      const ch = await conn.createConfirmChannel();
      const q = await ch.assertQueue('', { exclusive: true });
      await ch.bindQueue(q.queue, 'amq.topic', 'allowed.#');
      ch.publish('amq.topic', 'tu.ok', Buffer.from('1'));
      await ch.waitForConfirms();
      // exchanges without topic permissions are not restricted
      ch.publish('tx-free', 'anything', Buffer.from('2'));
      await ch.waitForConfirms();
      const failed = new Promise<Error>((resolve) => ch.on('error', resolve));
      ch.publish('amq.topic', 'other.key', Buffer.from('3'));
      const err = (await failed) as Error & { code?: number };
      assert.equal(err.code, 403);
      assert.match(err.message, /write access to topic 'other\.key' in exchange 'amq\.topic' in vhost '\/' refused for user 'tu'/);

      const ch2 = await conn.createChannel();
      const failed2 = new Promise<Error>((resolve) => ch2.on('error', resolve));
      const q2 = await ch2.assertQueue('', { exclusive: true });
      await assert.rejects(ch2.bindQueue(q2.queue, 'amq.topic', 'secret.#'));
      assert.match((await failed2).message, /read access to topic 'secret\.#' in exchange 'amq\.topic'/);
    } finally {
      await conn.close().catch(() => undefined);
    }
    // removing the topic permission lifts the restriction
    assert.equal((await m.api('DELETE', '/api/topic-permissions/%2F/tu')).status, 204);
    const again = await amqp.connect(m.amqpUrlFor('tu', 'pw'));
    try {
      const ch = await again.createConfirmChannel();
      ch.publish('amq.topic', 'other.key', Buffer.from('4'));
      await ch.waitForConfirms();
    } finally {
      await again.close();
    }
  });
});
