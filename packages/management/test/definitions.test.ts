// Definitions export/import (RabbitMQ's JSON format, all-or-nothing) and runtime parameters.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import amqp from 'amqplib';
import { startMgmt, type Mgmt } from './helpers/mgmt.js';

// Exported by RabbitMQ 3.10.8 (GET /api/definitions); user "mu" has the password "m".
const RABBIT_EXPORT = JSON.parse(readFileSync(new URL('./fixtures/rabbitmq-3.10.8-definitions.json', import.meta.url), 'utf8'));

describe('management API: definitions and parameters', () => {
  let m: Mgmt;
  before(async () => {
    m = await startMgmt();
  });
  after(() => m.close());

  it('imports a RabbitMQ 3.10 export as is: users log in with their RabbitMQ hashes', async () => {
    const r = await m.api('POST', '/api/definitions', RABBIT_EXPORT);
    assert.equal(r.status, 204, r.text);
    assert.equal((await m.api('GET', '/api/vhosts/v2')).status, 200);
    assert.deepEqual((await m.api('GET', '/api/queues/%2F/dq')).body.arguments, { 'x-max-length': 5 });
    assert.equal((await m.api('GET', '/api/exchanges/%2F/tx')).body.type, 'topic');
    assert.equal((await m.api('GET', '/api/bindings/%2F/e/tx/q/dq')).body.length, 2);
    assert.deepEqual((await m.api('GET', '/api/topic-permissions/%2F/mu')).body[0].exchange, 'amq.topic');
    const conn = await amqp.connect(m.amqpUrlFor('mu', 'm'));
    await conn.close();
    assert.equal((await m.api('GET', '/api/whoami', undefined, ['mu', 'm'])).body.name, 'mu');
  });

  it('exports in RabbitMQ\'s format, and the export imports into a fresh broker unchanged', async () => {
    const out = await m.api('GET', '/api/definitions?download=defs.json');
    assert.equal(out.status, 200);
    assert.match(out.headers.get('content-disposition') ?? '', /attachment; filename="defs.json"/);
    const d = out.body;
    for (const k of ['rabbit_version', 'rabbitmq_version', 'product_name', 'product_version', 'users', 'vhosts', 'permissions', 'topic_permissions', 'parameters', 'global_parameters', 'policies', 'queues', 'exchanges', 'bindings']) {
      assert.ok(k in d, k);
    }
    const mu = d.users.find((u: { name: string }) => u.name === 'mu');
    assert.equal(mu.password_hash, 'nMczQyic3stPbd2A3At7tKlq1RBg49DiTkgcTrW+87bUORHv');
    assert.equal(mu.hashing_algorithm, 'rabbit_password_hashing_sha256');
    assert.ok(d.queues.some((q: { name: string; vhost: string }) => q.name === 'dq' && q.vhost === '/'));

    const fresh = await startMgmt();
    try {
      assert.equal((await fresh.api('POST', '/api/definitions', d)).status, 204);
      const again = (await fresh.api('GET', '/api/definitions')).body;
      const names = (x: { queues: { name: string }[] }) => x.queues.map((q) => q.name).sort();
      assert.deepEqual(names(again), names(d));
      assert.deepEqual(again.bindings.length, d.bindings.length);
      assert.equal((await fresh.api('GET', '/api/whoami', undefined, ['mu', 'm'])).status, 200);
    } finally {
      await fresh.close();
    }
  });

  it('is all-or-nothing: one bad entry at the end and nothing is applied', async () => {
    const bad = {
      users: [{ name: 'half', password: 'x', tags: [] }],
      vhosts: [{ name: 'half-vhost' }],
      queues: [{ name: 'half-q', vhost: '/', durable: true, auto_delete: false, arguments: {} }],
      exchanges: [{ name: 'half-x', vhost: '/', type: 'direct', durable: true, auto_delete: false, internal: false, arguments: {} }],
      bindings: [{ source: 'half-x', vhost: '/', destination: 'no-such-queue', destination_type: 'queue', routing_key: '', arguments: {} }],
    };
    const r = await m.api('POST', '/api/definitions', bad);
    assert.equal(r.status, 400);
    assert.equal(r.body.error, 'bad_request');
    assert.match(r.body.reason, /bindings\[0\]/);
    assert.equal((await m.api('GET', '/api/users/half')).status, 404);
    assert.equal((await m.api('GET', '/api/vhosts/half-vhost')).status, 404);
    assert.equal((await m.api('GET', '/api/queues/%2F/half-q')).status, 404);
    assert.equal((await m.api('GET', '/api/exchanges/%2F/half-x')).status, 404);

    for (const doc of [
      { queues: [{ name: 'q', vhost: 'nowhere', durable: true, auto_delete: false, arguments: {} }] },
      { queues: [{ name: 'dq', vhost: '/', durable: false, auto_delete: false, arguments: {} }] }, // inequivalent to the existing dq
      { exchanges: [{ name: 'e', vhost: '/', type: 'bogus' }] },
      { permissions: [{ user: 'ghost', vhost: '/', configure: '.*', write: '.*', read: '.*' }] },
      { users: [{ name: 'u', password_hash: '!!', tags: [] }] },
      { queues: 'not a list' },
      [1, 2],
    ]) {
      const res = await m.api('POST', '/api/definitions', doc);
      assert.equal(res.status, 400, JSON.stringify(doc));
      assert.equal(res.body.error, 'bad_request');
    }
    assert.equal((await m.api('POST', '/api/definitions', '{"users": [')).status, 400);
  });

  it('per-vhost export and import', async () => {
    const v = await m.api('GET', '/api/definitions/%2F');
    assert.equal(v.status, 200);
    assert.equal('users' in v.body, false);
    assert.ok(v.body.queues.every((q: Record<string, unknown>) => !('vhost' in q)));
    await m.api('PUT', '/api/vhosts/copy', {});
    assert.equal((await m.api('POST', '/api/definitions/copy', v.body)).status, 204);
    assert.equal((await m.api('GET', '/api/queues/copy/dq')).status, 200);
    assert.equal((await m.api('GET', '/api/bindings/copy/e/tx/q/dq')).body.length, 2);
    assert.equal((await m.api('GET', '/api/definitions/missing')).status, 404);
    assert.equal((await m.api('GET', '/api/definitions', undefined, ['mu', 'm'])).status, 401);
  });

  it('parameters and global parameters are stored, returned and exported', async () => {
    const value = { uri: 'amqp://remote', 'ack-mode': 'on-confirm' };
    assert.equal((await m.api('PUT', '/api/parameters/federation-upstream/%2F/up1', { value })).status, 201);
    assert.equal((await m.api('PUT', '/api/parameters/federation-upstream/%2F/up1', { value })).status, 204);
    assert.deepEqual((await m.api('GET', '/api/parameters/federation-upstream/%2F/up1')).body, { vhost: '/', component: 'federation-upstream', name: 'up1', value });
    assert.equal((await m.api('GET', '/api/parameters/federation-upstream')).body.length, 1);
    assert.equal((await m.api('GET', '/api/parameters/federation-upstream/%2F')).body.length, 1);
    assert.equal((await m.api('PUT', '/api/parameters/federation-upstream/%2F/up2', {})).status, 400);
    assert.equal((await m.api('PUT', '/api/parameters/federation-upstream/nowhere/up2', { value: 1 })).status, 404);
    assert.ok((await m.api('GET', '/api/definitions')).body.parameters.some((p: { name: string }) => p.name === 'up1'));
    assert.equal((await m.api('DELETE', '/api/parameters/federation-upstream/%2F/up1')).status, 204);
    assert.equal((await m.api('GET', '/api/parameters/federation-upstream/%2F/up1')).status, 404);

    assert.equal((await m.api('PUT', '/api/global-parameters/my-param', { value: [1, 2] })).status, 201);
    assert.deepEqual((await m.api('GET', '/api/global-parameters/my-param')).body, { name: 'my-param', value: [1, 2] });
    assert.ok((await m.api('GET', '/api/definitions')).body.global_parameters.some((p: { name: string }) => p.name === 'my-param'));
    assert.equal((await m.api('DELETE', '/api/global-parameters/my-param')).status, 204);
    assert.equal((await m.api('DELETE', '/api/global-parameters/my-param')).status, 404);
  });

  it('topic permissions and parameters survive a restart with a data directory', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'warren-mgmt-data-'));
    try {
      const first = await startMgmt({ dataDir });
      await first.api('PUT', '/api/users/keeper', { password: 'pw', tags: '' });
      assert.equal((await first.api('PUT', '/api/topic-permissions/%2F/keeper', { exchange: 'amq.topic', write: '^a', read: '^b' })).status, 201);
      assert.equal((await first.api('PUT', '/api/parameters/shovel/%2F/s1', { value: { 'src-uri': 'amqp://' } })).status, 201);
      assert.equal((await first.api('PUT', '/api/global-parameters/g1', { value: 42 })).status, 201);
      await first.close();
      const second = await startMgmt({ dataDir });
      try {
        assert.deepEqual((await second.api('GET', '/api/topic-permissions/%2F/keeper')).body, [{ user: 'keeper', vhost: '/', exchange: 'amq.topic', write: '^a', read: '^b' }]);
        assert.deepEqual((await second.api('GET', '/api/parameters/shovel/%2F/s1')).body.value, { 'src-uri': 'amqp://' });
        assert.deepEqual((await second.api('GET', '/api/global-parameters/g1')).body, { name: 'g1', value: 42 });
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
