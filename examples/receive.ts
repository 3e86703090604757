// Tutorial 1, "Hello World!" — the consumer: npx tsx examples/receive.ts (Ctrl-C to stop)
import { connect, Queue } from '@warren/client';

const conn = await connect(process.env.WARREN_URL ?? 'amqp://guest:guest@127.0.0.1:5672/');
await conn.consume<string>(new Queue('hello', { durable: false }), (body) => {
  console.log(` [x] Received ${body}`);
});
console.log(' [*] Waiting for messages. To exit press CTRL+C');
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void conn.close().then(() => process.exit(0)));
