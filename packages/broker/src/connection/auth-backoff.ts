// Per-source back-off for failed logins (HTTP basic auth and AMQP SASL): after a few failures
// from one address, each further attempt from it waits longer (doubling, capped) before it is
// answered, and the streak is logged. A success or a quiet period resets the address.
import type { Logger } from 'pino';

export interface AuthBackoffOptions {
  /** Failures allowed before attempts are delayed (default 5). */
  freeAttempts?: number;
  /** First delay once over the limit, in ms (default 200); doubles per failure. */
  baseDelayMs?: number;
  /** Upper bound of the delay (default 5000 ms). */
  maxDelayMs?: number;
  /** A source quiet for this long starts again from zero (default 60 s). */
  forgetAfterMs?: number;
  /** Sources tracked at most (oldest forgotten first; bounds memory under a spray of addresses). */
  maxSources?: number;
}

interface Source { failures: number; last: number }

export class AuthBackoff {
  private readonly sources = new Map<string, Source>();
  private readonly free: number;
  private readonly base: number;
  private readonly max: number;
  private readonly forget: number;
  private readonly maxSources: number;

  constructor(private readonly logger: Logger, private readonly what: string, opts: AuthBackoffOptions = {}) {
    this.free = opts.freeAttempts ?? 5;
    this.base = opts.baseDelayMs ?? 200;
    this.max = opts.maxDelayMs ?? 5000;
    this.forget = opts.forgetAfterMs ?? 60_000;
    this.maxSources = opts.maxSources ?? 10_000;
  }

  /** How long an attempt from `source` must wait before it is checked (0 = at once). */
  delayFor(source: string, now = Date.now()): number {
    const s = this.sources.get(source);
    if (s === undefined) return 0;
    if (now - s.last > this.forget) {
      this.sources.delete(source);
      return 0;
    }
    if (s.failures < this.free) return 0;
    return Math.min(this.max, this.base * 2 ** Math.min(20, s.failures - this.free));
  }

  failed(source: string, user: string | undefined, now = Date.now()): void {
    let s = this.sources.get(source);
    if (s === undefined || now - s.last > this.forget) {
      if (s === undefined && this.sources.size >= this.maxSources) {
        const oldest = this.sources.keys().next().value;
        if (oldest !== undefined) this.sources.delete(oldest);
      }
      s = { failures: 0, last: now };
      this.sources.set(source, s);
    }
    s.failures++;
    s.last = now;
    if (s.failures >= this.free) {
      this.logger.warn({ source, user, failures: s.failures, delayMs: this.delayFor(source, now) }, `${this.what}: repeated authentication failures, slowing down this source`);
    }
  }

  succeeded(source: string): void {
    this.sources.delete(source);
  }

  /** Failures recorded for `source` in the current streak. */
  failures(source: string): number {
    return this.sources.get(source)?.failures ?? 0;
  }
}
