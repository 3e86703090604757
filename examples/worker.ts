// Tutorial 2, work queues — a worker: npx tsx examples/worker.ts (one second of work per dot)
import { connect, Queue } from '@warren/client';

const conn = await connect(process.env.WARREN_URL ?? 'amqp://guest:guest@127.0.0.1:5672/');
const seconds = Number(process.env.WORKER_SECONDS_PER_DOT ?? 1);
await conn.consume<string>(new Queue('task_queue', { durable: true }), async (body) => {
  console.log(` [x] Received ${body}`);
  await new Promise((r) => setTimeout(r, (body.split('.').length - 1) * seconds * 1000));
  console.log(' [x] Done'); // returning acks the message; throwing would retry it
}, { prefetch: 1 });
console.log(' [*] Waiting for messages. To exit press CTRL+C');
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void conn.close().then(() => process.exit(0)));
