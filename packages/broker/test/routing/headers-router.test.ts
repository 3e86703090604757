import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { headersBindingArgsError } from '../../src/routing/headers-router.js';
import { createRouter } from '../../src/routing/router.js';
import { assertRoutes } from './helpers.js';

describe('headers router', () => {
  it('says it routes on headers', () => {
    assert.equal(createRouter('headers').usesHeaders, true);
  });

  it('defaults to x-match all: every argument must be present and equal', () => {
    const r = createRouter<string>('headers');
    r.bind('', { format: 'pdf', type: 'report' }, 'q');
    assertRoutes(r, '', ['q'], { format: 'pdf', type: 'report' });
    assertRoutes(r, '', ['q'], { format: 'pdf', type: 'report', extra: 1 });
    assertRoutes(r, '', [], { format: 'pdf' });
    assertRoutes(r, '', [], { format: 'pdf', type: 'log' });
    assertRoutes(r, '', [], {});
    assertRoutes(r, '', [], undefined);
  });

  it('matches x-match any when at least one argument matches', () => {
    const r = createRouter<string>('headers');
    r.bind('', { 'x-match': 'any', format: 'pdf', type: 'report' }, 'q');
    assertRoutes(r, '', ['q'], { format: 'pdf' });
    assertRoutes(r, '', ['q'], { type: 'report', format: 'zip' });
    assertRoutes(r, '', [], { format: 'zip', type: 'log' });
    assertRoutes(r, '', [], {});
    assertRoutes(r, '', [], undefined);
  });

  it('ignores the routing key', () => {
    const r = createRouter<string>('headers');
    r.bind('some.key', { a: 1 }, 'q');
    assertRoutes(r, 'other', ['q'], { a: 1 });
  });

  it('ignores x- arguments in all and any modes', () => {
    const all = createRouter<string>('headers');
    all.bind('', { 'x-match': 'all', 'x-tag': 'v', a: 1 }, 'q');
    assertRoutes(all, '', ['q'], { a: 1 });
    assertRoutes(all, '', ['q'], { a: 1, 'x-tag': 'other' });

    const any = createRouter<string>('headers');
    any.bind('', { 'x-match': 'any', 'x-tag': 'v' }, 'q');
    // Only x- arguments: nothing counts, and "any" over nothing is false.
    assertRoutes(any, '', [], { 'x-tag': 'v' });
  });

  it('compares x- arguments in all-with-x and any-with-x modes, but never x-match itself', () => {
    const allX = createRouter<string>('headers');
    allX.bind('', { 'x-match': 'all-with-x', 'x-tag': 'v', a: 1 }, 'q');
    assertRoutes(allX, '', ['q'], { a: 1, 'x-tag': 'v' });
    assertRoutes(allX, '', [], { a: 1 });
    assertRoutes(allX, '', [], { a: 1, 'x-tag': 'w' });

    const anyX = createRouter<string>('headers');
    anyX.bind('', { 'x-match': 'any-with-x', 'x-tag': 'v', a: 1 }, 'q');
    assertRoutes(anyX, '', ['q'], { 'x-tag': 'v' });
    assertRoutes(anyX, '', ['q'], { a: 1 });
    assertRoutes(anyX, '', [], { 'x-tag': 'w', a: 2 });
    // The message's own x-match header is not compared with the binding's.
    assertRoutes(anyX, '', [], { 'x-match': 'any-with-x' });

    const allXOnly = createRouter<string>('headers');
    allXOnly.bind('', { 'x-match': 'all-with-x' }, 'q');
    assertRoutes(allXOnly, '', ['q'], undefined);
  });

  it('matches a void (null) argument on presence alone', () => {
    const all = createRouter<string>('headers');
    all.bind('', { flag: null, a: 1 }, 'q');
    assertRoutes(all, '', ['q'], { flag: 'anything', a: 1 });
    assertRoutes(all, '', ['q'], { flag: null, a: 1 });
    assertRoutes(all, '', ['q'], { flag: 0, a: 1 });
    assertRoutes(all, '', [], { a: 1 });

    const any = createRouter<string>('headers');
    any.bind('', { 'x-match': 'any', flag: null }, 'q');
    assertRoutes(any, '', ['q'], { flag: false });
    assertRoutes(any, '', [], { other: 1 });
    assertRoutes(any, '', [], undefined);
  });

  it('does not let a void header satisfy a valued argument', () => {
    const r = createRouter<string>('headers');
    r.bind('', { a: 1 }, 'q');
    assertRoutes(r, '', [], { a: null });
  });

  it('matches every message for all with no counted arguments, and none for any', () => {
    const r = createRouter<string>('headers');
    r.bind('', {}, 'all-empty');
    r.bind('', { 'x-match': 'all', 'x-foo': 1 }, 'all-x-only');
    r.bind('', { 'x-match': 'any' }, 'any-empty');
    assertRoutes(r, '', ['all-empty', 'all-x-only'], undefined);
    assertRoutes(r, '', ['all-empty', 'all-x-only'], { a: 1 });
  });

  it('treats an unknown or non-string x-match as all, as RabbitMQ does for legacy bindings', () => {
    const r = createRouter<string>('headers');
    r.bind('', { 'x-match': 'bogus', a: 1, b: 2 }, 'bogus');
    r.bind('', { 'x-match': 7, a: 1, b: 2 }, 'number');
    r.bind('', { 'x-match': Buffer.from('any'), a: 1, b: 2 }, 'buffer');
    assertRoutes(r, '', [], { a: 1 });
    assertRoutes(r, '', ['bogus', 'buffer', 'number'], { a: 1, b: 2 });
  });

  it('compares values by value, not by JavaScript type coincidences', () => {
    const r = createRouter<string>('headers');
    r.bind('', { n: 1 }, 'number');
    r.bind('', { s: '1' }, 'string');
    r.bind('', { t: true }, 'bool');
    r.bind('', { nested: { inner: [1, 'x'] } }, 'nested');
    assertRoutes(r, '', ['number'], { n: 1, s: 1, t: 1 });
    assertRoutes(r, '', ['string'], { n: '1', s: '1', t: 'true' });
    assertRoutes(r, '', ['bool'], { t: true, n: 2 });
    assertRoutes(r, '', ['nested'], { nested: { inner: [1, 'x'] } });
    assertRoutes(r, '', [], { nested: { inner: [1, 'y'] } });
    assertRoutes(r, '', [], { nested: { inner: [1] } });
  });

  it('matches a long-string argument against byte-array headers with the same bytes, and back', () => {
    const r = createRouter<string>('headers');
    r.bind('', { s: 'héllo' }, 'string-arg');
    r.bind('', { b: Buffer.from('héllo') }, 'bytes-arg');
    assertRoutes(r, '', ['string-arg'], { s: Buffer.from('héllo') });
    assertRoutes(r, '', ['bytes-arg'], { b: 'héllo' });
    assertRoutes(r, '', ['bytes-arg', 'string-arg'], { s: 'héllo', b: Buffer.from('héllo') });
    assertRoutes(r, '', [], { s: Buffer.from('hello'), b: 'hello' });
    assertRoutes(r, '', [], { s: Buffer.from('héllo!'), b: 'héll' });
  });

  it('compares numbers by value whatever their wire width', () => {
    const r = createRouter<string>('headers');
    r.bind('', { n: 5 }, 'q');
    assertRoutes(r, '', ['q'], { n: 5n });
    assertRoutes(r, '', [], { n: 6n });
  });

  it('agrees with fieldValuesEqual on NaN and on bigint values', () => {
    const r = createRouter<string>('headers');
    r.bind('', { f: Number.NaN }, 'nan');
    r.bind('', { big: 2n ** 63n - 1n }, 'big');
    assertRoutes(r, '', ['nan'], { f: Number.NaN });
    assertRoutes(r, '', ['big'], { big: 2n ** 63n - 1n });
    assertRoutes(r, '', [], { f: 0, big: 2n ** 62n });
  });

  it('finds a header literally named __proto__ only when the table really has it', () => {
    const r = createRouter<string>('headers');
    const args: Record<string, null> = {};
    Object.defineProperty(args, '__proto__', { value: null, enumerable: true, writable: true, configurable: true });
    r.bind('', args, 'q');
    assertRoutes(r, '', [], {});
    const headers = {};
    Object.defineProperty(headers, '__proto__', { value: 'present', enumerable: true });
    assertRoutes(r, '', ['q'], headers);
  });

  it('does not mistake Object.prototype members for headers', () => {
    const r = createRouter<string>('headers');
    r.bind('', { constructor: null }, 'ctor');
    r.bind('', { 'x-match': 'any', toString: null, hasOwnProperty: null }, 'any-proto');
    assertRoutes(r, '', [], {});
    assertRoutes(r, '', [], undefined);
    assertRoutes(r, '', ['ctor'], { constructor: 'yes' });
    assertRoutes(r, '', ['any-proto'], { toString: 1 });
  });

  it('keeps bindings with different arguments apart', () => {
    const r = createRouter<string>('headers');
    assert.equal(r.bind('', { a: 1 }, 'q'), true);
    assert.equal(r.bind('', { a: 2 }, 'q'), true);
    assert.equal(r.bind('', { a: 1 }, 'q'), false);
    assertRoutes(r, '', ['q'], { a: 1 });
    assertRoutes(r, '', ['q'], { a: 2 });
    assert.equal(r.unbind('', { a: 1 }, 'q'), true);
    assertRoutes(r, '', [], { a: 1 });
    assertRoutes(r, '', ['q'], { a: 2 });
  });

  it('validates x-match like RabbitMQ validate_binding', () => {
    assert.equal(headersBindingArgsError({}), null);
    assert.equal(headersBindingArgsError({ a: 1 }), null);
    for (const mode of ['all', 'any', 'all-with-x', 'any-with-x']) {
      assert.equal(headersBindingArgsError({ 'x-match': mode }), null);
    }
    assert.match(headersBindingArgsError({ 'x-match': 'first' }) ?? '', /Invalid x-match field value "first"/);
    assert.match(headersBindingArgsError({ 'x-match': 1 }) ?? '', /Invalid x-match field type/);
    assert.match(headersBindingArgsError({ 'x-match': null }) ?? '', /expected longstr/);
  });
});
