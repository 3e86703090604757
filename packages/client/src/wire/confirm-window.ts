import type { PublishTicket } from './wire-channel.js';

/**
 * The publishes of one confirm-mode channel still waiting for basic.ack / basic.nack, indexed by
 * sequence number. Sequence numbers are handed out in order, so a ring of slots starting at the
 * oldest unsettled one replaces a Map (no hashing or entry allocation per publish); confirms
 * may still arrive out of order, which leaves holes until the oldest is settled.
 */
export class ConfirmWindow {
  private slots: Array<PublishTicket | undefined> = new Array<PublishTicket | undefined>(1024);
  private head = 0;
  /** Sequence number of the slot at `head`. */
  private headSeq = 1;
  /** Next sequence number to hand out. */
  private nextSeq = 1;
  /** Tickets held (holes and ticketless publishes are not counted). */
  size = 0;

  /** Registers the next publish; returns its sequence number. */
  add(ticket: PublishTicket | undefined): number {
    const seq = this.nextSeq++;
    if (seq - this.headSeq >= this.slots.length) this.grow();
    if (ticket !== undefined) {
      this.slots[(this.head + seq - this.headSeq) & (this.slots.length - 1)] = ticket;
      this.size++;
    }
    return seq;
  }

  has(seq: number): boolean {
    return seq >= this.headSeq && seq < this.nextSeq && this.slots[(this.head + seq - this.headSeq) & (this.slots.length - 1)] !== undefined;
  }

  /** Removes and returns the ticket of `seq` (undefined when settled already or never held). */
  take(seq: number): PublishTicket | undefined {
    if (seq < this.headSeq || seq >= this.nextSeq) return undefined;
    const i = (this.head + seq - this.headSeq) & (this.slots.length - 1);
    const t = this.slots[i];
    if (t !== undefined) {
      this.slots[i] = undefined;
      this.size--;
    }
    if (seq === this.headSeq) this.advance();
    return t;
  }

  /** Removes the tickets of every sequence number below `seq` and passes each to `settle`, oldest first. */
  takeBelow(seq: number, settle: (t: PublishTicket) => void): void {
    while (this.headSeq < seq && this.headSeq < this.nextSeq) {
      const at = this.head;
      const t = this.slots[at];
      // Move the head first: `settle` may publish again (and grow the ring).
      this.head = (at + 1) & (this.slots.length - 1);
      this.headSeq++;
      if (t !== undefined) {
        this.slots[at] = undefined;
        this.size--;
        settle(t);
      }
    }
  }

  /** Removes and returns every ticket, oldest first. */
  takeAll(): PublishTicket[] {
    const out: PublishTicket[] = [];
    this.takeBelow(this.nextSeq, (t) => out.push(t));
    return out;
  }

  /** Moves the head past slots already settled. */
  private advance(): void {
    const mask = this.slots.length - 1;
    while (this.headSeq < this.nextSeq && this.slots[this.head] === undefined) {
      this.head = (this.head + 1) & mask;
      this.headSeq++;
    }
  }

  private grow(): void {
    const old = this.slots;
    const mask = old.length - 1;
    const next = new Array<PublishTicket | undefined>(old.length * 2);
    for (let i = 0; i < old.length; i++) next[i] = old[(this.head + i) & mask];
    this.slots = next;
    this.head = 0;
  }
}
