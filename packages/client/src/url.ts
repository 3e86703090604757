import type { ConnectionOptions as TlsOptions } from 'node:tls';

/** One broker address, parsed from an amqp://, amqps:// or memory:// URL. */
export interface BrokerAddress {
  protocol: 'amqp' | 'amqps' | 'memory';
  host: string;
  port: number;
  username: string;
  password: string;
  vhost: string;
  /** Query parameters (heartbeat, frame_max, channel_max, connection_timeout). */
  heartbeat?: number;
  frameMax?: number;
  channelMax?: number;
  connectionTimeout?: number;
  /** The URL with the password masked (for events and errors). */
  display: string;
  tls?: TlsOptions;
}

function intParam(u: URL, name: string): number | undefined {
  const v = u.searchParams.get(name);
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new TypeError(`invalid ${name}=${v} in broker URL`);
  return n;
}

/**
 * Parses a RabbitMQ-style URI: amqp://user:pass@host:port/vhost?heartbeat=10. The vhost is the
 * percent-decoded path without its leading slash; no path or an empty one means "/".
 * memory://NAME addresses an in-process Warren broker (NAME defaults to "default").
 */
export function parseBrokerUrl(url: string): BrokerAddress {
  const u = new URL(url);
  const protocol = u.protocol.replace(/:$/, '');
  if (protocol !== 'amqp' && protocol !== 'amqps' && protocol !== 'memory') {
    throw new TypeError(`unsupported broker URL scheme "${u.protocol}" (use amqp://, amqps:// or memory://)`);
  }
  const rawPath = u.pathname.startsWith('/') ? u.pathname.slice(1) : u.pathname;
  const vhost = protocol === 'memory' ? '/' : rawPath === '' ? '/' : decodeURIComponent(rawPath);
  const username = u.username === '' ? 'guest' : decodeURIComponent(u.username);
  const password = u.password === '' && u.username === '' ? 'guest' : decodeURIComponent(u.password);
  const host = protocol === 'memory' ? (u.hostname || 'default') : (u.hostname || '127.0.0.1').replace(/^\[(.*)\]$/, '$1');
  const port = u.port !== '' ? Number(u.port) : protocol === 'amqps' ? 5671 : 5672;
  const masked = new URL(url);
  if (masked.password !== '') masked.password = '***';
  return {
    protocol,
    host,
    port,
    username,
    password,
    vhost,
    heartbeat: intParam(u, 'heartbeat'),
    frameMax: intParam(u, 'frame_max'),
    channelMax: intParam(u, 'channel_max'),
    connectionTimeout: intParam(u, 'connection_timeout'),
    display: masked.toString(),
  };
}
