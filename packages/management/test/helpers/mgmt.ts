// Starts Warren in-process (AMQP on a free loopback port) with the management API on another
// free port, and talks to the API over real HTTP.
import { pino } from 'pino';
import { startBroker, type BrokerOptions, type WarrenBroker } from '@warren/broker';
import { startManagement } from '../../src/index.js';

export interface Mgmt {
  broker: WarrenBroker;
  base: string;
  amqpUrl: string;
  /** AMQP URL for another user / vhost. */
  amqpUrlFor(user: string, pass: string, vhost?: string): string;
  api(method: string, path: string, body?: unknown, auth?: [string, string] | null, headers?: Record<string, string>): Promise<ApiResponse>;
  close(): Promise<void>;
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON body, or undefined when empty. */
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  text: string;
}

export async function startMgmt(opts: BrokerOptions & { statsIntervalMs?: number } = {}): Promise<Mgmt> {
  const { statsIntervalMs, ...brokerOpts } = opts;
  const broker = await startBroker({ port: 0, host: '127.0.0.1', logger: pino({ level: 'silent' }), ...brokerOpts });
  const server = await startManagement({ broker, port: 0, host: '127.0.0.1', statsIntervalMs: statsIntervalMs ?? 5000 });
  const base = `http://127.0.0.1:${server.port}`;
  const api: Mgmt['api'] = async (method, path, body, auth = ['guest', 'guest'], headers = {}) => {
    const h: Record<string, string> = { ...headers };
    if (auth !== null) h['authorization'] = 'Basic ' + Buffer.from(`${auth[0]}:${auth[1]}`).toString('base64');
    let payload: string | undefined;
    if (body !== undefined) {
      payload = typeof body === 'string' ? body : JSON.stringify(body);
      h['content-type'] ??= 'application/json';
    }
    const res = await fetch(base + path, { method, headers: h, body: payload, signal: AbortSignal.timeout(10_000) });
    const text = await res.text();
    let parsed: unknown;
    if (text !== '') {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
    }
    return { status: res.status, headers: res.headers, body: parsed, text };
  };
  const amqpUrlFor = (user: string, pass: string, vhost = '/') =>
    `amqp://${encodeURIComponent(user)}:${encodeURIComponent(pass)}@127.0.0.1:${broker.port}/${encodeURIComponent(vhost)}`;
  return {
    broker, base, api, amqpUrlFor,
    amqpUrl: amqpUrlFor('guest', 'guest'),
    async close() {
      await server.close();
      await broker.close('test finished');
    },
  };
}

/** Polls `check` (bounded) until it returns true. */
export async function eventually(check: () => Promise<boolean> | boolean, what: string, tries = 100, delayMs = 50): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, delayMs));
  }
  throw new Error(`condition not reached: ${what}`);
}
