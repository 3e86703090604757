// Tutorial 5, topics — the publisher: npx tsx examples/emit-log-topic.ts kern.critical "A critical kernel error"
import { connect, Exchange } from '@warren/client';

const conn = await connect(process.env.WARREN_URL ?? 'amqp://guest:guest@127.0.0.1:5672/');
const [routingKey = 'anonymous.info', ...words] = process.argv.slice(2);
const message = words.join(' ') || 'Hello World!';
await conn.publish(message, { exchange: new Exchange('topic_logs', 'topic', { durable: false }), routingKey, serializer: 'text' });
console.log(` [x] Sent ${routingKey}:${message}`);
await conn.close();
