// Tutorial 2, work queues — the producer: npx tsx examples/new-task.ts "A task with dots..."
import { connect, Queue } from '@warren/client';

const conn = await connect(process.env.WARREN_URL ?? 'amqp://guest:guest@127.0.0.1:5672/');
const message = process.argv.slice(2).join(' ') || 'Hello World!';
await conn.declare(new Queue('task_queue', { durable: true }));
// persistent (delivery mode 2) is the default; the promise resolves once the broker confirmed it
await conn.publish(message, { routingKey: 'task_queue', serializer: 'text', persistent: true });
console.log(` [x] Sent '${message}'`);
await conn.close();
