// Property test: deliveries of random topologies and publishes through a real broker equal a
// small pure model (see routing-model.ts). A modest number of cases here; scripts/routing-model.ts
// runs thousands.
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import type { Channel } from 'amqplib';
import { checkCase, modelRoute, topologyArb, type Topology } from './routing-model.js';
import { client, startFeatureBroker, type FeatureBroker } from './helpers.js';
import assert from 'node:assert/strict';

let fb: FeatureBroker;
let c: { ch: Channel; close(): Promise<void> };
before(async () => { fb = await startFeatureBroker(); c = await client(fb.url); });
after(async () => { await c.close(); await fb.close(); });

test('the model itself: alternate exchange only when the exchange matches nothing', () => {
  const topo: Topology = {
    exchanges: [{ type: 'direct', alternate: 2 }, { type: 'direct', alternate: null }, { type: 'fanout', alternate: null }],
    queues: 2,
    bindings: [
      { source: 0, toExchange: true, dest: 1, key: 'a', args: {} }, // x0 -a-> x1, which routes 'a' nowhere
      { source: 2, toExchange: false, dest: 1, key: '', args: {} },
      { source: 1, toExchange: false, dest: 0, key: 'b', args: {} },
    ],
    publishes: [],
  };
  assert.deepEqual([...modelRoute(topo, { exchange: 0, key: 'a', headers: {} })], []);
  assert.deepEqual([...modelRoute(topo, { exchange: 0, key: 'c', headers: {} })], [1]);
});

test('random topologies route exactly like the model', { timeout: 120_000 }, async () => {
  await fc.assert(fc.asyncProperty(topologyArb(), (topo) => checkCase(c.ch, topo)), { numRuns: 150 });
});
