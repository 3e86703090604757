// `warren server` settings from three sources, highest first: command-line flags, WARREN_*
// environment variables, the JSON config file (--config / WARREN_CONFIG). Pure apart from reading
// the config file; every problem is a UsageError (exit status 2).
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';

export class UsageError extends Error {
  override name = 'UsageError';
}

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface ServerSettings {
  port?: number;
  managementPort?: number;
  dataDir?: string;
  /** Bind address; absent = all interfaces. */
  bind?: string;
  /** Path of a RabbitMQ definitions file to import on boot. */
  definitions?: string;
  heartbeat?: number;
  frameMax?: number;
  channelMax?: number;
  logLevel: LogLevel;
  /** Prometheus metrics port (default 15692; 0 = off). */
  prometheusPort?: number;
  /** PEM certificate and key: amqps listener on tlsPort (default 5671) and HTTPS management. */
  tlsCert?: string;
  tlsKey?: string;
  tlsPort?: number;
  /** Message statistics (default true). */
  stats?: boolean;
  /** The config file the settings came from, if any (for the log). */
  configFile?: string;
}

type Kind = 'port' | 'u16' | 'frameMax' | 'path' | 'address' | 'logLevel' | 'bool';

interface Setting {
  key: Exclude<keyof ServerSettings, 'configFile'>;
  flag: string;
  env: string;
  kind: Kind;
}

/** One row per setting: its config-file key, flag and environment variable. */
const SETTINGS: readonly Setting[] = [
  { key: 'port', flag: 'port', env: 'WARREN_PORT', kind: 'port' },
  { key: 'managementPort', flag: 'management-port', env: 'WARREN_MANAGEMENT_PORT', kind: 'port' },
  { key: 'dataDir', flag: 'data-dir', env: 'WARREN_DATA_DIR', kind: 'path' },
  { key: 'bind', flag: 'bind', env: 'WARREN_BIND', kind: 'address' },
  { key: 'definitions', flag: 'definitions', env: 'WARREN_DEFINITIONS', kind: 'path' },
  { key: 'heartbeat', flag: 'heartbeat', env: 'WARREN_HEARTBEAT', kind: 'u16' },
  { key: 'frameMax', flag: 'frame-max', env: 'WARREN_FRAME_MAX', kind: 'frameMax' },
  { key: 'channelMax', flag: 'channel-max', env: 'WARREN_CHANNEL_MAX', kind: 'u16' },
  { key: 'logLevel', flag: 'log-level', env: 'WARREN_LOG_LEVEL', kind: 'logLevel' },
  { key: 'prometheusPort', flag: 'prometheus-port', env: 'WARREN_PROMETHEUS_PORT', kind: 'port' },
  { key: 'tlsCert', flag: 'tls-cert', env: 'WARREN_TLS_CERT', kind: 'path' },
  { key: 'tlsKey', flag: 'tls-key', env: 'WARREN_TLS_KEY', kind: 'path' },
  { key: 'tlsPort', flag: 'tls-port', env: 'WARREN_TLS_PORT', kind: 'port' },
  { key: 'stats', flag: 'stats', env: 'WARREN_STATS', kind: 'bool' },
];

const CONFIG_KEYS = SETTINGS.map((s) => s.key);

export const SERVER_FLAGS = {
  ...Object.fromEntries(SETTINGS.map((s) => [s.flag, { type: 'string' as const }])),
  config: { type: 'string' as const },
  help: { type: 'boolean' as const, short: 'h' },
};

function parseInteger(text: string, min: number, max: number, where: string): number {
  if (!/^\d+$/.test(text.trim())) throw new UsageError(`${where}: expected an integer ${min}-${max}, got '${text}'`);
  const n = Number(text.trim());
  if (n < min || n > max) throw new UsageError(`${where}: expected an integer ${min}-${max}, got ${n}`);
  return n;
}

/** Converts one raw value (a string from a flag/env, or a JSON value from the config file). */
function convert(kind: Kind, raw: unknown, where: string, baseDir: string): number | string | boolean {
  if (kind === 'bool') {
    if (typeof raw === 'boolean') return raw;
    const t = typeof raw === 'string' ? raw.trim().toLowerCase() : '';
    if (['on', 'true', 'yes', '1'].includes(t)) return true;
    if (['off', 'false', 'no', '0'].includes(t)) return false;
    throw new UsageError(`${where}: expected on or off, got ${JSON.stringify(raw)}`);
  }
  if (kind === 'port' || kind === 'u16' || kind === 'frameMax') {
    let text: string;
    if (typeof raw === 'number' && Number.isInteger(raw)) text = String(raw);
    else if (typeof raw === 'string') text = raw;
    else throw new UsageError(`${where}: expected an integer, got ${JSON.stringify(raw)}`);
    if (kind === 'frameMax') {
      const n = parseInteger(text, 0, 0xffffffff, where);
      if (n !== 0 && n < 4096) throw new UsageError(`${where}: the AMQP minimum frame size is 4096 (0 = no limit), got ${n}`);
      return n;
    }
    return parseInteger(text, 0, 65535, where);
  }
  if (typeof raw !== 'string' || raw.trim() === '') throw new UsageError(`${where}: expected a non-empty string, got ${JSON.stringify(raw)}`);
  if (kind === 'path') return resolve(baseDir, raw);
  if (kind === 'logLevel') {
    const level = raw.trim().toLowerCase();
    if (!(LOG_LEVELS as readonly string[]).includes(level)) throw new UsageError(`${where}: expected one of ${LOG_LEVELS.join(', ')}, got '${raw}'`);
    return level;
  }
  return raw.trim();
}

/** Reads a JSON config file: an object whose keys are the camelCase setting names. */
export function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read config file ${path}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`config file ${path} is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new UsageError(`config file ${path} must hold a JSON object`);
  const unknown = Object.keys(json).filter((k) => !(CONFIG_KEYS as string[]).includes(k));
  if (unknown.length > 0) {
    throw new UsageError(`config file ${path}: unknown key${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k}'`).join(', ')} (allowed: ${CONFIG_KEYS.join(', ')})`);
  }
  return json as Record<string, unknown>;
}

/**
 * Settings for `warren server ARGS`. `env` is the environment (process.env), `cwd` the directory
 * relative paths from flags and variables are resolved against; paths in the config file are
 * resolved against the file's own directory. Returns 'help' for --help.
 */
export function resolveServerSettings(args: string[], env: NodeJS.ProcessEnv, cwd: string): ServerSettings | 'help' {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args, options: SERVER_FLAGS, strict: true, allowPositionals: false }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help === true) return 'help';

  const settings: ServerSettings = { logLevel: 'info' };
  const configValue = values.config ?? env.WARREN_CONFIG;
  if (configValue !== undefined) {
    const where = values.config !== undefined ? '--config' : 'WARREN_CONFIG';
    if (typeof configValue !== 'string' || configValue.trim() === '') throw new UsageError(`${where}: expected a file name`);
    const file = resolve(cwd, configValue);
    settings.configFile = file;
    const config = readConfigFile(file);
    for (const s of SETTINGS) {
      if (config[s.key] !== undefined) assign(settings, s.key, convert(s.kind, config[s.key], `config file ${file}: ${s.key}`, dirname(file)));
    }
  }
  for (const s of SETTINGS) {
    const fromEnv = env[s.env];
    if (fromEnv !== undefined && fromEnv !== '') assign(settings, s.key, convert(s.kind, fromEnv, s.env, cwd));
  }
  for (const s of SETTINGS) {
    const fromFlag = values[s.flag];
    if (typeof fromFlag === 'string') assign(settings, s.key, convert(s.kind, fromFlag, `--${s.flag}`, cwd));
  }
  if ((settings.tlsCert === undefined) !== (settings.tlsKey === undefined)) {
    throw new UsageError('--tls-cert and --tls-key go together: give both or neither');
  }
  return settings;
}

function assign(settings: ServerSettings, key: Setting['key'], value: number | string | boolean): void {
  (settings as unknown as Record<string, unknown>)[key] = value;
}
