// The delayed-message heap against a sorted list: pops come out by due time, FIFO among equal
// due times, tags travel with their items, and filter keeps the heap order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DelayHeap } from '../../src/exchange/delay-heap.js';

const op = fc.oneof(
  fc.record({ kind: fc.constant('push' as const), due: fc.integer({ min: 0, max: 20 }) }),
  fc.record({ kind: fc.constant('pop' as const) }),
  fc.record({ kind: fc.constant('filter' as const), mod: fc.integer({ min: 2, max: 4 }) }),
);

test('DelayHeap behaves like a stable sort by due time', () => {
  fc.assert(fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
    const heap = new DelayHeap<number>();
    let model: Array<{ due: number; id: number }> = [];
    let next = 0;
    for (const o of ops) {
      if (o.kind === 'push') {
        const id = next++;
        heap.push(o.due, id, id * 10);
        model.push({ due: o.due, id });
        model.sort((a, b) => a.due - b.due || a.id - b.id);
      } else if (o.kind === 'pop') {
        const expected = model.shift();
        assert.equal(heap.peekDue(), expected?.due ?? Infinity);
        const tag = heap.peekTag();
        assert.equal(heap.pop(), expected?.id);
        if (expected !== undefined) assert.equal(tag, expected.id * 10);
      } else {
        const removed = heap.filter((id) => id % o.mod !== 0);
        assert.deepEqual(removed.map((r) => r.item).sort((a, b) => a - b), model.filter((m) => m.id % o.mod === 0).map((m) => m.id).sort((a, b) => a - b));
        for (const r of removed) assert.equal(r.tag, r.item * 10);
        model = model.filter((m) => m.id % o.mod !== 0);
      }
      assert.equal(heap.size, model.length);
    }
  }), { numRuns: 300 });
});
