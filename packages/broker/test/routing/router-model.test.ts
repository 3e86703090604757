// Property tests: every router against a tiny, obviously-correct model. The model keeps a plain
// list of bindings and decides matches straight from the definitions (a recursive word matcher
// for topic, the x-match rules for headers), so any trie, index or pre-compilation bug in the
// routers shows up as a difference.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { FieldTable, FieldValue } from '@warren/protocol';
import { createRouter, type RouterType } from '../../src/routing/router.js';

// ---------------------------------------------------------------- the model

/**
 * Canonical text of a value: tables with sorted keys, so equal tables give equal text. Typed
 * (binding identity) keeps strings and byte arrays apart; untyped (header matching, where
 * RabbitMQ compares bare Erlang binaries) only looks at a top-level value's bytes.
 */
function canon(v: FieldValue | undefined, untyped = false): string {
  if (v === undefined) return 'undefined';
  if (untyped && typeof v === 'string') return `bytes:${Buffer.from(v).toString('hex')}`;
  if (Buffer.isBuffer(v)) return `${untyped ? 'bytes' : 'buffer'}:${v.toString('hex')}`;
  if (v === null || typeof v !== 'object') return `${typeof v}:${String(v)}`;
  if (Array.isArray(v)) return `[${v.map((e) => canon(e)).join(',')}]`;
  const t = v as FieldTable;
  return `{${Object.keys(t).sort().map((k) => `${JSON.stringify(k)}=${canon(t[k])}`).join(',')}}`;
}

/** RabbitMQ word splitting: the empty key has no words; otherwise split on every dot. */
function words(key: string): string[] {
  return key === '' ? [] : key.split('.');
}

/** Straight from the definition: `*` is one word, `#` is zero or more words. */
function topicMatches(pattern: readonly string[], key: readonly string[]): boolean {
  if (pattern.length === 0) return key.length === 0;
  const [p, ...restP] = pattern;
  if (p === '#') {
    for (let skip = 0; skip <= key.length; skip++) if (topicMatches(restP, key.slice(skip))) return true;
    return false;
  }
  if (key.length === 0) return false;
  if (p === '*' || p === key[0]) return topicMatches(restP, key.slice(1));
  return false;
}

function headersMatch(args: FieldTable, headers: FieldTable | undefined): boolean {
  const mode = Object.hasOwn(args, 'x-match') ? args['x-match'] : undefined;
  const any = mode === 'any' || mode === 'any-with-x';
  const withX = mode === 'all-with-x' || mode === 'any-with-x';
  const counted = Object.keys(args).filter((k) => k !== 'x-match' && (withX || !k.startsWith('x-')));
  const h = headers ?? {};
  const satisfied = (k: string): boolean =>
    Object.hasOwn(h, k) && h[k] !== undefined && (args[k] === null || canon(args[k], true) === canon(h[k], true));
  return any ? counted.some(satisfied) : counted.every(satisfied);
}

interface ModelBinding {
  key: string;
  args: FieldTable;
  target: string;
}

function modelMatches(type: RouterType, b: ModelBinding, key: string, headers: FieldTable | undefined): boolean {
  switch (type) {
    case 'direct':
      return b.key === key;
    case 'fanout':
      return true;
    case 'topic':
      return topicMatches(words(b.key), words(key));
    case 'headers':
      return headersMatch(b.args, headers);
  }
}

const same = (b: ModelBinding, key: string, args: FieldTable, target: string): boolean =>
  b.key === key && b.target === target && canon(args) === canon(b.args);

// ---------------------------------------------------------------- generators

type Op =
  | { op: 'bind' | 'unbind'; key: string; args: FieldTable; target: string }
  | { op: 'unbindAll'; target: string }
  | { op: 'route'; key: string; headers: FieldTable | undefined };

const TARGETS = ['q1', 'q2', 'q3', 'q4'];
const targets = fc.constantFrom(...TARGETS);
const simpleArgs = fc.constantFrom<FieldTable>({}, { a: 1 }, { a: 2 }, { a: 1, b: 'x' }, { b: 'x', a: 1 });
const flatKey = fc.constantFrom('', 'a', 'b', 'a.b', 'A');
const topicWordsKey = (alphabet: string[]) =>
  fc.array(fc.constantFrom(...alphabet), { maxLength: 6 }).map((ws) => ws.join('.'));
const bindingTopicKey = topicWordsKey(['a', 'b', '', '*', '#']);
const routingTopicKey = topicWordsKey(['a', 'b', 'c', '', '*', '#']);

const headerValue = fc.constantFrom<FieldValue>(
  1, 2, 'a', 'b', true, false, null, [1, 'a'], [1, Buffer.from('a')], { n: 1 }, Buffer.from('a'), Buffer.from('c'),
);
const table = (names: string[]) =>
  fc
    .uniqueArray(fc.tuple(fc.constantFrom(...names), headerValue), { selector: (e) => e[0], maxLength: names.length })
    .map((entries) => Object.fromEntries(entries) as FieldTable);
const headersArgs = fc
  .tuple(
    fc.constantFrom<FieldValue | undefined>(undefined, 'all', 'any', 'all-with-x', 'any-with-x', 'bogus', 3),
    table(['a', 'b', 'c', 'x-d', 'constructor']),
  )
  .map(([mode, args]) => (mode === undefined ? args : { 'x-match': mode, ...args }));
const messageHeaders = fc.option(table(['a', 'b', 'c', 'x-d', 'x-match', 'constructor', 'other']), {
  nil: undefined,
});

function opsFor(type: RouterType): fc.Arbitrary<Op[]> {
  const bindingKey = type === 'topic' ? bindingTopicKey : type === 'headers' ? fc.constantFrom('', 'k') : flatKey;
  const routingKey = type === 'topic' ? routingTopicKey : flatKey;
  const args = type === 'headers' ? headersArgs : simpleArgs;
  const change = fc.record({ op: fc.constantFrom('bind' as const, 'unbind' as const), key: bindingKey, args, target: targets });
  const op: fc.Arbitrary<Op> = fc.oneof(
    { weight: 4, arbitrary: change },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('unbindAll' as const), target: targets }) },
    { weight: 4, arbitrary: fc.record({ op: fc.constant('route' as const), key: routingKey, headers: messageHeaders }) },
  );
  return fc.array(op, { maxLength: 40 });
}

// ---------------------------------------------------------------- the properties

function runAgainstModel(type: RouterType, ops: readonly Op[]): void {
  const router = createRouter<string>(type);
  let model: ModelBinding[] = [];
  for (const o of ops) {
    switch (o.op) {
      case 'bind': {
        const exists = model.some((b) => same(b, o.key, o.args, o.target));
        if (!exists) model.push({ key: o.key, args: o.args, target: o.target });
        assert.equal(router.bind(o.key, o.args, o.target), !exists, `bind ${JSON.stringify(o)}`);
        break;
      }
      case 'unbind': {
        const i = model.findIndex((b) => same(b, o.key, o.args, o.target));
        if (i !== -1) model.splice(i, 1);
        assert.equal(router.unbind(o.key, o.args, o.target), i !== -1, `unbind ${JSON.stringify(o)}`);
        break;
      }
      case 'unbindAll': {
        const before = model.length;
        model = model.filter((b) => b.target !== o.target);
        assert.equal(router.unbindAll(o.target), before - model.length, `unbindAll ${o.target}`);
        break;
      }
      case 'route': {
        const expected = model.filter((b) => modelMatches(type, b, o.key, o.headers)).map((b) => b.target).sort();
        const out: string[] = [];
        router.route(o.key, o.headers, out);
        // One push per matching binding: the multisets must be equal, not just the sets.
        assert.deepEqual(out.sort(), expected, `route ${JSON.stringify(o.key)} ${canon(o.headers)}`);
        break;
      }
    }
    assert.equal(router.bindingCount, model.length);
    for (const t of TARGETS) {
      assert.equal(router.hasBindingsTo(t), model.some((b) => b.target === t), `hasBindingsTo ${t}`);
    }
  }
  const listing = (bs: Iterable<ModelBinding>) => [...bs].map((b) => `${b.key}|${canon(b.args)}|${b.target}`).sort();
  assert.deepEqual(listing(router.bindings()), listing(model));
}

describe('routers against the model', () => {
  for (const type of ['direct', 'fanout', 'topic', 'headers'] as const) {
    it(`${type}: random bind/unbind/unbindAll/route sequences agree with the model`, () => {
      fc.assert(
        fc.property(opsFor(type), (ops) => runAgainstModel(type, ops)),
        { numRuns: 400 },
      );
    });
  }

  it('topic: one binding against one routing key agrees with the recursive matcher', () => {
    const patternKey = topicWordsKey(['a', 'b', '', '*', '#']);
    const longKey = fc.array(fc.constantFrom('a', 'b', '', '*', '#'), { maxLength: 10 }).map((ws) => ws.join('.'));
    fc.assert(
      fc.property(fc.array(patternKey, { minLength: 1, maxLength: 5 }), longKey, (patterns, key) => {
        const router = createRouter<string>('topic');
        patterns.forEach((p, i) => router.bind(p, {}, `t${i}`));
        const out: string[] = [];
        router.route(key, undefined, out);
        const expected = patterns.flatMap((p, i) => (topicMatches(words(p), words(key)) ? [`t${i}`] : []));
        assert.deepEqual(out.sort(), expected.sort());
      }),
      { numRuns: 5000 },
    );
  });

  it('headers: one binding against one header table agrees with the definition', () => {
    fc.assert(
      fc.property(headersArgs, messageHeaders, (args, headers) => {
        const router = createRouter<string>('headers');
        router.bind('', args, 'q');
        const out: string[] = [];
        router.route('', headers, out);
        assert.deepEqual(out, headersMatch(args, headers) ? ['q'] : []);
      }),
      { numRuns: 5000 },
    );
  });
});
