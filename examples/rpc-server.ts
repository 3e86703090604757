// Tutorial 6, RPC — the server: npx tsx examples/rpc-server.ts
import { connect } from '@warren/client';

function fib(n: number): number {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

const conn = await connect(process.env.WARREN_URL ?? 'amqp://guest:guest@127.0.0.1:5672/');
await conn.rpc.serve<string, string>('rpc_queue', (n) => {
  console.log(` [.] fib(${n})`);
  return String(fib(Number(n)));
}, { prefetch: 1, serializer: 'text' });
console.log(' [x] Awaiting RPC requests');
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void conn.close().then(() => process.exit(0)));
