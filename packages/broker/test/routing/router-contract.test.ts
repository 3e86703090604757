// The Router contract every exchange type must honour: binding identity, counts, listing.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRouter, type RouterType } from '../../src/routing/router.js';
import { listed } from './helpers.js';

const TYPES: RouterType[] = ['direct', 'fanout', 'topic', 'headers'];

for (const type of TYPES) {
  describe(`${type} router contract`, () => {
    it('refuses an identical binding and accepts one that differs in key, args or target', () => {
      const r = createRouter<string>(type);
      assert.equal(r.bind('k', {}, 'q'), true);
      assert.equal(r.bind('k', {}, 'q'), false);
      assert.equal(r.bind('k', { a: 1 }, 'q'), true);
      assert.equal(r.bind('k', { a: 1 }, 'q'), false);
      assert.equal(r.bind('k', { a: 2 }, 'q'), true);
      assert.equal(r.bind('k2', {}, 'q'), true);
      assert.equal(r.bind('k', {}, 'q2'), true);
      assert.equal(r.bindingCount, 5);
    });

    it('compares arguments as tables: key order does not matter, nested values do', () => {
      const r = createRouter<string>(type);
      assert.equal(r.bind('k', { a: 1, b: 'x' }, 'q'), true);
      assert.equal(r.bind('k', { b: 'x', a: 1 }, 'q'), false);
      assert.equal(r.bind('k', { a: 1, b: 'x', c: null }, 'q'), true);
      assert.equal(r.bind('k', { t: { u: [1, 2] } }, 'q'), true);
      assert.equal(r.bind('k', { t: { u: [1, 2] } }, 'q'), false);
      assert.equal(r.bind('k', { t: { u: [2, 1] } }, 'q'), true);
      assert.equal(r.unbind('k', { b: 'x', a: 1 }, 'q'), true);
      assert.equal(r.bindingCount, 3);
    });

    it('unbinds only an exact (key, args, target) match', () => {
      const r = createRouter<string>(type);
      r.bind('k', { a: 1 }, 'q');
      assert.equal(r.unbind('k', {}, 'q'), false);
      assert.equal(r.unbind('k', { a: 2 }, 'q'), false);
      assert.equal(r.unbind('other', { a: 1 }, 'q'), false);
      assert.equal(r.unbind('k', { a: 1 }, 'other'), false);
      assert.equal(r.bindingCount, 1);
      assert.equal(r.unbind('k', { a: 1 }, 'q'), true);
      assert.equal(r.unbind('k', { a: 1 }, 'q'), false);
      assert.equal(r.bindingCount, 0);
      assert.equal(r.hasBindingsTo('q'), false);
    });

    it('unbindAll removes every binding of one target and reports how many', () => {
      const r = createRouter<string>(type);
      r.bind('a', {}, 'q1');
      r.bind('a', { x: 1 }, 'q1');
      r.bind('b.c', {}, 'q1');
      r.bind('a', {}, 'q2');
      r.bind('#', {}, 'q1');
      assert.equal(r.unbindAll('q1'), 4);
      assert.equal(r.unbindAll('q1'), 0);
      assert.equal(r.unbindAll('never-bound'), 0);
      assert.equal(r.bindingCount, 1);
      assert.deepEqual(listed(r), ['a|{}|q2']);
      assert.equal(r.hasBindingsTo('q1'), false);
      assert.equal(r.hasBindingsTo('q2'), true);
      const out: string[] = [];
      r.route('a', {}, out);
      r.route('b.c', {}, out);
      assert.ok(!out.includes('q1'), `q1 still routed: ${out.join(',')}`);
    });

    it('tracks hasBindingsTo through binds and unbinds', () => {
      const r = createRouter<string>(type);
      assert.equal(r.hasBindingsTo('q'), false);
      r.bind('a', {}, 'q');
      r.bind('b', {}, 'q');
      assert.equal(r.hasBindingsTo('q'), true);
      r.unbind('a', {}, 'q');
      assert.equal(r.hasBindingsTo('q'), true);
      r.unbind('b', {}, 'q');
      assert.equal(r.hasBindingsTo('q'), false);
    });

    it('lists every binding with its key, args and target', () => {
      const r = createRouter<string>(type);
      r.bind('', {}, 'q1');
      r.bind('a.b', { 'x-match': 'any', h: 'v' }, 'q2');
      r.bind('a.b', {}, 'q2');
      r.bind('#', {}, 'x1');
      assert.deepEqual(
        listed(r),
        ['#|{}|x1', '|{}|q1', 'a.b|{"x-match":"any","h":"v"}|q2', 'a.b|{}|q2'].sort(),
      );
      const args = [...r.bindings()].find((b) => b.target === 'q2' && 'h' in b.args)?.args;
      assert.deepEqual(args, { 'x-match': 'any', h: 'v' });
    });

    it('gives a listing snapshot that survives unbinding while iterating', () => {
      const r = createRouter<string>(type);
      for (let i = 0; i < 10; i++) r.bind(`k${i % 3}`, { i }, `q${i % 4}`);
      let removed = 0;
      for (const b of r.bindings()) if (r.unbind(b.key, b.args, b.target)) removed++;
      assert.equal(removed, 10);
      assert.equal(r.bindingCount, 0);
      assert.deepEqual([...r.bindings()], []);
    });

    it('appends to the caller array without clearing or reordering it', () => {
      const r = createRouter<string>(type);
      r.bind('k', {}, 'q');
      const out = ['earlier', 'targets'];
      r.route('k', {}, out);
      assert.deepEqual(out, ['earlier', 'targets', 'q']);
    });

    it('works with object targets compared by identity', () => {
      const r = createRouter<{ name: string }>(type);
      const a = { name: 'q' };
      const b = { name: 'q' };
      assert.equal(r.bind('k', {}, a), true);
      assert.equal(r.bind('k', {}, b), true);
      assert.equal(r.hasBindingsTo(a), true);
      assert.equal(r.unbindAll(a), 1);
      assert.equal(r.hasBindingsTo(a), false);
      assert.equal(r.hasBindingsTo(b), true);
      const out: { name: string }[] = [];
      r.route('k', {}, out);
      assert.ok(out.every((t) => t === b) && out.length === 1);
    });
  });
}

describe('createRouter', () => {
  it('rejects an unknown exchange type', () => {
    assert.throws(() => createRouter('x-delayed' as RouterType), TypeError);
  });
});
