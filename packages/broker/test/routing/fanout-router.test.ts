import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRouter } from '../../src/routing/router.js';
import { assertRoutes } from './helpers.js';

describe('fanout router', () => {
  it('routes every message to every binding, whatever the key', () => {
    const r = createRouter<string>('fanout');
    assert.equal(r.usesHeaders, false);
    assertRoutes(r, 'anything', []);
    r.bind('', {}, 'Q1');
    r.bind('ignored.key', {}, 'Q2');
    r.bind('', { a: 1 }, 'Q3');
    for (const key of ['', 'anything', 'a.b.c', '#']) assertRoutes(r, key, ['Q1', 'Q2', 'Q3']);
    assertRoutes(r, 'x', ['Q1', 'Q2', 'Q3'], { h: 1 });
  });

  it('pushes a target once per binding', () => {
    const r = createRouter<string>('fanout');
    r.bind('a', {}, 'q');
    r.bind('b', {}, 'q');
    assertRoutes(r, 'z', ['q', 'q']);
    assert.equal(r.unbindAll('q'), 2);
    assertRoutes(r, 'z', []);
  });

  it('keeps routing the survivors in order after unbindAll', () => {
    const r = createRouter<string>('fanout');
    for (const [i, q] of ['a', 'x', 'b', 'x', 'c'].entries()) r.bind(`k${i}`, {}, q);
    assert.equal(r.unbindAll('x'), 2);
    const out: string[] = [];
    r.route('', undefined, out);
    assert.deepEqual(out, ['a', 'b', 'c']);
    assert.deepEqual([...r.bindings()].map((b) => b.target), ['a', 'b', 'c']);
  });
});
