import type { Consumer } from '../queue/consumer.js';
import type { Queue } from '../queue/queue.js';
import type { UnackedLog } from './unacked-log.js';

const expiredScratch = new Set<Consumer>();
const slotScratch: number[] = [];

/**
 * The consumer acknowledgement timeout of one channel: a single timer for the earliest
 * deadline among its unacknowledged consumer deliveries (none while nothing is unacked).
 * A consumer holding a delivery past its queue's timeout is handed to `expire`.
 */
export class ConsumerTimeouts {
  private timer: NodeJS.Timeout | undefined;
  private timerAt = 0;

  constructor(
    private readonly log: UnackedLog,
    private readonly timeoutOf: (q: Queue) => number,
    private readonly expire: (c: Consumer) => void,
  ) {}

  /** A consumer delivery was recorded at `now` for queue `q`. */
  delivered(q: Queue, now: number): void {
    const due = now + this.timeoutOf(q);
    if (this.timer === undefined || due < this.timerAt) this.arm(due, now);
  }

  private arm(due: number, now: number): void {
    clearTimeout(this.timer);
    this.timerAt = due;
    this.timer = setTimeout(() => this.fire(), Math.max(0, due - now));
    this.timer.unref();
  }

  private fire(): void {
    this.timer = undefined;
    const now = Date.now();
    const slots = slotScratch;
    slots.length = 0;
    this.log.allSlots(slots);
    const expired = expiredScratch;
    expired.clear();
    for (const s of slots) {
      const c = this.log.consumerAt(s);
      if (c !== undefined && this.log.timeAt(s) + this.timeoutOf(this.log.queueAt(s)) <= now) expired.add(c);
    }
    let next = Infinity;
    for (const s of slots) {
      const c = this.log.consumerAt(s);
      if (c !== undefined && !expired.has(c)) next = Math.min(next, this.log.timeAt(s) + this.timeoutOf(this.log.queueAt(s)));
    }
    slots.length = 0;
    const list = [...expired];
    expired.clear();
    for (const c of list) this.expire(c);
    if (next !== Infinity) this.arm(next, now);
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
