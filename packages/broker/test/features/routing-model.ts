// Routing through a real broker against a small pure model: random topologies of exchanges of
// every type, exchange-to-exchange bindings, alternate exchanges, headers bindings (x-match
// all/any/all-with-x/any-with-x) and topic patterns; random publishes through amqplib. Used by
// routing-model.test.ts (a few dozen cases) and scripts/routing-model.ts (thousands).
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Channel } from 'amqplib';

export type XType = 'direct' | 'fanout' | 'topic' | 'headers';
type HeaderValue = string | number;
type Headers = Record<string, HeaderValue>;

export interface XSpec { type: XType; alternate: number | null }
export interface BindingSpec { source: number; toExchange: boolean; dest: number; key: string; args: Record<string, HeaderValue> }
/** exchange -1 is the default exchange (routing key = a queue name, or a name with no queue). */
export interface PublishSpec { exchange: number; key: string; headers: Headers }
export interface Topology { exchanges: XSpec[]; queues: number; bindings: BindingSpec[]; publishes: PublishSpec[] }

// ---------------------------------------------------------------- generators

const WORDS = ['a', 'b', 'c'];
const wordKey = fc.array(fc.constantFrom(...WORDS), { maxLength: 3 }).map((w) => w.join('.'));
const topicPattern = fc.array(fc.constantFrom(...WORDS, '*', '#'), { maxLength: 3 }).map((w) => w.join('.'));
const headerValue = fc.constantFrom<HeaderValue>('v', 'w', 1, 2);
const headerName = fc.constantFrom('h1', 'h2', 'x-h');
const headersArb = fc.dictionary(headerName, headerValue, { maxKeys: 3 });
const xMatch = fc.constantFrom<string | undefined>('all', 'any', 'all-with-x', 'any-with-x', undefined);

export function topologyArb(maxExchanges = 5, maxQueues = 4): fc.Arbitrary<Topology> {
  return fc.record({
    nx: fc.integer({ min: 1, max: maxExchanges }),
    nq: fc.integer({ min: 1, max: maxQueues }),
  }).chain(({ nx, nq }) => {
    const exIdx = fc.integer({ min: 0, max: nx - 1 });
    const exchanges = fc.array(
      fc.record({ type: fc.constantFrom<XType>('direct', 'fanout', 'topic', 'headers'), alternate: fc.option(exIdx, { nil: null, freq: 3 }) }),
      { minLength: nx, maxLength: nx },
    );
    return exchanges.chain((xs) => {
      const binding = fc.record({ source: exIdx, toExchange: fc.boolean(), destQ: fc.integer({ min: 0, max: nq - 1 }), destX: exIdx, pattern: topicPattern, key: wordKey, match: xMatch, hargs: headersArb })
        .map(({ source, toExchange, destQ, destX, pattern, key, match, hargs }): BindingSpec => {
          const t = xs[source]!.type;
          const args: Record<string, HeaderValue> = t === 'headers' ? { ...hargs, ...(match !== undefined ? { 'x-match': match } : {}) } : {};
          return { source, toExchange, dest: toExchange ? destX : destQ, key: t === 'topic' ? pattern : t === 'headers' || t === 'fanout' ? '' : key, args };
        });
      const publish = fc.oneof(
        { weight: 6, arbitrary: fc.record({ exchange: exIdx, key: wordKey, headers: headersArb }) },
        { weight: 1, arbitrary: fc.record({ exchange: fc.constant(-1), key: fc.integer({ min: 0, max: nq }).map((i) => `q${i}`), headers: headersArb }) },
      );
      return fc.record({
        exchanges: fc.constant(xs),
        queues: fc.constant(nq),
        bindings: fc.array(binding, { maxLength: 10 }),
        publishes: fc.array(publish, { minLength: 1, maxLength: 8 }),
      });
    });
  });
}

// ---------------------------------------------------------------- the model

function topicMatches(p: readonly string[], k: readonly string[]): boolean {
  if (p.length === 0) return k.length === 0;
  const [h, ...rest] = p;
  if (h === '#') {
    for (let skip = 0; skip <= k.length; skip++) if (topicMatches(rest, k.slice(skip))) return true;
    return false;
  }
  if (k.length === 0) return false;
  return (h === '*' || h === k[0]) && topicMatches(rest, k.slice(1));
}
const words = (s: string): string[] => (s === '' ? [] : s.split('.'));

function headersMatch(args: Record<string, HeaderValue>, headers: Headers): boolean {
  const mode = args['x-match'] ?? 'all';
  const withX = mode === 'all-with-x' || mode === 'any-with-x';
  const keys = Object.keys(args).filter((k) => k !== 'x-match' && (withX || !k.startsWith('x-')));
  const ok = (k: string): boolean => Object.hasOwn(headers, k) && headers[k] === args[k];
  return mode === 'any' || mode === 'any-with-x' ? keys.some(ok) : keys.every(ok);
}

function bindingMatches(t: XType, b: BindingSpec, p: PublishSpec): boolean {
  switch (t) {
    case 'fanout': return true;
    case 'direct': return b.key === p.key;
    case 'topic': return topicMatches(words(b.key), words(p.key));
    case 'headers': return headersMatch(b.args, p.headers);
  }
}

/**
 * RabbitMQ's routing: every exchange reached routes once; a binding to an exchange routes the
 * message there too; an exchange whose own bindings match nothing hands it to its alternate
 * exchange. The result is a set: each queue gets one copy.
 */
export function modelRoute(topo: Topology, p: PublishSpec): Set<number> {
  const out = new Set<number>();
  if (p.exchange === -1) {
    const i = Number(p.key.slice(1));
    if (i < topo.queues) out.add(i);
    return out;
  }
  const seen = new Set<number>();
  const work = [p.exchange];
  for (let guard = 0; work.length > 0 && guard < 1000; guard++) {
    const x = work.pop()!;
    if (seen.has(x)) continue;
    seen.add(x);
    const spec = topo.exchanges[x]!;
    const matched = topo.bindings.filter((b) => b.source === x && bindingMatches(spec.type, b, p));
    for (const b of matched) {
      if (b.toExchange) work.push(b.dest);
      else out.add(b.dest);
    }
    if (matched.length === 0 && spec.alternate !== null) work.push(spec.alternate);
  }
  return out;
}

// ---------------------------------------------------------------- running a case

let caseCounter = 0;

/** Declares the topology under a fresh prefix, publishes, reads every queue, compares, cleans up. */
export async function checkCase(ch: Channel, topo: Topology): Promise<void> {
  const prefix = `rm-${process.pid}-${++caseCounter}`;
  const xName = (i: number): string => `${prefix}.x${i}`;
  const qName = (i: number): string => `${prefix}.q${i}`;
  try {
    for (let i = 0; i < topo.exchanges.length; i++) {
      const s = topo.exchanges[i]!;
      await ch.assertExchange(xName(i), s.type, { durable: false, autoDelete: false, ...(s.alternate !== null ? { alternateExchange: xName(s.alternate) } : {}) });
    }
    for (let i = 0; i < topo.queues; i++) await ch.assertQueue(qName(i), { durable: false });
    for (const b of topo.bindings) {
      if (b.toExchange) await ch.bindExchange(xName(b.dest), xName(b.source), b.key, b.args);
      else await ch.bindQueue(qName(b.dest), xName(b.source), b.key, b.args);
    }
    for (let n = 0; n < topo.publishes.length; n++) {
      const p = topo.publishes[n]!;
      const rk = p.exchange === -1 ? `${prefix}.${p.key}` : p.key;
      ch.publish(p.exchange === -1 ? '' : xName(p.exchange), rk, Buffer.from(String(n)), { headers: p.headers, messageId: String(n) });
    }
    const expected: number[][] = Array.from({ length: topo.queues }, () => []);
    topo.publishes.forEach((p, n) => { for (const q of modelRoute(topo, p)) expected[q]!.push(n); });
    const actual: number[][] = [];
    for (let i = 0; i < topo.queues; i++) {
      const got: number[] = [];
      // bounded: at most one copy of each publish can be there
      for (let k = 0; k <= topo.publishes.length; k++) {
        const m = await ch.get(qName(i), { noAck: true });
        if (m === false) break;
        got.push(Number(m.content.toString()));
      }
      actual.push(got);
    }
    assert.deepEqual(actual, expected);
  } finally {
    for (let i = 0; i < topo.queues; i++) await ch.deleteQueue(qName(i));
    for (let i = 0; i < topo.exchanges.length; i++) await ch.deleteExchange(xName(i));
  }
}
