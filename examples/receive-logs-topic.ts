// Tutorial 5, topics — a subscriber: npx tsx examples/receive-logs-topic.ts "kern.*" "*.critical"
import { connect, Exchange, Queue } from '@warren/client';

const bindingKeys = process.argv.slice(2);
if (bindingKeys.length === 0) {
  console.error('Usage: receive-logs-topic.ts [binding_key]...');
  process.exit(1);
}
const conn = await connect(process.env.WARREN_URL ?? 'amqp://guest:guest@127.0.0.1:5672/');
const exchange = new Exchange('topic_logs', 'topic', { durable: false });
const queue = new Queue('', { exclusive: true, bindings: bindingKeys.map((routingKey) => ({ exchange, routingKey })) });
await conn.consume<string>(queue, (body, msg) => {
  console.log(` [x] ${msg.routingKey}:${body}`);
}, { noAck: true });
console.log(' [*] Waiting for logs. To exit press CTRL+C');
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void conn.close().then(() => process.exit(0)));
