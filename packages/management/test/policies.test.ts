// Policies and operator policies over HTTP: validation, effect on queues, definitions.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import amqp from 'amqplib';
import { startMgmt, type Mgmt } from './helpers/mgmt.js';

describe('management API: policies', () => {
  let m: Mgmt;
  before(async () => {
    m = await startMgmt();
    await m.api('PUT', '/api/users/pm', { password: 'pw', tags: 'policymaker' });
    await m.api('PUT', '/api/permissions/%2F/pm', { configure: '.*', write: '.*', read: '.*' });
    await m.api('PUT', '/api/users/mg', { password: 'pw', tags: 'management' });
    await m.api('PUT', '/api/permissions/%2F/mg', { configure: '.*', write: '.*', read: '.*' });
  });
  after(() => m.close());

  it('PUT creates (201) and updates (204); GET lists; the policy applies to matching queues', async () => {
    const body = { pattern: '^pol\\.', definition: { 'max-length': 2 }, priority: 1, 'apply-to': 'queues' };
    assert.equal((await m.api('PUT', '/api/policies/%2F/limit', body, ['pm', 'pw'])).status, 201);
    assert.equal((await m.api('PUT', '/api/policies/%2F/limit', body, ['pm', 'pw'])).status, 204);
    assert.deepEqual((await m.api('GET', '/api/policies/%2F/limit')).body, { vhost: '/', name: 'limit', pattern: '^pol\\.', 'apply-to': 'queues', definition: { 'max-length': 2 }, priority: 1 });
    assert.equal((await m.api('GET', '/api/policies')).body.length, 1);
    assert.equal((await m.api('GET', '/api/policies/%2F')).body.length, 1);

    await m.api('PUT', '/api/queues/%2F/pol.q', { durable: false });
    const q = (await m.api('GET', '/api/queues/%2F/pol.q')).body;
    assert.equal(q.policy, 'limit');
    assert.deepEqual(q.effective_policy_definition, { 'max-length': 2 });
    const conn = await amqp.connect(m.amqpUrl);
    try {
      const ch = await conn.createConfirmChannel();
      for (let i = 0; i < 5; i++) ch.sendToQueue('pol.q', Buffer.from(String(i)));
      await ch.waitForConfirms();
    } finally {
      await conn.close();
    }
    assert.equal((await m.api('GET', '/api/queues/%2F/pol.q')).body.messages, 2);
    assert.equal((await m.api('GET', '/api/queues/%2F/other')).status, 404);
  });

  it('rejects invalid policies with 400 and the reason, and enforces tags', async () => {
    const bad = await m.api('PUT', '/api/policies/%2F/bad', { pattern: '.*', definition: { 'max-length': 'lots' } });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error, 'bad_request');
    assert.match(bad.body.reason, /max-length|maximum length/);
    assert.equal((await m.api('PUT', '/api/policies/%2F/bad', { pattern: '.*', definition: {}, 'apply-to': 'everything' })).status, 400);
    assert.equal((await m.api('PUT', '/api/policies/%2F/bad', { definition: { 'max-length': 1 } })).status, 400);
    assert.equal((await m.api('GET', '/api/policies/%2F/bad')).status, 404);
    assert.equal((await m.api('PUT', '/api/policies/nowhere/p', { pattern: '.*', definition: { 'max-length': 1 } })).status, 404);
    const mg = await m.api('PUT', '/api/policies/%2F/p', { pattern: '.*', definition: { 'max-length': 1 } }, ['mg', 'pw']);
    assert.deepEqual([mg.status, mg.body.reason], [401, 'Not policymaker']);
    // operator policies are for administrators
    assert.equal((await m.api('PUT', '/api/operator-policies/%2F/op', { pattern: '.*', definition: { 'max-length': 1 } }, ['pm', 'pw'])).status, 401);
  });

  it('operator policies: set, listed, exported as operator_policy parameters, cleared', async () => {
    assert.equal((await m.api('PUT', '/api/operator-policies/%2F/cap', { pattern: '^pol\\.', definition: { 'max-length': 1 }, 'apply-to': 'queues', priority: 0 })).status, 201);
    assert.equal((await m.api('GET', '/api/operator-policies')).body[0].name, 'cap');
    const q = (await m.api('GET', '/api/queues/%2F/pol.q')).body;
    assert.equal(q.operator_policy, 'cap');
    assert.equal(q.effective_policy_definition['max-length'], 1);
    const defs = (await m.api('GET', '/api/definitions')).body;
    assert.ok(defs.policies.some((p: { name: string }) => p.name === 'limit'));
    assert.ok(defs.parameters.some((p: { component: string; name: string }) => p.component === 'operator_policy' && p.name === 'cap'));
    assert.equal((await m.api('PUT', '/api/operator-policies/%2F/bad', { pattern: '.*', definition: { 'alternate-exchange': 'x' } })).status, 400);
    assert.equal((await m.api('DELETE', '/api/operator-policies/%2F/cap')).status, 204);
    assert.equal((await m.api('DELETE', '/api/operator-policies/%2F/cap')).status, 404);
  });

  it('definitions import policies all-or-nothing', async () => {
    const good = { policies: [{ vhost: '/', name: 'imported', pattern: '^imp', 'apply-to': 'queues', definition: { 'message-ttl': 1000 }, priority: 0 }] };
    assert.equal((await m.api('POST', '/api/definitions', good)).status, 204);
    assert.equal((await m.api('GET', '/api/policies/%2F/imported')).status, 200);
    const bad = {
      queues: [{ name: 'not-created', vhost: '/', durable: true, auto_delete: false, arguments: {} }],
      policies: [{ vhost: '/', name: 'broken', pattern: '.*', 'apply-to': 'queues', definition: { 'message-ttl': -5 }, priority: 0 }],
    };
    const r = await m.api('POST', '/api/definitions', bad);
    assert.equal(r.status, 400);
    assert.match(r.body.reason, /policies\[0\]/);
    assert.equal((await m.api('GET', '/api/queues/%2F/not-created')).status, 404);
    assert.equal((await m.api('GET', '/api/policies/%2F/broken')).status, 404);
    assert.equal((await m.api('DELETE', '/api/policies/%2F/imported')).status, 204);
    assert.equal((await m.api('DELETE', '/api/policies/%2F/limit')).status, 204);
    assert.deepEqual((await m.api('GET', '/api/policies')).body, []);
  });
});
