// Tutorial 3, publish/subscribe — a subscriber: npx tsx examples/receive-logs.ts
import { connect, Exchange, Queue } from '@warren/client';

const conn = await connect(process.env.WARREN_URL ?? 'amqp://guest:guest@127.0.0.1:5672/');
const logs = new Exchange('logs', 'fanout', { durable: false });
// a server-named, exclusive queue bound to the exchange (re-created and re-bound after a reconnect)
const queue = new Queue('', { exclusive: true, bindings: [{ exchange: logs }] });
await conn.consume<string>(queue, (body) => {
  console.log(` [x] ${body}`);
}, { noAck: true });
console.log(' [*] Waiting for logs. To exit press CTRL+C');
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void conn.close().then(() => process.exit(0)));
