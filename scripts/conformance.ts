// npm run test:conformance [-- NAME_REGEX]
// Starts the built broker in this process on a free port (127.0.0.1, fresh data dir) and runs the
// shared conformance scenarios against it (../shared/conformance/run.sh), streaming their output.
// Exits with run.sh's status. Broker logs (level WARREN_LOG_LEVEL, default warn) go to stderr.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { startBroker } from '@warren/broker';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const runner = join(repoRoot, '..', 'shared', 'conformance', 'run.sh');

async function main(): Promise<number> {
  if (!existsSync(runner)) {
    process.stderr.write(`conformance: ${runner} not found (the shared/ folder must sit beside the repository)\n`);
    return 1;
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'warren-conformance-'));
  const logger = pino({ name: 'warren', level: process.env.WARREN_LOG_LEVEL ?? 'warn' }, pino.destination(2));
  const broker = await startBroker({ port: 0, host: '127.0.0.1', managementPort: 0, dataDir, logger });
  const url = `amqp://guest:guest@127.0.0.1:${broker.port}/`;
  process.stderr.write(`conformance: Warren on ${url} (data ${dataDir})\n`);
  try {
    const child = spawn('bash', [runner, url, ...process.argv.slice(2)], { stdio: 'inherit' });
    const forward = (signal: NodeJS.Signals): void => {
      child.kill(signal);
    };
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
    process.off('SIGINT', forward);
    process.off('SIGTERM', forward);
    return code ?? 128 + (signal ? constants.signals[signal] : 0);
  } finally {
    await broker.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`conformance: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
