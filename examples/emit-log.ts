// Tutorial 3, publish/subscribe — the publisher: npx tsx examples/emit-log.ts "info: hello"
import { connect, Exchange } from '@warren/client';

const conn = await connect(process.env.WARREN_URL ?? 'amqp://guest:guest@127.0.0.1:5672/');
const message = process.argv.slice(2).join(' ') || 'info: Hello World!';
const logs = new Exchange('logs', 'fanout', { durable: false });
await conn.publish(message, { exchange: logs, serializer: 'text' }); // the exchange is declared on first use
console.log(` [x] Sent ${message}`);
await conn.close();
