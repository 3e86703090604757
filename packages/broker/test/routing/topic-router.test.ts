import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRouter } from '../../src/routing/router.js';
import { assertRoutes, routedSet } from './helpers.js';

describe('topic router', () => {
  it('routes the RabbitMQ tutorial 5 examples', () => {
    const r = createRouter<string>('topic');
    r.bind('*.orange.*', {}, 'Q1');
    r.bind('*.*.rabbit', {}, 'Q2');
    r.bind('lazy.#', {}, 'Q2');
    assert.deepEqual(routedSet(r, 'quick.orange.rabbit'), ['Q1', 'Q2']);
    assert.deepEqual(routedSet(r, 'lazy.orange.elephant'), ['Q1', 'Q2']);
    assert.deepEqual(routedSet(r, 'quick.orange.fox'), ['Q1']);
    assert.deepEqual(routedSet(r, 'lazy.brown.fox'), ['Q2']);
    // Both Q2 bindings match; the broker de-duplicates so Q2 gets it once.
    assertRoutes(r, 'lazy.pink.rabbit', ['Q2', 'Q2']);
    assert.deepEqual(routedSet(r, 'quick.brown.fox'), []);
    assert.deepEqual(routedSet(r, 'orange'), []);
    assert.deepEqual(routedSet(r, 'quick.orange.new.rabbit'), []);
    assert.deepEqual(routedSet(r, 'lazy.orange.new.rabbit'), ['Q2']);
    assert.deepEqual(routedSet(r, 'lazy'), ['Q2']);
  });

  // Binding table and expectations from RabbitMQ's own test_topic_matching (rabbit_tests.erl).
  const rabbitBindings: [string, string][] = [
    ['a.b.c', 't1'], ['a.*.c', 't2'], ['a.#.b', 't3'], ['a.b.b.c', 't4'], ['#', 't5'],
    ['#.#', 't6'], ['#.b', 't7'], ['*.*', 't8'], ['a.*', 't9'], ['*.b.c', 't10'],
    ['a.#', 't11'], ['a.#.#', 't12'], ['b.b.c', 't13'], ['a.b.b', 't14'], ['a.b', 't15'],
    ['b.c', 't16'], ['', 't17'], ['*.*.*', 't18'], ['vodka.martini', 't19'], ['a.b.c', 't20'],
    ['*.#', 't21'], ['#.*.#', 't22'], ['*.#.#', 't23'], ['#.#.#', 't24'], ['*', 't25'],
    ['#.b.#', 't26'],
  ];

  it("matches RabbitMQ's topic test vectors, before and after removals", () => {
    const r = createRouter<string>('topic');
    for (const [key, q] of rabbitBindings) assert.equal(r.bind(key, {}, q), true);
    assert.equal(r.bindingCount, 26);
    const before: [string, string[]][] = [
      ['a.b.c', ['t1', 't2', 't5', 't6', 't10', 't11', 't12', 't18', 't20', 't21', 't22', 't23', 't24', 't26']],
      ['a.b', ['t3', 't5', 't6', 't7', 't8', 't9', 't11', 't12', 't15', 't21', 't22', 't23', 't24', 't26']],
      ['a.b.b', ['t3', 't5', 't6', 't7', 't11', 't12', 't14', 't18', 't21', 't22', 't23', 't24', 't26']],
      ['', ['t5', 't6', 't17', 't24']],
      ['b.c.c', ['t5', 't6', 't18', 't21', 't22', 't23', 't24', 't26']],
      ['a.a.a.a.a', ['t5', 't6', 't11', 't12', 't21', 't22', 't23', 't24']],
      ['vodka.gin', ['t5', 't6', 't8', 't21', 't22', 't23', 't24']],
      ['vodka.martini', ['t5', 't6', 't8', 't19', 't21', 't22', 't23', 't24']],
      ['b.b.c', ['t5', 't6', 't10', 't13', 't18', 't21', 't22', 't23', 't24', 't26']],
      ['nothing.here.at.all', ['t5', 't6', 't21', 't22', 't23', 't24']],
      ['oneword', ['t5', 't6', 't21', 't22', 't23', 't24', 't25']],
    ];
    for (const [key, expected] of before) {
      // Every target is bound once, so the multiset must equal the expected set exactly.
      assertRoutes(r, key, expected);
    }

    for (const i of [0, 4, 10, 18, 20]) {
      const [key, q] = rabbitBindings[i]!;
      assert.equal(r.unbind(key, {}, q), true);
    }
    assert.equal(r.bindingCount, 21);
    const after: [string, string[]][] = [
      ['a.b.c', ['t2', 't6', 't10', 't12', 't18', 't20', 't22', 't23', 't24', 't26']],
      ['a.b', ['t3', 't6', 't7', 't8', 't9', 't12', 't15', 't22', 't23', 't24', 't26']],
      ['a.b.b', ['t3', 't6', 't7', 't12', 't14', 't18', 't22', 't23', 't24', 't26']],
      ['', ['t6', 't17', 't24']],
      ['b.c.c', ['t6', 't18', 't22', 't23', 't24', 't26']],
      ['a.a.a.a.a', ['t6', 't12', 't22', 't23', 't24']],
      ['vodka.gin', ['t6', 't8', 't22', 't23', 't24']],
      ['vodka.martini', ['t6', 't8', 't22', 't23', 't24']],
      ['b.b.c', ['t6', 't10', 't13', 't18', 't22', 't23', 't24', 't26']],
      ['nothing.here.at.all', ['t6', 't22', 't23', 't24']],
      ['oneword', ['t6', 't22', 't23', 't24', 't25']],
    ];
    for (const [key, expected] of after) {
      assertRoutes(r, key, expected);
    }

    let removed = 0;
    for (const [, q] of rabbitBindings) removed += r.unbindAll(q);
    assert.equal(removed, 21);
    assert.equal(r.bindingCount, 0);
    for (const key of ['a.b.c', 'b.b.c', '']) assertRoutes(r, key, []);
  });

  it('treats the empty routing key as zero words', () => {
    const r = createRouter<string>('topic');
    r.bind('', {}, 'empty');
    r.bind('#', {}, 'hash');
    r.bind('*', {}, 'star');
    r.bind('*.#', {}, 'star-hash');
    r.bind('#.*', {}, 'hash-star');
    assertRoutes(r, '', ['empty', 'hash']);
    // One non-empty word: "" (zero words) no longer matches.
    assertRoutes(r, 'x', ['hash', 'hash-star', 'star', 'star-hash']);
  });

  it('treats empty words between, before and after dots as real words', () => {
    const r = createRouter<string>('topic');
    r.bind('a..b', {}, 'a..b');
    r.bind('a.*.b', {}, 'a.*.b');
    r.bind('.', {}, 'dot');
    r.bind('*.*', {}, '*.*');
    r.bind('a.', {}, 'a.');
    r.bind('.a', {}, '.a');
    r.bind('a.*', {}, 'a.*');
    r.bind('a.#', {}, 'a.#');
    assertRoutes(r, 'a..b', ['a.#', 'a..b', 'a.*.b']);
    assertRoutes(r, 'a.b', ['*.*', 'a.#', 'a.*']);
    assertRoutes(r, '.', ['*.*', 'dot']);
    assertRoutes(r, 'a.', ['*.*', 'a.', 'a.#', 'a.*']);
    assertRoutes(r, '.a', ['*.*', '.a']);
    assertRoutes(r, 'a', ['a.#']);
    assertRoutes(r, '..', []);
    assertRoutes(r, 'a...b', ['a.#']);
  });

  it('lets # match zero words anywhere in a pattern', () => {
    const r = createRouter<string>('topic');
    r.bind('a.#', {}, 'a.#');
    r.bind('#.a', {}, '#.a');
    r.bind('a.#.b', {}, 'a.#.b');
    r.bind('#.a.#', {}, '#.a.#');
    assertRoutes(r, 'a', ['#.a', '#.a.#', 'a.#']);
    assertRoutes(r, 'a.b', ['#.a.#', 'a.#', 'a.#.b']);
    assertRoutes(r, 'a.x.y.b', ['#.a.#', 'a.#', 'a.#.b']);
    assertRoutes(r, 'x.a', ['#.a', '#.a.#']);
    assertRoutes(r, 'x.y', []);
  });

  it('requires at least one word for a.*.#', () => {
    const r = createRouter<string>('topic');
    r.bind('a.*.#', {}, 'q');
    assertRoutes(r, 'a', []);
    assertRoutes(r, 'a.b', ['q']);
    assertRoutes(r, 'a.b.c.d', ['q']);
    assertRoutes(r, 'b.a.c', []);
  });

  it('keeps #.# and # as distinct bindings that match the same keys', () => {
    const r = createRouter<string>('topic');
    assert.equal(r.bind('#', {}, 'q'), true);
    assert.equal(r.bind('#.#', {}, 'q'), true);
    assert.equal(r.bind('#.#.#', {}, 'q'), true);
    assert.equal(r.bind('#.#', {}, 'q'), false);
    assert.equal(r.bindingCount, 3);
    for (const key of ['', 'a', 'a.b', '.', 'a.b.c.d.e']) assertRoutes(r, key, ['q', 'q', 'q']);
    assert.equal(r.unbind('#.#', {}, 'q'), true);
    assert.equal(r.unbind('#.#', {}, 'q'), false);
    assertRoutes(r, 'a.b', ['q', 'q']);
    assert.deepEqual(
      [...r.bindings()].map((b) => b.key).sort(),
      ['#', '#.#.#'],
    );
    assert.equal(r.unbindAll('q'), 2);
    assertRoutes(r, 'a', []);
  });

  it('routes long keys and pushes each matching binding exactly once', () => {
    const r = createRouter<string>('topic');
    r.bind('#.a.#.a.#.a.#', {}, 'many-hashes');
    r.bind('#.z', {}, 'ends-z');
    r.bind('*.#', {}, 'non-empty');
    const words = Array.from({ length: 127 }, () => 'a');
    assertRoutes(r, words.join('.'), ['many-hashes', 'non-empty']);
    words[126] = 'z';
    assertRoutes(r, words.join('.'), ['ends-z', 'many-hashes', 'non-empty']);
    assertRoutes(r, 'a.a', ['non-empty']);
  });

  it('routes keys with many words through deep literal and wildcard paths', () => {
    const r = createRouter<string>('topic');
    const words = Array.from({ length: 40 }, (_, i) => `w${i}`);
    r.bind(words.join('.'), {}, 'exact');
    r.bind(words.map((w, i) => (i % 2 === 0 ? '*' : w)).join('.'), {}, 'alternating');
    r.bind(`${words[0]}.#.${words[39]}`, {}, 'ends');
    assertRoutes(r, words.join('.'), ['alternating', 'ends', 'exact']);
    assertRoutes(r, words.slice(0, 39).join('.'), []);
    assertRoutes(r, `${words.join('.')}.extra`, []);
  });

  it('treats literal * and # in a routing key as words that only wildcards and the same literal match', () => {
    const r = createRouter<string>('topic');
    r.bind('a.*', {}, 'a.*');
    r.bind('a.b', {}, 'a.b');
    r.bind('*.#', {}, '*.#');
    assertRoutes(r, 'a.*', ['*.#', 'a.*']);
    assertRoutes(r, 'a.#', ['*.#', 'a.*']);
    assertRoutes(r, '#', ['*.#']);
  });

  it('is case-sensitive and does not match prefixes', () => {
    const r = createRouter<string>('topic');
    r.bind('stock.usd', {}, 'q');
    assertRoutes(r, 'Stock.usd', []);
    assertRoutes(r, 'stock.us', []);
    assertRoutes(r, 'stock.usd.x', []);
    assertRoutes(r, 'stock.usd', ['q']);
  });

  it('prunes emptied trie paths and can rebuild them', () => {
    const r = createRouter<string>('topic');
    r.bind('a.b.c', {}, 'q1');
    r.bind('a.b', {}, 'q2');
    r.bind('a.*.#', {}, 'q3');
    assert.equal(r.unbind('a.b.c', {}, 'q1'), true);
    assertRoutes(r, 'a.b', ['q2', 'q3']);
    assertRoutes(r, 'a.b.c', ['q3']);
    assert.equal(r.unbind('a.b', {}, 'q2'), true);
    assert.equal(r.unbind('a.*.#', {}, 'q3'), true);
    assert.equal(r.bindingCount, 0);
    assert.deepEqual([...r.bindings()], []);
    assert.equal(r.bind('a.b.c', {}, 'q1'), true);
    assertRoutes(r, 'a.b.c', ['q1']);
  });

  it('does not read headers', () => {
    const r = createRouter<string>('topic');
    assert.equal(r.usesHeaders, false);
    r.bind('a', { 'x-match': 'any', h: 1 }, 'q');
    assertRoutes(r, 'a', ['q'], { h: 2 });
  });
});
