import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { QueueEntries } from '../../src/store/queue-entries.js';

type Op = { kind: 'add' | 'addOld' | 'set' | 'del' | 'delFront' | 'clear'; n: number; v: number };

const op: fc.Arbitrary<Op> = fc.record({
  kind: fc.constantFrom('add', 'add', 'add', 'addOld', 'set', 'del', 'delFront', 'delFront', 'clear'),
  n: fc.nat(5000),
  v: fc.nat(0x3fffffff),
});

test('QueueEntries behaves like a Map (same enqueue order) (fast-check model)', () => {
  fc.assert(fc.property(fc.array(op, { maxLength: 3000 }), (ops) => {
    const t = new QueueEntries();
    const model = new Map<number, number>();
    let next = 1;
    for (const o of ops) {
      const keys = [...model.keys()].sort((a, b) => a - b);
      switch (o.kind) {
        case 'add': next += 1 + (o.n % 3); t.set(next, o.v); model.set(next, o.v); break;
        case 'addOld': { const id = 1 + (o.n % next); if (!model.has(id)) { t.set(id, o.v); model.set(id, o.v); } break; }
        case 'set': if (keys.length > 0) { const id = keys[o.n % keys.length]!; t.set(id, o.v); model.set(id, o.v); } break;
        case 'del': { const id = keys.length > 0 && o.n % 4 !== 0 ? keys[o.n % keys.length]! : o.n; assert.equal(t.delete(id), model.delete(id)); break; }
        case 'delFront': if (keys.length > 0) { assert.equal(t.delete(keys[0]!), true); model.delete(keys[0]!); } break;
        case 'clear': if (o.n % 50 === 0) { t.clear(); model.clear(); } break;
      }
      assert.equal(t.size, model.size);
    }
    const got: [number, number][] = [];
    t.forEach((id, v) => got.push([id, v]));
    assert.deepEqual(got, [...model.entries()]);
    for (const [id, v] of model) assert.equal(t.get(id), v);
    assert.equal(t.get(next + 1), -1);
  }), { numRuns: 300 });
});

test('QueueEntries: a FIFO backlog of a million entries drains from the front and gives memory back', () => {
  const t = new QueueEntries();
  for (let id = 1; id <= 1_000_000; id++) t.set(id, id & 0x7fff);
  assert.equal(t.size, 1_000_000);
  for (let id = 1; id <= 1_000_000; id += 2) assert.equal(t.get(id), id & 0x7fff);
  for (let id = 1; id <= 1_000_000; id++) assert.equal(t.delete(id), true);
  assert.equal(t.size, 0);
  assert.equal(t.get(5), -1);
  t.set(2_000_000, 7);
  assert.equal(t.get(2_000_000), 7);
});
