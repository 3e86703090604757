// ChannelTable must behave exactly like the Map it caches, whatever the order of operations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ChannelTable } from '../src/index.js';

test('ChannelTable answers like a Map under random set/get/delete/clear', () => {
  const op = fc.tuple(fc.constantFrom('set', 'get', 'get', 'delete', 'clear'), fc.integer({ min: 0, max: 6 }), fc.nat(1000));
  fc.assert(fc.property(fc.array(op, { maxLength: 300, size: 'max' }), (ops) => {
    const t = new ChannelTable<{ v: number }>();
    const m = new Map<number, { v: number }>();
    for (const [kind, id, v] of ops) {
      if (kind === 'set') { const o = { v }; t.set(id, o); m.set(id, o); }
      if (kind === 'delete') { t.delete(id); m.delete(id); }
      if (kind === 'clear') { t.clear(); m.clear(); }
      assert.equal(t.get(id), m.get(id));
      assert.equal(t.has(id), m.has(id));
      assert.equal(t.size, m.size);
    }
    assert.deepEqual([...t.values()], [...m.values()]);
  }), { numRuns: 300 });
});
