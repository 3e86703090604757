// Authentication, access levels, error shapes, overview, nodes, whoami, health checks.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PRODUCT, VERSION } from '@warren/broker';
import { startMgmt, type Mgmt } from './helpers/mgmt.js';

describe('management API: auth and core endpoints', () => {
  let m: Mgmt;
  before(async () => {
    m = await startMgmt();
    for (const [name, tags] of [['mgmt', 'management'], ['mon', 'monitoring'], ['pm', 'policymaker'], ['plain', '']] as const) {
      assert.equal((await m.api('PUT', `/api/users/${name}`, { password: 'pw', tags })).status, 201);
    }
  });
  after(() => m.close());

  it('rejects missing and wrong credentials with 401 and a Basic challenge', async () => {
    const none = await m.api('GET', '/api/overview', undefined, null);
    assert.equal(none.status, 401);
    assert.match(none.headers.get('www-authenticate') ?? '', /^Basic realm="RabbitMQ Management"/);
    assert.deepEqual(none.body, { error: 'not_authorized', reason: 'Login failed' });
    const wrong = await m.api('GET', '/api/overview', undefined, ['guest', 'nope']);
    assert.equal(wrong.status, 401);
    assert.deepEqual(wrong.body, { error: 'not_authorized', reason: 'Login failed' });
  });

  it('needs a management tag; tags decide access as in RabbitMQ', async () => {
    const plain = await m.api('GET', '/api/whoami', undefined, ['plain', 'pw']);
    assert.equal(plain.status, 401);
    assert.deepEqual(plain.body, { error: 'not_authorised', reason: 'Not management user' });

    const users = await m.api('GET', '/api/users', undefined, ['mgmt', 'pw']);
    assert.equal(users.status, 401);
    assert.deepEqual(users.body, { error: 'not_authorised', reason: 'Not administrator user' });
    const nodes = await m.api('GET', '/api/nodes', undefined, ['mgmt', 'pw']);
    assert.deepEqual([nodes.status, nodes.body], [401, { error: 'not_authorised', reason: 'Not monitor user' }]);

    assert.equal((await m.api('GET', '/api/nodes', undefined, ['mon', 'pw'])).status, 200);
    assert.equal((await m.api('GET', '/api/users', undefined, ['mon', 'pw'])).status, 401);
    assert.equal((await m.api('GET', '/api/parameters', undefined, ['pm', 'pw'])).status, 200);
    assert.equal((await m.api('GET', '/api/parameters', undefined, ['mgmt', 'pw'])).status, 401);
  });

  it('management users only see vhosts they have permissions on; monitors see all', async () => {
    assert.equal((await m.api('PUT', '/api/vhosts/hidden')).status, 201);
    const mine = await m.api('GET', '/api/vhosts', undefined, ['mgmt', 'pw']);
    assert.deepEqual(mine.body, []);
    const q = await m.api('GET', '/api/queues/hidden', undefined, ['mgmt', 'pw']);
    assert.deepEqual([q.status, q.body], [401, { error: 'not_authorised', reason: 'User not authorised to access virtual host' }]);
    const mon = await m.api('GET', '/api/vhosts', undefined, ['mon', 'pw']);
    assert.deepEqual(mon.body.map((v: { name: string }) => v.name).sort(), ['/', 'hidden']);
    assert.equal((await m.api('PUT', '/api/permissions/hidden/mgmt', { configure: '.*', write: '.*', read: '.*' })).status, 201);
    const now = await m.api('GET', '/api/vhosts', undefined, ['mgmt', 'pw']);
    assert.deepEqual(now.body.map((v: { name: string }) => v.name), ['hidden']);
  });

  it('whoami names the user and its tags', async () => {
    const r = await m.api('GET', '/api/whoami');
    assert.deepEqual(r.body, { name: 'guest', tags: ['administrator'] });
  });

  it('overview carries product, versions, totals and message_stats', async () => {
    const r = await m.api('GET', '/api/overview');
    assert.equal(r.status, 200);
    assert.equal(r.body.product_name, PRODUCT);
    assert.equal(r.body.product_version, VERSION);
    assert.equal(r.body.management_version, VERSION);
    assert.equal(typeof r.body.rabbitmq_version, 'string');
    assert.equal(r.body.node, m.broker.clusterName);
    for (const k of ['connections', 'channels', 'consumers', 'exchanges', 'queues']) assert.equal(typeof r.body.object_totals[k], 'number');
    for (const k of ['messages', 'messages_ready', 'messages_unacknowledged']) {
      assert.equal(typeof r.body.queue_totals[k], 'number');
      assert.equal(typeof r.body.queue_totals[`${k}_details`].rate, 'number');
    }
    assert.equal(typeof r.body.message_stats.publish_details.rate, 'number');
    assert.ok(r.body.exchange_types.some((t: { name: string }) => t.name === 'topic'));
    assert.ok(r.body.listeners.some((l: { protocol: string; port: number }) => l.protocol === 'amqp' && l.port === m.broker.port));
  });

  it('nodes lists this node with memory and disk figures', async () => {
    const r = await m.api('GET', '/api/nodes');
    assert.equal(r.body.length, 1);
    const n = r.body[0];
    assert.equal(n.name, m.broker.clusterName);
    assert.equal(n.running, true);
    assert.equal(typeof n.mem_used, 'number');
    assert.equal(typeof n.disk_free, 'number');
    assert.equal((await m.api('GET', `/api/nodes/${encodeURIComponent(n.name)}`)).body.name, n.name);
    assert.equal((await m.api('GET', '/api/nodes/nope@nowhere')).status, 404);
  });

  it('answers unknown objects and routes with RabbitMQ\'s 404 body', async () => {
    for (const path of ['/api/queues/%2F/missing', '/api/exchanges/%2F/missing', '/api/vhosts/missing', '/api/no-such-endpoint']) {
      const r = await m.api('GET', path);
      assert.equal(r.status, 404, path);
      assert.deepEqual(r.body, { error: 'Object Not Found', reason: 'Not Found' }, path);
    }
  });

  it('health checks answer {"status":"ok"} and 503 with a reason', async () => {
    for (const path of ['/api/health/checks/alarms', '/api/health/checks/local-alarms', '/api/health/checks/virtual-hosts',
      '/api/health/checks/certificate-expiration/1/months', '/api/health/checks/protocol-listener/amqp', '/api/health/checks/node-is-quorum-critical']) {
      const r = await m.api('GET', path);
      assert.equal(r.status, 200, path);
      assert.equal(r.body.status, 'ok', path);
    }
    assert.deepEqual((await m.api('GET', '/api/healthchecks/node')).body, { status: 'ok' });
    assert.equal((await m.api('GET', `/api/healthchecks/node/${encodeURIComponent(m.broker.clusterName)}`)).status, 200);
    const port = await m.api('GET', `/api/health/checks/port-listener/${m.broker.port}`);
    assert.deepEqual([port.status, port.body.status], [200, 'ok']);
    const missing = await m.api('GET', '/api/health/checks/port-listener/1');
    assert.equal(missing.status, 503);
    assert.equal(missing.body.status, 'failed');
    assert.match(missing.body.reason, /No active listener/);
    const proto = await m.api('GET', '/api/health/checks/protocol-listener/stomp');
    assert.equal(proto.status, 503);
    assert.equal((await m.api('GET', '/api/health/checks/certificate-expiration/x/days')).status, 400);
  });

  it('aliveness-test round-trips a message in the vhost', async () => {
    const r = await m.api('GET', '/api/aliveness-test/%2F');
    assert.deepEqual([r.status, r.body], [200, { status: 'ok' }]);
    assert.equal((await m.api('GET', '/api/aliveness-test/missing')).status, 404);
  });

  it('cluster-name can be read and set by an administrator', async () => {
    assert.equal((await m.api('GET', '/api/cluster-name')).body.name, m.broker.clusterName);
    assert.equal((await m.api('PUT', '/api/cluster-name', { name: 'rabbit-test' })).status, 204);
    assert.equal((await m.api('GET', '/api/cluster-name')).body.name, 'rabbit-test');
    assert.equal((await m.api('PUT', '/api/cluster-name', { name: 'x' }, ['mon', 'pw'])).status, 401);
  });
});
