import { readFileSync } from 'node:fs';

export const USAGE = `Usage: warren <command> [options]

Warren: a RabbitMQ-compatible AMQP 0-9-1 broker.

Commands:
  server                 run the broker in the foreground (stop it with SIGTERM or Ctrl-C)
  ctl COMMAND [ARGS]     operate a running broker over its HTTP API, like rabbitmqctl
                         ('warren ctl help' lists the commands)

Options of "warren server":
  --port N               AMQP port (default 5672; 0 = any free port)
  --management-port N    HTTP management API and web UI port (default 15672; 0 = off)
  --prometheus-port N    Prometheus metrics port, /metrics (default 15692; 0 = off)
  --tls-cert FILE        PEM certificate: with --tls-key, an amqps listener on --tls-port
  --tls-key FILE         PEM private key    and HTTPS on the management port
  --tls-port N           amqps port (default 5671)
  --stats on|off         message statistics for the management API (default on)
  --data-dir DIR         where durable state is kept
  --bind ADDR            address to listen on (default: all interfaces)
  --definitions FILE     RabbitMQ definitions JSON (users, vhosts, permissions, queues,
                         exchanges, bindings) to import on boot
  --config FILE          JSON file with any of the keys port, managementPort, dataDir, bind,
                         definitions, heartbeat, frameMax, channelMax, logLevel,
                         prometheusPort, tlsCert, tlsKey, tlsPort, stats (relative paths in it
                         are relative to the file)
  --heartbeat SECONDS    heartbeat interval the server proposes (default 60; 0 = none)
  --frame-max BYTES      largest frame the server accepts (default 131072)
  --channel-max N        most channels per connection (default 2047)
  --log-level LEVEL      trace, debug, info (default), warn, error, fatal or silent
  -h, --help             show this help

  Each option can also be given as an environment variable: WARREN_ and the option name in
  capitals, dashes as underscores (WARREN_PORT, WARREN_MANAGEMENT_PORT, WARREN_DATA_DIR,
  WARREN_CONFIG, WARREN_BIND, WARREN_DEFINITIONS, WARREN_LOG_LEVEL, ...).
  Flags win over environment variables, which win over the config file.

Global options:
  -h, --help             show this help
  -v, --version          print the version

Logs are JSON lines (pino) on standard output; a line containing "ready" is printed once the
broker listens. Exit status: 0 after a clean shutdown, 1 if the broker fails, 2 for a usage,
config or definitions error.
`;

/** The @warren/cli package version (dist/usage.js → ../package.json). */
export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string };
  return pkg.version ?? 'unknown';
}
