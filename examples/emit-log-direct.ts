// Tutorial 4, routing — the publisher: npx tsx examples/emit-log-direct.ts error "Run. Run. Or it will explode."
import { connect, Exchange } from '@warren/client';

const conn = await connect(process.env.WARREN_URL ?? 'amqp://guest:guest@127.0.0.1:5672/');
const [severity = 'info', ...words] = process.argv.slice(2);
const message = words.join(' ') || 'Hello World!';
await conn.publish(message, { exchange: new Exchange('direct_logs', 'direct', { durable: false }), routingKey: severity, serializer: 'text' });
console.log(` [x] Sent ${severity}:${message}`);
await conn.close();
