/** Something with buffered output to write once per event-loop turn. */
export interface Flushable {
  flushScheduled: boolean;
  flush(): void;
}

/**
 * Collects connections that produced output during this turn and writes each one's buffer
 * once, in a single setImmediate — so a burst of publishes becomes one write per socket.
 */
export class FlushScheduler {
  private pending: Flushable[] = [];
  private spare: Flushable[] = [];
  private scheduled = false;
  private readonly run = (): void => this.flushAll();

  mark(f: Flushable): void {
    if (f.flushScheduled) return;
    f.flushScheduled = true;
    this.pending.push(f);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.run);
    }
  }

  flushAll(): void {
    this.scheduled = false;
    // Flushing can mark connections again (redispatch after output drained): swap lists.
    const list = this.pending;
    this.pending = this.spare;
    this.spare = list;
    for (let i = 0; i < list.length; i++) {
      const f = list[i]!;
      f.flushScheduled = false;
      f.flush();
    }
    list.length = 0;
  }
}
