import type { FrameWriter } from '@warren/protocol';
import { writeConfirm } from './content-frames.js';

/**
 * Publisher confirms for one channel. Acks are coalesced into one basic.ack(multiple) per
 * output flush; a nack first flushes the acks before it so the client sees them in order.
 */
export class ConfirmTracker {
  /** Sequence number of the last publish (confirm mode numbering starts at 1). */
  seq = 0;
  /** Highest tag whose ack is pending (not yet written); 0 when none. */
  private pendingAckUpTo = 0;
  /** First tag covered by the pending ack run. */
  private pendingAckFrom = 0;

  next(): number { return ++this.seq; }

  /** Returns true when the channel must be flushed later (first pending ack). */
  ack(tag: number, w: FrameWriter, channel: number): boolean {
    if (this.pendingAckUpTo !== 0 && tag === this.pendingAckUpTo + 1) {
      this.pendingAckUpTo = tag;
      return false;
    }
    const first = this.pendingAckUpTo === 0;
    if (!first) this.flush(w, channel);
    this.pendingAckFrom = tag;
    this.pendingAckUpTo = tag;
    return true;
  }

  nack(tag: number, w: FrameWriter, channel: number): void {
    this.flush(w, channel);
    writeConfirm(w, channel, false, tag, false);
  }

  /** Writes the pending acks as one frame. */
  flush(w: FrameWriter, channel: number): void {
    if (this.pendingAckUpTo === 0) return;
    writeConfirm(w, channel, true, this.pendingAckUpTo, this.pendingAckUpTo > this.pendingAckFrom);
    this.pendingAckUpTo = 0;
    this.pendingAckFrom = 0;
  }
}
