#!/usr/bin/env node
// The `warren` command. Exit status: 0 ok, 1 runtime failure, 2 usage/config error.
import { resolveServerSettings, UsageError } from './options.js';
import { runServer } from './server.js';
import { runCtl } from './ctl/main.js';
import { USAGE, version } from './usage.js';

function usageError(message: string): number {
  process.stderr.write(`warren: ${message}\nTry 'warren --help'.\n`);
  return 2;
}

async function main(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  switch (command) {
    case '-h':
    case '--help':
    case 'help':
      process.stdout.write(USAGE);
      return 0;
    case '-v':
    case '--version':
    case 'version':
      process.stdout.write(`warren ${version()}\n`);
      return 0;
    case 'server': {
      let settings;
      try {
        settings = resolveServerSettings(rest, process.env, process.cwd());
      } catch (err) {
        if (err instanceof UsageError) return usageError(err.message);
        throw err;
      }
      if (settings === 'help') {
        process.stdout.write(USAGE);
        return 0;
      }
      return runServer(settings);
    }
    case 'ctl':
      return runCtl(rest, process.env, (s) => process.stdout.write(s), (s) => process.stderr.write(s));
    case undefined:
      process.stderr.write(USAGE);
      return 2;
    default:
      return usageError(command.startsWith('-') ? `unknown option '${command}'` : `unknown command '${command}'`);
  }
}

main(process.argv.slice(2)).then(
  // runServer resolves only once the broker has stopped and the log is flushed; exit even if a
  // stray handle (a client socket mid-close, a timer) would keep the loop alive
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`warren: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
