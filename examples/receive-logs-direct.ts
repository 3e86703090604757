// Tutorial 4, routing — a subscriber: npx tsx examples/receive-logs-direct.ts info warning error
import { connect, Exchange, Queue } from '@warren/client';

const severities = process.argv.slice(2);
if (severities.length === 0) {
  console.error('Usage: receive-logs-direct.ts [info] [warning] [error]');
  process.exit(1);
}
const conn = await connect(process.env.WARREN_URL ?? 'amqp://guest:guest@127.0.0.1:5672/');
const exchange = new Exchange('direct_logs', 'direct', { durable: false });
const queue = new Queue('', { exclusive: true, bindings: severities.map((routingKey) => ({ exchange, routingKey })) });
await conn.consume<string>(queue, (body, msg) => {
  console.log(` [x] ${msg.routingKey}:${body}`);
}, { noAck: true });
console.log(' [*] Waiting for logs. To exit press CTRL+C');
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void conn.close().then(() => process.exit(0)));
