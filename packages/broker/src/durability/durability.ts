import path from 'node:path';
import { mkdirSync } from 'node:fs';
import type { Logger } from 'pino';
import type { Channel } from '../channel/channel.js';
import { messageFromStored, type Message } from '../message/message.js';
import { QueueEntry } from '../queue/queue-entry.js';
import type { Queue } from '../queue/queue.js';
import { MessageStore } from '../store/message-store.js';
import type { VirtualHost } from '../vhost/vhost.js';
import type { DefinitionsPersister } from './definitions-persister.js';

const loadBuffers: Buffer[] = [];
const arrival = { at: 0 };

/**
 * Ties the broker to its data directory: the message store (persistent messages of durable
 * queues), publisher confirms released only once their messages are synced — and the
 * definitions that name their queues are written — and recovery at start.
 */
export class Durability {
  private readonly waiting = new Set<Channel>();

  private constructor(readonly store: MessageStore, readonly definitions: DefinitionsPersister, private readonly logger: Logger) {
    store.onSynced = (seq) => this.synced(seq);
  }

  static async open(dataDir: string, definitions: DefinitionsPersister, logger: Logger): Promise<Durability> {
    const dir = path.join(dataDir, 'messages');
    mkdirSync(dir, { recursive: true });
    const store = await MessageStore.open(dir, { logger });
    return new Durability(store, definitions, logger);
  }

  /** A publish on `ch` wrote to the store: its confirm waits for the sync of `writeSeq`. */
  awaitSync(ch: Channel): number {
    this.waiting.add(ch);
    this.store.requestSync();
    return this.store.writeSeq;
  }

  private synced(seq: number): void {
    if (this.waiting.size === 0) return;
    if (this.definitions.pending) this.definitions.afterWrite(() => this.release(seq));
    else this.release(seq);
  }

  private release(seq: number): void {
    for (const ch of this.waiting) if (!ch.storeSynced(seq)) this.waiting.delete(ch);
  }

  /** Loads paged-out messages back from the store (one read for neighbouring messages). */
  readonly load = (storeIds: readonly number[], out: Message[]): void => {
    const bufs = loadBuffers;
    bufs.length = storeIds.length;
    this.store.readMessages(storeIds, bufs);
    for (let i = 0; i < storeIds.length; i++) out[i] = messageFromStored(bufs[i]!);
    bufs.length = 0;
  };

  forget(ch: Channel): void {
    this.waiting.delete(ch);
  }

  /** Puts recovered messages back into their queues, in their original order. */
  recover(vhosts: Map<string, VirtualHost>): { queues: number; messages: number } {
    let messages = 0;
    let queues = 0;
    const started = Date.now();
    for (const rq of this.store.recovered()) {
      const sep = rq.key.indexOf('\u0000');
      const vh = vhosts.get(rq.key.slice(0, sep));
      if (vh !== undefined && rq.key === vh.delayed.storeKey) {
        // Messages held by x-delayed-message exchanges: back into the vhost's delay heap.
        for (const e of rq.entries) vh.delayed.restore(e.msgId, this.store.readMessage(e.msgId));
        messages += rq.entries.length;
        continue;
      }
      const q: Queue | undefined = vh?.queues.get(rq.key.slice(sep + 1));
      if (q === undefined || !q.persistent) {
        this.logger.warn({ queue: rq.key.replace('\u0000', ' '), messages: rq.entries.length }, 'stored messages of a queue that no longer exists were dropped');
        this.store.removeQueue(rq.key);
        continue;
      }
      queues++;
      const now = Date.now();
      for (const e of rq.entries) {
        const msg = messageFromStored(this.store.readMessageWithArrival(e.msgId, arrival));
        msg.storeId = e.msgId;
        let ttl = q.settings.messageTtl ?? -1;
        if (msg.expirationMs >= 0 && (ttl < 0 || msg.expirationMs < ttl)) ttl = msg.expirationMs;
        // TTLs count from the original arrival, as in RabbitMQ (messages stored without one: from now).
        const entry = new QueueEntry(msg, ttl < 0 ? 0 : (arrival.at > 0 ? arrival.at : now) + ttl);
        entry.redelivered = e.delivered;
        entry.deliveryCount = e.deliveryCount ?? 0;
        entry.storeId = e.msgId;
        q.restore(entry);
        messages++;
        if (messages % 100_000 === 0) this.logger.info({ messages, elapsedMs: Date.now() - started }, 'recovering messages');
      }
    }
    this.logger.info({ queues, messages, elapsedMs: Date.now() - started }, 'message recovery complete');
    return { queues, messages };
  }

  async close(): Promise<void> {
    await this.store.close();
  }
}
