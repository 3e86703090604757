// `warren ctl COMMAND [ARGS]`: operates a running Warren (or RabbitMQ) through its management API.
import { parseArgs } from 'node:util';
import { ApiClient, CtlError, EXIT } from './client.js';
import { COMMANDS, type CtlContext } from './commands.js';

const OPTIONS = {
  url: { type: 'string' as const },
  user: { type: 'string' as const, short: 'u' },
  password: { type: 'string' as const },
  vhost: { type: 'string' as const, short: 'p' },
  json: { type: 'boolean' as const },
  formatter: { type: 'string' as const },
  quiet: { type: 'boolean' as const, short: 'q' },
  silent: { type: 'boolean' as const, short: 's' },
  priority: { type: 'string' as const },
  'apply-to': { type: 'string' as const },
  'if-empty': { type: 'boolean' as const },
  'if-unused': { type: 'boolean' as const },
  help: { type: 'boolean' as const, short: 'h' },
};

export function ctlUsage(): string {
  const width = Math.max(...Object.values(COMMANDS).map((c) => c.usage.length));
  return `Usage: warren ctl [--url URL] [--user USER] [--password PASSWORD] [--json] COMMAND [ARGS]

Operates a running broker through its HTTP management API (like rabbitmqctl).

Options:
  --url URL              management API (default http://127.0.0.1:15672; env WARREN_CTL_URL)
  -u, --user USER        user name (default guest; env WARREN_CTL_USER)
  --password PASSWORD    password (default guest; env WARREN_CTL_PASSWORD)
  -p, --vhost VHOST      virtual host for commands that take one (default /)
  --json                 machine-readable output (also: --formatter json)
  -q, --quiet            no informational lines ("Listing queues ..."); -s, --silent too
  -h, --help             show this help

Commands:
${Object.values(COMMANDS).map((c) => `  ${c.usage.padEnd(width)}  ${c.help}`).join('\n')}

Exit status: 0 success, 64 usage error, 65 bad data or object not found, 69 broker unreachable,
77 access refused, 1 other failures.
`;
}

export async function runCtl(args: string[], env: NodeJS.ProcessEnv, out: (s: string) => void, err: (s: string) => void): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args, options: OPTIONS, strict: true, allowPositionals: true }));
  } catch (e) {
    err(`warren ctl: ${(e as Error).message}\nTry 'warren ctl help'.\n`);
    return EXIT.usage;
  }
  const [name, ...rest] = positionals;
  const formatter = values.formatter;
  if (formatter !== undefined && formatter !== 'json' && formatter !== 'table') {
    err(`warren ctl: --formatter must be json or table, got '${String(formatter)}'\n`);
    return EXIT.usage;
  }
  if (values.help === true || name === undefined || name === 'help') {
    (name === undefined && values.help !== true ? err : out)(ctlUsage());
    return name === undefined && values.help !== true ? EXIT.usage : EXIT.ok;
  }
  const cmd = COMMANDS[name];
  if (cmd === undefined) {
    err(`warren ctl: unknown command '${name}'\nTry 'warren ctl help'.\n`);
    return EXIT.usage;
  }
  const [min, max] = cmd.args;
  if (rest.length < min || (max >= 0 && rest.length > max)) {
    err(`warren ctl: wrong number of arguments for ${name}\nUsage: warren ctl ${cmd.usage}\n`);
    return EXIT.usage;
  }
  const str = (k: string) => (typeof values[k] === 'string' ? (values[k] as string) : undefined);
  const ctx: CtlContext = {
    api: new ApiClient({
      url: str('url') ?? env['WARREN_CTL_URL'] ?? 'http://127.0.0.1:15672',
      user: str('user') ?? env['WARREN_CTL_USER'] ?? 'guest',
      password: str('password') ?? env['WARREN_CTL_PASSWORD'] ?? 'guest',
    }),
    vhost: str('vhost') ?? '/',
    json: values.json === true || str('formatter') === 'json',
    quiet: values.quiet === true || values.silent === true,
    flags: {
      ...(str('priority') !== undefined ? { priority: str('priority') } : {}),
      ...(str('apply-to') !== undefined ? { applyTo: str('apply-to') } : {}),
      ifEmpty: values['if-empty'] === true,
      ifUnused: values['if-unused'] === true,
    },
    out,
  };
  try {
    await cmd.run(ctx, rest);
    return EXIT.ok;
  } catch (e) {
    if (e instanceof CtlError) {
      err(ctx.json ? JSON.stringify({ result: 'error', message: e.message }) + '\n' : `Error: ${e.message}\n`);
      return e.exitCode;
    }
    throw e;
  }
}
