// Tutorial 6, RPC — the client: npx tsx examples/rpc-client.ts 30
import { connect } from '@warren/client';

const conn = await connect(process.env.WARREN_URL ?? 'amqp://guest:guest@127.0.0.1:5672/');
const n = process.argv[2] ?? '30';
console.log(` [x] Requesting fib(${n})`);
const answer = await conn.rpc.call<string>('rpc_queue', n, { serializer: 'text', timeout: 30_000 });
console.log(` [.] Got ${answer}`);
await conn.close();
