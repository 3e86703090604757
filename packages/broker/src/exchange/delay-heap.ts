/**
 * A binary min-heap keyed by due time (ties by arrival order, so equal delays stay FIFO).
 * Parallel arrays instead of one object per node keep 100 000 held messages small.
 */
export class DelayHeap<T> {
  private due: number[] = [];
  private seq: number[] = [];
  /** A number carried with each item (the store record id of a delayed message). */
  private tags: number[] = [];
  private items: T[] = [];
  private nextSeq = 0;

  get size(): number { return this.items.length; }

  /** Due time of the earliest item (Infinity when empty). */
  peekDue(): number { return this.items.length === 0 ? Infinity : this.due[0]!; }

  push(due: number, item: T, tag = 0): void {
    this.due.push(due);
    this.seq.push(this.nextSeq++);
    this.tags.push(tag);
    this.items.push(item);
    this.up(this.items.length - 1);
  }

  /** Tag of the earliest item (read before pop). */
  peekTag(): number { return this.tags[0] ?? 0; }

  /** Removes and returns the earliest item. */
  pop(): T | undefined {
    const n = this.items.length;
    if (n === 0) return undefined;
    const top = this.items[0]!;
    const lastDue = this.due.pop()!;
    const lastSeq = this.seq.pop()!;
    const lastTag = this.tags.pop()!;
    const lastItem = this.items.pop()!;
    if (n > 1) {
      this.due[0] = lastDue;
      this.seq[0] = lastSeq;
      this.tags[0] = lastTag;
      this.items[0] = lastItem;
      this.down(0);
    }
    return top;
  }

  /** Keeps only the items `keep` accepts (rare: an exchange was deleted). */
  filter(keep: (item: T) => boolean): Array<{ item: T; tag: number }> {
    const removed: Array<{ item: T; tag: number }> = [];
    const due: number[] = [];
    const seq: number[] = [];
    const tags: number[] = [];
    const items: T[] = [];
    for (let i = 0; i < this.items.length; i++) {
      if (keep(this.items[i]!)) {
        due.push(this.due[i]!);
        seq.push(this.seq[i]!);
        tags.push(this.tags[i]!);
        items.push(this.items[i]!);
      } else {
        removed.push({ item: this.items[i]!, tag: this.tags[i]! });
      }
    }
    this.due = due;
    this.seq = seq;
    this.tags = tags;
    this.items = items;
    for (let i = (items.length >> 1) - 1; i >= 0; i--) this.down(i);
    return removed;
  }

  private less(a: number, b: number): boolean {
    const da = this.due[a]!;
    const db = this.due[b]!;
    return da < db || (da === db && this.seq[a]! < this.seq[b]!);
  }

  private swap(a: number, b: number): void {
    const d = this.due[a]!; this.due[a] = this.due[b]!; this.due[b] = d;
    const s = this.seq[a]!; this.seq[a] = this.seq[b]!; this.seq[b] = s;
    const g = this.tags[a]!; this.tags[a] = this.tags[b]!; this.tags[b] = g;
    const it = this.items[a]!; this.items[a] = this.items[b]!; this.items[b] = it;
  }

  private up(i: number): void {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }

  private down(i: number): void {
    const n = this.items.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && this.less(r, l) ? r : l;
      if (!this.less(c, i)) break;
      this.swap(i, c);
      i = c;
    }
  }
}
