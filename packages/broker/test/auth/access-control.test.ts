import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AccessControl, AccessControlError, isLoopbackAddress } from '../../src/auth/access-control.js';
import { hashPassword } from '../../src/auth/password.js';

function withUser(perms: { configure: string; write: string; read: string }): AccessControl {
  const ac = new AccessControl();
  ac.addVhost('v');
  ac.addUser('u', { password: 'p' });
  ac.setPermissions('u', 'v', perms);
  return ac;
}

describe('AccessControl defaults', () => {
  it('is a fresh RabbitMQ node: vhost /, guest/guest administrator with .* .* .* on /', () => {
    const ac = AccessControl.withDefaults();
    assert.deepEqual(ac.vhosts().map((v) => v.name), ['/']);
    assert.equal(ac.getVhost('/')?.description, 'Default virtual host');
    const guest = ac.authenticate('guest', 'guest');
    assert.ok(guest);
    assert.equal(guest.name, 'guest');
    assert.deepEqual(guest.tags, ['administrator']);
    assert.equal(guest.hashingAlgorithm, 'rabbit_password_hashing_sha256');
    assert.deepEqual(ac.permissions(), [{ user: 'guest', vhost: '/', configure: '.*', write: '.*', read: '.*' }]);
    assert.equal(ac.canAccessVhost(guest, '/'), true);
    assert.equal(ac.check(guest, '/', 'configure', 'anything'), true);
    assert.equal(ac.check('guest', '/', 'write', ''), true);
  });

  it('keeps guest loopback-only, like loopback_users', () => {
    const ac = AccessControl.withDefaults();
    assert.equal(ac.mayConnectFrom('guest', '127.0.0.1'), true);
    assert.equal(ac.mayConnectFrom('guest', '::1'), true);
    assert.equal(ac.mayConnectFrom('guest', '::ffff:127.0.0.1'), true);
    assert.equal(ac.mayConnectFrom('guest', '10.1.2.3'), false);
    assert.equal(ac.mayConnectFrom('guest', undefined), false);
    ac.addUser('app', { password: 'x' });
    assert.equal(ac.mayConnectFrom('app', '10.1.2.3'), true);
    ac.loopbackUsers.clear();
    assert.equal(ac.mayConnectFrom('guest', '10.1.2.3'), true);
    assert.equal(isLoopbackAddress('127.8.9.10'), true);
    assert.equal(isLoopbackAddress('128.0.0.1'), false);
  });
});

describe('AccessControl authentication', () => {
  it('accepts the right password only', () => {
    const ac = new AccessControl();
    ac.addUser('alice', { password: 'wonderland', tags: ['management'] });
    assert.equal(ac.authenticate('alice', 'wonderland')?.name, 'alice');
    assert.equal(ac.authenticate('alice', 'Wonderland'), undefined);
    assert.equal(ac.authenticate('alice', ''), undefined);
    assert.equal(ac.authenticate('bob', 'wonderland'), undefined);
  });

  it('accepts ready hashes in each supported algorithm', () => {
    const ac = new AccessControl();
    ac.addUser('md5', { passwordHash: 'ytUIm8s3AnKsXQjptplKFytfVxI=', hashingAlgorithm: 'rabbit_password_hashing_md5' });
    ac.addUser('sha512', {
      passwordHash: hashPassword('s', 'rabbit_password_hashing_sha512'),
      hashingAlgorithm: 'rabbit_password_hashing_sha512',
    });
    assert.equal(ac.authenticate('md5', 'simon')?.name, 'md5');
    assert.equal(ac.authenticate('sha512', 's')?.name, 'sha512');
    assert.equal(ac.authenticate('sha512', 'S'), undefined);
  });

  it('hashes a clear-text password with the requested algorithm', () => {
    const ac = new AccessControl();
    const u = ac.addUser('legacy', { password: 'old', hashingAlgorithm: 'rabbit_password_hashing_md5' });
    assert.equal(Buffer.from(u.passwordHash, 'base64').length, 4 + 16);
    assert.equal(ac.authenticate('legacy', 'old')?.name, 'legacy');
  });

  it('refuses password login for a user without a password', () => {
    const ac = new AccessControl();
    ac.addUser('nopass');
    ac.addUser('emptyhash', { passwordHash: '' });
    assert.equal(ac.authenticate('nopass', ''), undefined);
    assert.equal(ac.authenticate('emptyhash', ''), undefined);
  });

  it('rejects unknown hashing algorithms and empty names', () => {
    const ac = new AccessControl();
    assert.throws(() => ac.addUser('x', { password: 'p', hashingAlgorithm: 'rabbit_password_hashing_sha1' }), AccessControlError);
    assert.throws(() => ac.addUser('', { password: 'p' }), AccessControlError);
    assert.throws(() => ac.addVhost(''), AccessControlError);
  });

  it('replaces a user on re-add and forgets its permissions on delete', () => {
    const ac = AccessControl.withDefaults();
    ac.addUser('guest', { password: 'changed', tags: [] });
    assert.equal(ac.authenticate('guest', 'guest'), undefined);
    assert.deepEqual(ac.authenticate('guest', 'changed')?.tags, []);
    assert.equal(ac.canAccessVhost('guest', '/'), true, 're-adding a user keeps its permissions');
    assert.equal(ac.deleteUser('guest'), true);
    assert.equal(ac.deleteUser('guest'), false);
    assert.equal(ac.getUser('guest'), undefined);
    assert.deepEqual(ac.permissions(), []);
    ac.addUser('guest', { password: 'guest' });
    assert.equal(ac.canAccessVhost('guest', '/'), false, 'a re-created user starts without permissions');
  });
});

describe('AccessControl permissions', () => {
  it('matches unanchored, as RabbitMQ re:run does', () => {
    const ac = withUser({ configure: 'foo', write: '^foo', read: '^foo$' });
    assert.equal(ac.check('u', 'v', 'configure', 'foo'), true);
    assert.equal(ac.check('u', 'v', 'configure', 'xfooy'), true);
    assert.equal(ac.check('u', 'v', 'configure', 'bar'), false);
    assert.equal(ac.check('u', 'v', 'write', 'foobar'), true);
    assert.equal(ac.check('u', 'v', 'write', 'xfoo'), false);
    assert.equal(ac.check('u', 'v', 'read', 'foo'), true);
    assert.equal(ac.check('u', 'v', 'read', 'foo2'), false);
  });

  it("treats '' as '^$' (nothing) and '.*' as everything", () => {
    const ac = withUser({ configure: '', write: '^$', read: '.*' });
    for (const name of ['q', 'amq.gen-abc', 'x\ny']) {
      assert.equal(ac.check('u', 'v', 'configure', name), false, name);
      assert.equal(ac.check('u', 'v', 'write', name), false, name);
      assert.equal(ac.check('u', 'v', 'read', name), true, name);
    }
  });

  it("checks the default exchange '' as 'amq.default'", () => {
    const ac = withUser({ configure: '^$', write: '^amq\\.default$', read: '^(amq\\.gen.*|amq\\.default)$' });
    assert.equal(ac.check('u', 'v', 'write', ''), true);
    assert.equal(ac.check('u', 'v', 'configure', ''), false, "'' does not slip through '^$'");
    assert.equal(ac.check('u', 'v', 'write', 'amq.direct'), false);
    assert.equal(ac.check('u', 'v', 'read', 'amq.gen-JzTY20BRgKO'), true);
    assert.equal(ac.check('u', 'v', 'read', 'amq.direct'), false);
  });

  it('needs an entry for the exact user and vhost', () => {
    const ac = withUser({ configure: '.*', write: '.*', read: '.*' });
    ac.addVhost('w');
    ac.addUser('other', { password: 'p' });
    assert.equal(ac.check('u', 'w', 'read', 'q'), false);
    assert.equal(ac.check('other', 'v', 'read', 'q'), false);
    assert.equal(ac.check('nobody', 'v', 'read', 'q'), false);
    assert.equal(ac.canAccessVhost('u', 'v'), true);
    assert.equal(ac.canAccessVhost('u', 'w'), false);
    assert.equal(ac.canAccessVhost('u', 'missing'), false);
  });

  it('refuses permissions for unknown users/vhosts and patterns that do not compile', () => {
    const ac = withUser({ configure: '.*', write: '.*', read: '.*' });
    assert.throws(() => ac.setPermissions('nobody', 'v', { configure: '.*', write: '.*', read: '.*' }), /no such user 'nobody'/);
    assert.throws(() => ac.setPermissions('u', 'nowhere', { configure: '.*', write: '.*', read: '.*' }), /no such vhost 'nowhere'/);
    assert.throws(() => ac.setPermissions('u', 'v', { configure: '(', write: '.*', read: '.*' }), /invalid configure permission pattern/);
    assert.throws(() => ac.setPermissions('u', 'v', { configure: '.*', write: 5, read: '.*' } as never), /write permission pattern must be a string/);
    assert.equal(ac.check('u', 'v', 'configure', 'q'), true, 'a failed set leaves the old permission');
  });

  it('clears permissions, and deleting a vhost drops its permissions', () => {
    const ac = withUser({ configure: '.*', write: '.*', read: '.*' });
    assert.deepEqual(ac.getPermissions('u', 'v'), { user: 'u', vhost: 'v', configure: '.*', write: '.*', read: '.*' });
    assert.equal(ac.clearPermissions('u', 'v'), true);
    assert.equal(ac.clearPermissions('u', 'v'), false);
    assert.equal(ac.check('u', 'v', 'read', 'q'), false);
    ac.setPermissions('u', 'v', { configure: '.*', write: '.*', read: '.*' });
    assert.equal(ac.deleteVhost('v'), true);
    assert.equal(ac.deleteVhost('v'), false);
    assert.equal(ac.hasVhost('v'), false);
    assert.deepEqual(ac.permissions(), []);
    ac.addVhost('v');
    assert.equal(ac.canAccessVhost('u', 'v'), false, 'a re-created vhost starts without permissions');
  });

  it('does not let callers mutate stored permissions through returned objects', () => {
    const ac = withUser({ configure: '^a$', write: '^a$', read: '^a$' });
    const p = ac.getPermissions('u', 'v');
    assert.ok(p);
    p.read = '.*';
    assert.equal(ac.check('u', 'v', 'read', 'b'), false);
    assert.equal(ac.getPermissions('u', 'v')?.read, '^a$');
  });

  it('stores vhost metadata', () => {
    const ac = new AccessControl();
    ac.addVhost('orders', { description: 'Order pipeline', tags: ['eu'], defaultQueueType: 'classic' });
    assert.deepEqual(ac.getVhost('orders'), { name: 'orders', description: 'Order pipeline', tags: ['eu'], defaultQueueType: 'classic' });
    ac.addVhost('orders', { description: 'renamed' });
    assert.deepEqual(ac.vhosts(), [{ name: 'orders', description: 'renamed' }]);
  });
});
