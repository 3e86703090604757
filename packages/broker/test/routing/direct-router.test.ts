import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRouter } from '../../src/routing/router.js';
import { assertRoutes } from './helpers.js';

describe('direct router', () => {
  it('routes on exact routing-key equality only', () => {
    const r = createRouter<string>('direct');
    assert.equal(r.usesHeaders, false);
    r.bind('orange', {}, 'Q1');
    r.bind('black', {}, 'Q2');
    r.bind('green', {}, 'Q2');
    assertRoutes(r, 'orange', ['Q1']);
    assertRoutes(r, 'black', ['Q2']);
    assertRoutes(r, 'green', ['Q2']);
    assertRoutes(r, 'Orange', []);
    assertRoutes(r, 'orang', []);
    assertRoutes(r, 'orange.x', []);
    assertRoutes(r, '', []);
  });

  it('routes one key to several queues (multiple bindings)', () => {
    const r = createRouter<string>('direct');
    r.bind('black', {}, 'Q1');
    r.bind('black', {}, 'Q2');
    assertRoutes(r, 'black', ['Q1', 'Q2']);
  });

  it('supports the empty key and treats wildcard characters literally', () => {
    const r = createRouter<string>('direct');
    r.bind('', {}, 'empty');
    r.bind('*', {}, 'star');
    r.bind('#', {}, 'hash');
    assertRoutes(r, '', ['empty']);
    assertRoutes(r, '*', ['star']);
    assertRoutes(r, 'a', []);
    assertRoutes(r, '#', ['hash']);
  });

  it('pushes a target once per binding, leaving de-duplication to the caller', () => {
    const r = createRouter<string>('direct');
    r.bind('k', {}, 'q');
    r.bind('k', { 'x-tag': 1 }, 'q');
    assertRoutes(r, 'k', ['q', 'q']);
  });

  it('appends to the caller array without clearing it', () => {
    const r = createRouter<string>('direct');
    r.bind('k', {}, 'q');
    const out = ['already'];
    r.route('k', undefined, out);
    assert.deepEqual(out, ['already', 'q']);
  });

  it('ignores headers', () => {
    const r = createRouter<string>('direct');
    r.bind('k', { 'x-match': 'all', a: 1 }, 'q');
    assertRoutes(r, 'k', ['q'], { a: 2 });
  });
});
