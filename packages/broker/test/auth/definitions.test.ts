import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AccessControl } from '../../src/auth/access-control.js';
import {
  applyAuthDefinitions,
  createAccessControl,
  DefinitionsError,
  exportAuthDefinitions,
  loadDefinitionsFile,
  parseDefinitions,
} from '../../src/auth/definitions.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/rabbitmq-3.10-definitions.json', import.meta.url));

/** Expects parseDefinitions(json) to throw a DefinitionsError naming `path`, with `message` in its text. */
function assertRejects(json: unknown, path: string, message: RegExp): void {
  assert.throws(
    () => parseDefinitions(json),
    (err: unknown) => {
      assert.ok(err instanceof DefinitionsError, `expected DefinitionsError, got ${String(err)}`);
      assert.equal(err.path, path);
      assert.match(err.message, message);
      assert.ok(err.message.includes(path), `message names the path: ${err.message}`);
      return true;
    },
  );
}

describe('a RabbitMQ 3.10 definitions export', () => {
  it('parses every section', async () => {
    const defs = await loadDefinitionsFile(FIXTURE);
    assert.equal(defs.rabbit_version, '3.10.8');
    assert.equal(defs.product_name, 'RabbitMQ');
    assert.deepEqual(defs.users.map((u) => [u.name, u.hashing_algorithm, u.tags]), [
      ['guest', 'rabbit_password_hashing_sha256', ['administrator']],
      ['producer', 'rabbit_password_hashing_sha256', []],
      ['monitor', 'rabbit_password_hashing_sha512', ['monitoring', 'management']],
      ['locked', 'rabbit_password_hashing_sha256', []],
    ]);
    assert.deepEqual(defs.vhosts[1], {
      name: 'orders',
      description: 'Order pipeline',
      tags: ['production', 'eu'],
      metadata: { description: 'Order pipeline', tags: ['production', 'eu'] },
      limits: [],
    });
    assert.equal(defs.permissions.length, 4);
    assert.deepEqual(defs.topic_permissions, [{ user: 'producer', vhost: 'orders', exchange: 'orders.events', write: '^eu\\.', read: '.*' }]);
    assert.deepEqual(defs.parameters, [{ vhost: 'orders', component: 'vhost-limits', name: 'limits', value: { 'max-connections': 100 } }]);
    assert.equal(defs.global_parameters[0]?.name, 'internal_cluster_id');
    assert.deepEqual(defs.policies[0], {
      vhost: 'orders',
      name: 'audit-ttl',
      pattern: '^orders\\.audit$',
      'apply-to': 'queues',
      definition: { 'message-ttl': 86400000, 'dead-letter-exchange': 'orders.dlx' },
      priority: 1,
    });
    assert.deepEqual(defs.queues[1], {
      name: 'orders.audit',
      vhost: 'orders',
      durable: true,
      auto_delete: false,
      arguments: { 'x-max-length': 10000, 'x-overflow': 'reject-publish', 'x-queue-type': 'classic' },
    });
    assert.deepEqual(defs.exchanges[1], {
      name: 'orders.dlx',
      vhost: 'orders',
      type: 'fanout',
      durable: true,
      auto_delete: false,
      internal: true,
      arguments: {},
    });
    assert.deepEqual(defs.bindings[0], {
      source: 'orders.events',
      vhost: 'orders',
      destination: 'orders.created',
      destination_type: 'queue',
      routing_key: '*.order.created',
      arguments: {},
    });
  });

  it('imports users, vhosts and permissions so the exported hashes log in unchanged', async () => {
    const defs = await loadDefinitionsFile(FIXTURE);
    const ac = createAccessControl(defs);
    // passwords behind the fixture's hashes: test12 (RabbitMQ's documented example), and two computed with hashlib
    assert.equal(ac.authenticate('guest', 'test12')?.name, 'guest');
    assert.equal(ac.authenticate('guest', 'guest'), undefined, 'the file replaces the default guest/guest');
    assert.equal(ac.authenticate('producer', 's3cret-Producer')?.name, 'producer');
    assert.equal(ac.authenticate('monitor', 'pässwörd')?.name, 'monitor');
    assert.equal(ac.authenticate('locked', ''), undefined);
    assert.deepEqual(ac.vhosts().map((v) => v.name), ['/', 'orders']);
    assert.deepEqual(ac.getVhost('orders')?.tags, ['production', 'eu']);

    assert.equal(ac.canAccessVhost('producer', 'orders'), true);
    assert.equal(ac.canAccessVhost('producer', '/'), false);
    assert.equal(ac.canAccessVhost('locked', 'orders'), false);
    assert.equal(ac.check('producer', 'orders', 'configure', 'orders.created'), true);
    assert.equal(ac.check('producer', 'orders', 'configure', 'amq.gen-x1'), true);
    assert.equal(ac.check('producer', 'orders', 'configure', 'payments'), false);
    assert.equal(ac.check('producer', 'orders', 'write', 'orders.events'), true);
    assert.equal(ac.check('producer', 'orders', 'write', ''), false, "'' is checked as amq.default");
    assert.equal(ac.check('producer', 'orders', 'read', 'orders.created'), false, "'' grants nothing");
    assert.equal(ac.check('monitor', 'orders', 'read', 'orders.audit'), true);
    assert.equal(ac.check('monitor', 'orders', 'read', 'orders.audit.old'), false);
  });

  it('round-trips through exportAuthDefinitions', async () => {
    const defs = await loadDefinitionsFile(FIXTURE);
    const ac = createAccessControl(defs);
    const exported = exportAuthDefinitions(ac);
    const again = createAccessControl(parseDefinitions({ rabbit_version: '3.10.8', ...exported }));
    assert.deepEqual(again.users(), ac.users());
    assert.deepEqual(again.vhosts(), ac.vhosts());
    assert.deepEqual(again.permissions(), ac.permissions());
    assert.deepEqual(exported.vhosts[0], { name: '/', limits: [], metadata: { description: 'Default virtual host', tags: [] } });
  });
});

describe('older and hand-written definitions', () => {
  it('accepts comma-separated tags and infers MD5 for pre-3.6 exports without hashing_algorithm', () => {
    const defs = parseDefinitions({
      rabbit_version: '3.0.4',
      users: [{ name: 'simon', password_hash: 'ytUIm8s3AnKsXQjptplKFytfVxI=', tags: 'administrator, management' }],
      vhosts: [{ name: '/' }],
      permissions: [{ user: 'simon', vhost: '/', configure: '.*', write: '.*', read: '.*' }],
    });
    assert.equal(defs.users[0]?.hashing_algorithm, 'rabbit_password_hashing_md5');
    assert.deepEqual(defs.users[0]?.tags, ['administrator', 'management']);
    const ac = createAccessControl(defs);
    assert.equal(ac.authenticate('simon', 'simon')?.name, 'simon');
  });

  it('infers SHA-256 for 3.6.0 and for versions that always export the algorithm', () => {
    for (const v of ['3.6.0', '3.12.1', undefined]) {
      const defs = parseDefinitions({ ...(v ? { rabbit_version: v } : {}), users: [{ name: 'a', password_hash: '', tags: '' }] });
      assert.equal(defs.users[0]?.hashing_algorithm, 'rabbit_password_hashing_sha256', String(v));
      assert.deepEqual(defs.users[0]?.tags, []);
    }
  });

  it('accepts a clear-text password and fills defaults for omitted fields', () => {
    const defs = parseDefinitions({
      users: [{ name: 'app', password: 'pw' }],
      vhosts: [{ name: '/' }],
      permissions: [{ user: 'app', configure: '^app\\.', write: '^app\\.', read: '^app\\.' }],
      queues: [{ name: 'app.q' }],
      exchanges: [{ name: 'app.x', type: 'direct' }],
      bindings: [{ source: 'app.x', destination: 'app.q', destination_type: 'queue' }],
    });
    assert.deepEqual(defs.queues, [{ name: 'app.q', vhost: '/', durable: true, auto_delete: false, arguments: {} }]);
    assert.deepEqual(defs.exchanges, [{ name: 'app.x', vhost: '/', type: 'direct', durable: true, auto_delete: false, internal: false, arguments: {} }]);
    assert.deepEqual(defs.bindings, [{ source: 'app.x', vhost: '/', destination: 'app.q', destination_type: 'queue', routing_key: '', arguments: {} }]);
    assert.equal(defs.permissions[0]?.vhost, '/');
    assert.deepEqual(defs.policies, []);
    const ac = createAccessControl(defs);
    assert.equal(ac.authenticate('app', 'pw')?.name, 'app');
    assert.equal(ac.check('app', '/', 'configure', 'app.q'), true);
    assert.equal(ac.check('app', '/', 'configure', 'other'), false);
  });

  it('uses the given default vhost for single-vhost exports', () => {
    const defs = parseDefinitions({ queues: [{ name: 'q', durable: true, auto_delete: false, arguments: {} }] }, { defaultVhost: 'orders' });
    assert.equal(defs.queues[0]?.vhost, 'orders');
  });

  it('keeps the defaults when the file carries topology only', () => {
    const ac = createAccessControl(parseDefinitions({ queues: [{ name: 'q' }] }));
    assert.equal(ac.authenticate('guest', 'guest')?.name, 'guest');
    assert.equal(createAccessControl().authenticate('guest', 'guest')?.name, 'guest');
  });
});

describe('invalid definitions', () => {
  it('name the bad field', () => {
    assertRejects([], '', /must be a JSON object, got an array/);
    assertRejects({ users: {} }, 'users', /must be an array, got an object/);
    assertRejects({ users: [42] }, 'users[0]', /must be an object, got number 42/);
    assertRejects({ users: [{ password_hash: '' }] }, 'users[0].name', /must be a string, got nothing/);
    assertRejects({ users: [{ name: 'a' }] }, 'users[0].password_hash', /must be given/);
    assertRejects({ users: [{ name: 'a', password_hash: 'not base64!' }] }, 'users[0].password_hash', /not valid base64/);
    assertRejects({ users: [{ name: 'a', password_hash: '', hashing_algorithm: 'rabbit_password_hashing_sha1' }] }, 'users[0].hashing_algorithm', /unsupported algorithm/);
    assertRejects({ users: [{ name: 'a', password_hash: '', tags: [1] }] }, 'users[0].tags', /array of strings or a comma-separated string/);
    assertRejects({ vhosts: [{ name: 'v', metadata: { description: 3 } }] }, 'vhosts[0].metadata.description', /must be a string, got number 3/);
    assertRejects({ permissions: [{ user: 'u', vhost: '/', configure: '.*', write: '.*' }] }, 'permissions[0].read', /must be a string/);
    assertRejects({ queues: [{ name: 'q', durable: 'yes' }] }, 'queues[0].durable', /must be true or false, got string "yes"/);
    assertRejects({ queues: [{ name: 'q', arguments: [] }] }, 'queues[0].arguments', /must be an object, got an array/);
    assertRejects({ exchanges: [{ name: 'x' }] }, 'exchanges[0].type', /must be a string, got nothing/);
    assertRejects({ bindings: [{ source: 'x', destination: 'q', destination_type: 'topic' }] }, 'bindings[0].destination_type', /must be "queue" or "exchange"/);
    assertRejects({ policies: [{ name: 'p', pattern: '.*', definition: {}, priority: 1.5 }] }, 'policies[0].priority', /must be an integer/);
    assertRejects({ policies: [{ name: 'p', pattern: '.*', definition: {}, 'apply-to': 'everything' }] }, 'policies[0].apply-to', /must be one of/);
    assertRejects({ parameters: [{ component: 'c', name: 'n' }] }, 'parameters[0].value', /must be given/);
  });

  it('are reported with the file name by loadDefinitionsFile', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'warren-defs-'));
    try {
      const bad = join(dir, 'bad.json');
      await writeFile(bad, '{"users": [');
      await assert.rejects(loadDefinitionsFile(bad), (err: unknown) => err instanceof DefinitionsError && err.message.includes(bad) && /not valid JSON/.test(err.message));
      const wrong = join(dir, 'wrong.json');
      await writeFile(wrong, JSON.stringify({ queues: [{ name: 1 }] }));
      await assert.rejects(loadDefinitionsFile(wrong), (err: unknown) => {
        assert.ok(err instanceof DefinitionsError);
        assert.equal(err.path, 'queues[0].name');
        assert.equal(err.message, `definitions: queues[0].name: must be a string, got number 1 (in ${wrong})`);
        return true;
      });
      await assert.rejects(loadDefinitionsFile(join(dir, 'missing.json')), /cannot read .*missing\.json/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('leave the access control untouched when a permission is bad', () => {
    const ac = AccessControl.withDefaults();
    const cases: Array<[unknown, string, RegExp]> = [
      [{ users: [{ name: 'x', password: 'p' }], permissions: [{ user: 'y', vhost: '/', configure: '', write: '', read: '' }] }, 'permissions[0].user', /no such user 'y'/],
      [{ users: [{ name: 'x', password: 'p' }], permissions: [{ user: 'x', vhost: 'nope', configure: '', write: '', read: '' }] }, 'permissions[0].vhost', /no such vhost 'nope'/],
      [{ users: [{ name: 'x', password: 'p' }], permissions: [{ user: 'x', vhost: '/', configure: '[', write: '', read: '' }] }, 'permissions[0]', /invalid configure permission pattern/],
    ];
    for (const [json, path, message] of cases) {
      assert.throws(
        () => applyAuthDefinitions(ac, parseDefinitions(json)),
        (err: unknown) => err instanceof DefinitionsError && err.path === path && message.test(err.message),
      );
    }
    assert.deepEqual(ac.users().map((u) => u.name), ['guest']);
    assert.deepEqual(ac.permissions().map((p) => p.user), ['guest']);
  });

  it('applies permissions that refer to users and vhosts already present', () => {
    const ac = AccessControl.withDefaults();
    const applied = applyAuthDefinitions(ac, parseDefinitions({ vhosts: [{ name: 'extra' }], permissions: [{ user: 'guest', vhost: 'extra', configure: '', write: '.*', read: '.*' }] }));
    assert.deepEqual(applied, { vhosts: 1, users: 0, permissions: 1 });
    assert.equal(ac.canAccessVhost('guest', 'extra'), true);
    assert.equal(ac.check('guest', 'extra', 'configure', 'q'), false);
  });
});
