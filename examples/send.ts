// Tutorial 1, "Hello World!" — the producer: npx tsx examples/send.ts
import { connect, Queue } from '@warren/client';

const conn = await connect(process.env.WARREN_URL ?? 'amqp://guest:guest@127.0.0.1:5672/');
await conn.declare(new Queue('hello', { durable: false }));
await conn.publish('Hello World!', { routingKey: 'hello', serializer: 'text' });
console.log(" [x] Sent 'Hello World!'");
await conn.close();
