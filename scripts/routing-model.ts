// Many thousands of random routing cases (topologies of every exchange type, exchange-to-exchange
// bindings, alternate exchanges, headers and topic bindings) through amqplib against an in-process
// Warren, compared with the pure model in packages/broker/test/features/routing-model.ts.
// Usage: npm run test:routing-model -- [cases] [seed]
import fc from 'fast-check';
import { pino } from 'pino';
import amqp from 'amqplib';
import { startBroker } from '../packages/broker/src/index.js';
import { checkCase, topologyArb } from '../packages/broker/test/features/routing-model.js';

const cases = Number(process.argv[2] ?? 5000);
const seed = process.argv[3] !== undefined ? Number(process.argv[3]) : Date.now() % 2_147_483_647;
const broker = await startBroker({ port: 0, host: '127.0.0.1', logger: pino({ level: 'silent' }) });
const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${broker.port}/`);
const ch = await conn.createChannel();
const started = Date.now();
let ran = 0;
let publishes = 0;
try {
  await fc.assert(
    fc.asyncProperty(topologyArb(6, 5), async (topo) => {
      ran++;
      publishes += topo.publishes.length;
      await checkCase(ch, topo);
      if (ran % (cases >= 5000 ? 1000 : 100) === 0) process.stdout.write(`${ran} cases...\n`);
    }),
    { numRuns: cases, seed },
  );
  process.stdout.write(`routing model: ${cases} cases passed (${publishes} publishes, seed ${seed}) in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
} finally {
  await conn.close();
  await broker.close();
}
