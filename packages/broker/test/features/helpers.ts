// In-process Warren for the feature tests that also drive the broker's API (policies, options).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { startBroker, type BrokerOptions, type WarrenBroker } from '../../src/index.js';
import { connect, openChannel, safeClose } from '../helpers/amqp.js';
import type { Channel, ChannelModel } from 'amqplib';

export interface FeatureBroker {
  broker: WarrenBroker;
  url: string;
  close(): Promise<void>;
}

export async function startFeatureBroker(opts: Omit<BrokerOptions, 'port' | 'host' | 'logger'> = {}): Promise<FeatureBroker> {
  const broker = await startBroker({ ...opts, port: 0, host: '127.0.0.1', logger: pino({ level: 'silent' }) });
  return { broker, url: `amqp://guest:guest@127.0.0.1:${broker.port}/`, close: () => broker.close('test finished') };
}

/** A fresh data directory, removed by the returned cleanup. */
export function tempDataDir(): { dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'warren-features-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** One connection and channel, closed by the returned cleanup. */
export async function client(url: string): Promise<{ conn: ChannelModel; ch: Channel; close(): Promise<void> }> {
  const conn = await connect(url);
  const ch = await openChannel(conn);
  return { conn, ch, close: async () => { await safeClose(ch); await safeClose(conn); } };
}
