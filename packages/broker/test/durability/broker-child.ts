// A broker in its own process for crash tests: prints {"port":N} once listening.
import { pino } from 'pino';
import { startBroker } from '../../src/index.js';

const dataDir = process.argv[2];
if (dataDir === undefined) throw new Error('usage: broker-child.ts DATA_DIR');
const broker = await startBroker({ port: 0, host: '127.0.0.1', dataDir, logger: pino({ level: 'warn' }, pino.destination(2)) });
process.stdout.write(JSON.stringify({ port: broker.port }) + '\n');
