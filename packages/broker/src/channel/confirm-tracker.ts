import type { FrameWriter } from '@warren/protocol';
import { Ring } from '../util/ring.js';
import { writeConfirm } from './content-frames.js';

/** Outcome of a publish in confirm mode. */
const PENDING = 0;
const ACK = 1;
const NACK = 2;

/**
 * Publisher confirms for one channel. Each publish gets the next sequence number; its outcome
 * is known at once (transient) or after the disk sync (persistent to a durable queue). Outcomes
 * are released in order from the oldest outstanding publish: a run of acks becomes one
 * basic.ack(multiple), a nack is sent on its own. Written into the output at flush time.
 */
export class ConfirmTracker {
  /** Sequence number of the last publish (confirm mode numbering starts at 1). */
  seq = 0;
  /** Sequence number of the oldest outstanding publish (head of `states`). */
  private headSeq = 1;
  /** Outcome per outstanding publish, oldest first. */
  private readonly states = new Ring<number>();
  /** Persistent publishes waiting for the store: sequence number → store write sequence. */
  private readonly waitingSeq = new Ring<number>();
  private readonly waitingStore = new Ring<number>();

  next(): number {
    this.states.push(PENDING);
    return ++this.seq;
  }

  /** The publish is settled now (routed, or refused when `ack` is false). */
  settle(seq: number, ack: boolean): void {
    const i = seq - this.headSeq;
    const cur = this.states.at(i);
    if (cur === undefined) return;
    // A nack wins over a later ack (e.g. one queue refused the message).
    if (cur === NACK) return;
    this.setAt(i, ack ? ACK : NACK);
  }

  /** The publish is confirmed once the store has synced `storeSeq`. */
  awaitStore(seq: number, storeSeq: number): void {
    this.waitingSeq.push(seq);
    this.waitingStore.push(storeSeq);
  }

  /** Store synced up to `syncedSeq`: acks every publish that was waiting for it. */
  storeSynced(syncedSeq: number): void {
    while (this.waitingStore.length > 0 && this.waitingStore.peek()! <= syncedSeq) {
      this.waitingStore.shift();
      const seq = this.waitingSeq.shift()!;
      const i = seq - this.headSeq;
      if (this.states.at(i) === PENDING) this.setAt(i, ACK);
    }
  }

  get waitingForStore(): boolean { return this.waitingSeq.length > 0; }

  /** Whether some settled outcomes can be written now. */
  get releasable(): boolean { return this.states.length > 0 && this.states.peek() !== PENDING; }

  private setAt(i: number, v: number): void {
    this.states.set(i, v);
  }

  /** Writes every settled outcome at the head: runs of acks as one multiple ack, nacks singly. */
  flush(w: FrameWriter, channel: number): void {
    let ackUpTo = 0;
    let ackCount = 0;
    while (this.states.length > 0) {
      const s = this.states.peek()!;
      if (s === PENDING) break;
      this.states.shift();
      const seq = this.headSeq++;
      if (s === ACK) {
        ackUpTo = seq;
        ackCount++;
      } else {
        if (ackCount > 0) writeConfirm(w, channel, true, ackUpTo, ackCount > 1);
        ackCount = 0;
        writeConfirm(w, channel, false, seq, false);
      }
    }
    if (ackCount > 0) writeConfirm(w, channel, true, ackUpTo, ackCount > 1);
  }
}
