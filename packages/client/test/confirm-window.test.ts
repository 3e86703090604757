// The ring of publishes awaiting confirms, checked against a Map model under random operations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ConfirmWindow } from '../src/wire/confirm-window.js';
import type { PublishTicket } from '../src/wire/wire-channel.js';

class Ticket implements PublishTicket {
  outcome: 'pending' | 'ok' | 'error' = 'pending';
  constructor(readonly id: number) {}
  settle(err: Error | undefined): void {
    assert.equal(this.outcome, 'pending', `ticket ${this.id} settled twice`);
    this.outcome = err === undefined ? 'ok' : 'error';
  }
}

type Op = { kind: 'publish'; n: number } | { kind: 'ack'; back: number; multiple: boolean } | { kind: 'takeAll' };

test('matches a Map model: single and multiple confirms in any order, growth, takeAll', () => {
  const op: fc.Arbitrary<Op> = fc.oneof(
    { weight: 6, arbitrary: fc.record({ kind: fc.constant('publish' as const), n: fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 1500 })) }) },
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('ack' as const), back: fc.nat(3000), multiple: fc.boolean() }) },
    { weight: 1, arbitrary: fc.constant<Op>({ kind: 'takeAll' }) },
  );
  fc.assert(fc.property(fc.array(op, { minLength: 1, maxLength: 300, size: 'max' }), (ops) => {
    const w = new ConfirmWindow();
    const model = new Map<number, Ticket>();
    let next = 1;
    for (const o of ops) {
      if (o.kind === 'publish') {
        for (let i = 0; i < o.n; i++) {
          const t = new Ticket(next);
          assert.equal(w.add(t), next);
          model.set(next++, t);
        }
      } else if (o.kind === 'ack') {
        const tag = next - 1 - o.back;
        if (tag < 1) continue;
        const settled: number[] = [];
        if (o.multiple) w.takeBelow(tag, (t) => { settled.push((t as Ticket).id); t.settle(undefined); });
        assert.equal(w.has(tag), model.has(tag));
        const own = w.take(tag);
        assert.equal(own, model.get(tag));
        own?.settle(undefined);
        const expected = o.multiple ? [...model.keys()].filter((s) => s < tag).sort((a, b) => a - b) : [];
        assert.deepEqual(settled, expected);
        for (const s of expected) model.delete(s);
        model.delete(tag);
      } else {
        const all = w.takeAll().map((t) => (t as Ticket).id);
        assert.deepEqual(all, [...model.keys()].sort((a, b) => a - b));
        model.clear();
      }
      assert.equal(w.size, model.size);
    }
  }), { numRuns: 100 });
});

test('a ticket settled from inside takeBelow may publish again without losing or repeating tickets', () => {
  const w = new ConfirmWindow();
  const tickets: Ticket[] = [];
  for (let i = 0; i < 1500; i++) { const t = new Ticket(i + 1); tickets.push(t); w.add(t); }
  let republished = 0;
  w.takeBelow(1001, (t) => {
    t.settle(undefined);
    // each settlement publishes two more: the ring grows while being walked
    for (let k = 0; k < 2; k++) { const n = new Ticket(10_000 + republished++); tickets.push(n); w.add(n); }
  });
  assert.equal(tickets.slice(0, 1000).every((t) => t.outcome === 'ok'), true);
  assert.equal(w.size, 500 + republished);
  const rest = w.takeAll() as Ticket[];
  assert.deepEqual(rest.map((t) => t.id), [...tickets.slice(1000, 1500), ...tickets.slice(1500)].map((t) => t.id));
});
