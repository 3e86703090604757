// The store's entries of one queue: msgId → packed entry value (see message-store.ts), in enqueue order.
//
// A queue's entries almost always arrive with increasing msgIds (a message is written, then enqueued)
// and mostly leave from the front (acks of a FIFO queue), so they live in two parallel typed arrays in
// enqueue order: 12 bytes per entry and no per-entry object, where a Map costs 30-60. While the ids are
// increasing, lookups try the last position found and the front, then binary search. Removed entries
// become holes (value DEAD) that the front skips and that a compaction squeezes out once they
// outnumber the live ones. Should an older id be enqueued after a newer one, the table keeps the order
// and falls back to a Map from id to slot.

const DEAD = 0xffffffff;
const INITIAL_CAPACITY = 16;
/** Holes are squeezed out once there are at least this many and more holes than live entries. */
const COMPACT_MIN_HOLES = 1024;

export class QueueEntries {
  private ids = new Float64Array(INITIAL_CAPACITY);
  private vals = new Uint32Array(INITIAL_CAPACITY);
  /** Slots [head, tail) are in use (live or holes). */
  private head = 0;
  private tail = 0;
  private hint = 0;
  /** Set when ids are not increasing: id → slot of every entry in [head, tail). */
  private slotOf: Map<number, number> | undefined;
  /** Live entries. */
  size = 0;

  /** The entry's value, or -1 when the queue does not hold msgId. */
  get(msgId: number): number {
    const i = this.find(msgId);
    return i < 0 ? -1 : this.vals[i]!;
  }

  has(msgId: number): boolean {
    return this.find(msgId) >= 0;
  }

  /** Adds an entry or replaces its value (v < 2^32 - 1). */
  set(msgId: number, v: number): void {
    const unordered = this.slotOf !== undefined || (this.tail > this.head && msgId <= this.ids[this.tail - 1]!);
    if (unordered) {
      const i = this.find(msgId);
      if (i >= 0) {
        this.vals[i] = v;
        return;
      }
    }
    if (this.tail === this.ids.length) this.makeRoom(1);
    this.ids[this.tail] = msgId;
    this.vals[this.tail] = v;
    this.tail++;
    this.size++;
    if (!unordered) return;
    if (this.slotOf === undefined) this.rebuildSlots();
    else this.slotOf.set(msgId, this.tail - 1);
  }

  delete(msgId: number): boolean {
    const i = this.find(msgId);
    if (i < 0) return false;
    this.vals[i] = DEAD;
    this.slotOf?.delete(msgId);
    this.size--;
    if (i === this.head) this.skipFrontHoles();
    else if (this.tail - this.head - this.size >= COMPACT_MIN_HOLES && this.tail - this.head > 2 * this.size) this.compact();
    return true;
  }

  clear(): void {
    this.ids = new Float64Array(INITIAL_CAPACITY);
    this.vals = new Uint32Array(INITIAL_CAPACITY);
    this.head = this.tail = this.hint = this.size = 0;
    this.slotOf = undefined;
  }

  /** Visits live entries in enqueue order (fn must not modify this table). */
  forEach(fn: (msgId: number, v: number) => void): void {
    const ids = this.ids;
    const vals = this.vals;
    for (let i = this.head; i < this.tail; i++) if (vals[i] !== DEAD) fn(ids[i]!, vals[i]!);
  }

  /** Slot of a live msgId, or -1. */
  private find(msgId: number): number {
    if (this.slotOf !== undefined) {
      const i = this.slotOf.get(msgId);
      return i === undefined ? -1 : i;
    }
    const ids = this.ids;
    if (this.tail === this.head || msgId > ids[this.tail - 1]!) return -1;
    const h = this.hint;
    if (h >= this.head && h < this.tail && ids[h] === msgId) return this.live(h);
    if (h + 1 < this.tail && ids[h + 1] === msgId) return this.live(this.hint = h + 1);
    if (this.head < this.tail && ids[this.head] === msgId) return this.live(this.hint = this.head);
    let lo = this.head;
    let hi = this.tail - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const id = ids[mid]!;
      if (id === msgId) return this.live(this.hint = mid);
      if (id < msgId) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  private live(i: number): number {
    return this.vals[i] === DEAD ? -1 : i;
  }

  private skipFrontHoles(): void {
    while (this.head < this.tail && this.vals[this.head] === DEAD) this.head++;
    if (this.head === this.tail) {
      this.head = this.tail = this.hint = 0;
      this.slotOf = undefined;
      // A drained queue gives back a big table.
      if (this.ids.length > 4096) this.clear();
    }
  }

  /** Ensures `extra` free slots at the tail: compacts to the front, or grows. */
  private makeRoom(extra: number): void {
    const used = this.tail - this.head;
    if (this.head > 0 && this.size + extra <= this.ids.length / 2) {
      this.compact();
      return;
    }
    let cap = this.ids.length * 2;
    while (cap < this.size + extra) cap *= 2;
    const ids = new Float64Array(cap);
    const vals = new Uint32Array(cap);
    let n = 0;
    for (let i = this.head; i < this.head + used; i++) {
      if (this.vals[i] === DEAD) continue;
      ids[n] = this.ids[i]!;
      vals[n++] = this.vals[i]!;
    }
    this.ids = ids;
    this.vals = vals;
    this.head = 0;
    this.tail = n;
    this.hint = 0;
    if (this.slotOf !== undefined) this.rebuildSlots();
  }

  /** Moves the live entries to the front, in order. */
  private compact(): void {
    const ids = this.ids;
    const vals = this.vals;
    let n = 0;
    for (let i = this.head; i < this.tail; i++) {
      if (vals[i] === DEAD) continue;
      ids[n] = ids[i]!;
      vals[n++] = vals[i]!;
    }
    this.head = 0;
    this.tail = n;
    this.hint = 0;
  }

  /** After ids stopped increasing, or slots moved: the id → slot fallback, or none if ids increase again. */
  private rebuildSlots(): void {
    const ids = this.ids;
    const vals = this.vals;
    let increasing = true;
    for (let i = this.head + 1; i < this.tail && increasing; i++) if (ids[i]! <= ids[i - 1]!) increasing = false;
    if (increasing) {
      this.slotOf = undefined;
      return;
    }
    const m = new Map<number, number>();
    for (let i = this.head; i < this.tail; i++) if (vals[i] !== DEAD) m.set(ids[i]!, i);
    this.slotOf = m;
  }
}
