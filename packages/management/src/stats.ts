// Samples the broker's counters every interval and keeps per-second rates (RabbitMQ's
// `*_details.rate`) for queues, channels, connections, vhosts and the whole node.
import { MESSAGE_STATS_FIELDS, MessageCounters, RateSampler, type Channel, type Connection, type Exchange, type Queue, type VirtualHost, type WarrenBroker } from '@warren/broker';

const QUEUE_GAUGES = 3; // messages, messages_ready, messages_unacknowledged
/** Channel-side counters RabbitMQ does not report per queue. */
const PUBLISHER_ONLY: ReadonlySet<string> = new Set(['confirm', 'return_unroutable', 'drop_unroutable']);

/** A window of history requested by the UI (RabbitMQ's msg_rates_age/_incr, lengths_age/_incr), in seconds. */
export interface HistoryWindow { age: number; incr: number }

/** Node-wide values at one sample time, kept for charts. */
interface HistoryPoint { at: number; counters: number[]; totals: number[] }

/** Samples of node-wide figures kept: ten minutes at the default interval. */
const HISTORY_POINTS = 120;

export class StatsCollector {
  private readonly history: HistoryPoint[] = [];
  readonly sampler = new RateSampler();
  private timer: NodeJS.Timeout | undefined;
  /** Keys for the node-wide figures in the sampler. */
  private readonly globalKey = {};
  private readonly globalTotalsKey = {};
  private readonly vhostTotalsKeys = new Map<string, object>();

  constructor(readonly broker: WarrenBroker, readonly intervalMs: number) {}

  start(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Message counters of a vhost: its closed channels plus the live ones. */
  vhostCounters(vhost: string): MessageCounters {
    const total = new MessageCounters();
    const retired = this.broker.retiredStats.get(vhost);
    if (retired !== undefined) total.add(retired);
    for (const conn of this.broker.connections) {
      if (conn.vhost?.name !== vhost) continue;
      for (const ch of conn.channelList) if (ch.stats !== undefined) total.add(ch.stats);
    }
    return total;
  }

  globalCounters(): MessageCounters {
    const total = new MessageCounters();
    for (const c of this.broker.retiredStats.values()) total.add(c);
    for (const conn of this.broker.connections) {
      for (const ch of conn.channelList) if (ch.stats !== undefined) total.add(ch.stats);
    }
    return total;
  }

  queueTotals(vhost?: string): { messages: number; ready: number; unacked: number } {
    let ready = 0;
    let unacked = 0;
    for (const vh of this.broker.vhosts.values()) {
      if (vhost !== undefined && vh.name !== vhost) continue;
      for (const q of vh.queues.values()) {
        ready += q.messageCount;
        unacked += q.unackedCount;
      }
    }
    return { messages: ready + unacked, ready, unacked };
  }

  private vhostTotalsKey(name: string): object {
    let k = this.vhostTotalsKeys.get(name);
    if (k === undefined) this.vhostTotalsKeys.set(name, (k = {}));
    return k;
  }

  /** Records every object's current values. */
  sample(now = Date.now()): void {
    const s = this.sampler;
    for (const vh of this.broker.vhosts.values()) {
      for (const q of vh.queues.values()) {
        s.record(q, [q.messageCount + q.unackedCount, q.messageCount, q.unackedCount, ...counterValues(q.stats)], now);
      }
      for (const ex of vh.exchanges.values()) {
        const c = ex.stats;
        if (c !== undefined && c.publishIn + c.publishOut > 0) s.record(ex, [c.publishIn, c.publishOut], now);
      }
      s.record(vh, counterValues(this.vhostCounters(vh.name)), now);
      const t = this.queueTotals(vh.name);
      s.record(this.vhostTotalsKey(vh.name), [t.messages, t.ready, t.unacked], now);
    }
    for (const conn of this.broker.connections) {
      s.record(conn, [conn.recvOct, conn.sendOct, conn.recvCnt, conn.sendCnt], now);
      for (const ch of conn.channelList) s.record(ch, counterValues(ch.stats), now);
    }
    const counters = counterValues(this.globalCounters());
    s.record(this.globalKey, counters, now);
    const t = this.queueTotals();
    const totals = [t.messages, t.ready, t.unacked];
    s.record(this.globalTotalsKey, totals, now);
    this.history.push({ at: now, counters, totals });
    if (this.history.length > HISTORY_POINTS) this.history.shift();
  }

  /** History points within `w`, newest first, at least `incr` seconds apart. */
  private window(w: HistoryWindow): HistoryPoint[] {
    const out: HistoryPoint[] = [];
    const since = Date.now() - w.age * 1000;
    for (let i = this.history.length - 1; i >= 0; i--) {
      const p = this.history[i]!;
      if (p.at < since) break;
      if (out.length === 0 || out[out.length - 1]!.at - p.at >= w.incr * 1000 - this.intervalMs / 2) out.push(p);
    }
    return out;
  }

  /** Adds RabbitMQ's samples/avg/avg_rate to `*_details` objects from node-wide history. */
  private addSamples(target: Record<string, unknown>, names: readonly string[], pick: (p: HistoryPoint) => number[], w: HistoryWindow): void {
    const points = this.window(w);
    names.forEach((name, i) => {
      const details = target[`${name}_details`] as Record<string, unknown> | undefined;
      if (details === undefined) return;
      const samples = points.map((p) => ({ sample: pick(p)[i] ?? 0, timestamp: p.at }));
      details['samples'] = samples;
      const n = samples.length;
      details['avg'] = n === 0 ? 0 : round(samples.reduce((a, s) => a + s.sample, 0) / n);
      details['avg_rate'] = n < 2 ? 0 : round((samples[0]!.sample - samples[n - 1]!.sample) / ((samples[0]!.timestamp - samples[n - 1]!.timestamp) / 1000));
    });
  }

  rate(obj: object, index: number): number {
    return round(this.sampler.rates(obj)?.[index] ?? 0);
  }

  // ---- formatted figures -----------------------------------------------------------------

  messageStats(counters: MessageCounters | undefined, key: object, offset = 0, skip?: ReadonlySet<string>): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    if (counters === undefined) return out;
    const rates = this.sampler.rates(key);
    MESSAGE_STATS_FIELDS.forEach(([name, get], i) => {
      if (skip?.has(name)) return;
      out[name] = get(counters);
      out[`${name}_details`] = { rate: round(rates?.[offset + i] ?? 0) };
    });
    return out;
  }

  queueMessageStats(q: Queue): Record<string, unknown> {
    return this.messageStats(q.stats, q, QUEUE_GAUGES, PUBLISHER_ONLY);
  }

  /** An exchange's publish_in / publish_out with rates; empty before its first message, as in RabbitMQ. */
  exchangeMessageStats(ex: Exchange): Record<string, unknown> {
    const c = ex.stats;
    if (c === undefined || c.publishIn + c.publishOut === 0) return {};
    return {
      publish_in: c.publishIn, publish_in_details: { rate: this.rate(ex, 0) },
      publish_out: c.publishOut, publish_out_details: { rate: this.rate(ex, 1) },
    };
  }

  channelMessageStats(ch: Channel): Record<string, unknown> {
    return this.messageStats(ch.stats, ch);
  }

  vhostMessageStats(vh: VirtualHost): Record<string, unknown> {
    return this.broker.statsEnabled ? this.messageStats(this.vhostCounters(vh.name), vh) : {};
  }

  globalMessageStats(w?: HistoryWindow): Record<string, unknown> {
    if (!this.broker.statsEnabled) return {};
    const out = this.messageStats(this.globalCounters(), this.globalKey);
    if (w !== undefined) this.addSamples(out, MESSAGE_STATS_FIELDS.map(([n]) => n), (p) => p.counters, w);
    return out;
  }

  /** queue_totals for the overview, with history when asked (lengths_age/lengths_incr). */
  globalTotals(w?: HistoryWindow): Record<string, unknown> {
    const out = this.totals();
    if (w !== undefined) this.addSamples(out, ['messages', 'messages_ready', 'messages_unacknowledged'], (p) => p.totals, w);
    return out;
  }

  queueGaugeDetails(q: Queue): Record<string, unknown> {
    return {
      messages_details: { rate: this.rate(q, 0) },
      messages_ready_details: { rate: this.rate(q, 1) },
      messages_unacknowledged_details: { rate: this.rate(q, 2) },
    };
  }

  /** queue_totals for the overview (all vhosts) or one vhost. */
  totals(vhost?: string): Record<string, unknown> {
    const t = this.queueTotals(vhost);
    const key = vhost === undefined ? this.globalTotalsKey : this.vhostTotalsKey(vhost);
    return {
      messages: t.messages, messages_details: { rate: this.rate(key, 0) },
      messages_ready: t.ready, messages_ready_details: { rate: this.rate(key, 1) },
      messages_unacknowledged: t.unacked, messages_unacknowledged_details: { rate: this.rate(key, 2) },
    };
  }

  connectionDetails(conn: Connection): Record<string, unknown> {
    return {
      recv_oct: conn.recvOct, recv_oct_details: { rate: this.rate(conn, 0) },
      send_oct: conn.sendOct, send_oct_details: { rate: this.rate(conn, 1) },
      recv_cnt: conn.recvCnt, send_cnt: conn.sendCnt,
    };
  }
}

function counterValues(c: MessageCounters | undefined): number[] {
  return c === undefined ? [] : MESSAGE_STATS_FIELDS.map(([, get]) => get(c));
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
