/** Something with buffered output to write once per event-loop turn. */
export interface Flushable {
  flushScheduled: boolean;
  flush(): void;
}

/**
 * Collects connections that produced output and writes each one's buffer once: at the end of
 * the read event that produced it, or (output made by timers and callbacks) in a setImmediate.
 * A burst of publishes in one read thus becomes one write per socket.
 */
export class FlushScheduler {
  private pending: Flushable[] = [];
  private spare: Flushable[] = [];
  private scheduled = false;
  private readonly run = (): void => this.runScheduled();

  mark(f: Flushable): void {
    if (f.flushScheduled) return;
    f.flushScheduled = true;
    this.pending.push(f);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.run);
    }
  }

  private runScheduled(): void {
    this.scheduled = false;
    this.flushAll();
  }

  flushAll(): void {
    if (this.pending.length === 0) return;
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
