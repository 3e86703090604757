/**
 * A growable ring buffer (deque). Array.shift() copies the whole array once a backlog
 * forms, so every FIFO on a hot path (ready messages, pending confirms) uses this instead.
 */
export class Ring<T> {
  private items: (T | undefined)[];
  private head = 0;
  private mask: number;
  length = 0;

  constructor(initialCapacity = 16) {
    let cap = 16;
    while (cap < initialCapacity) cap <<= 1;
    this.items = new Array<T | undefined>(cap);
    this.mask = cap - 1;
  }

  push(item: T): void {
    if (this.length === this.items.length) this.grow();
    this.items[(this.head + this.length) & this.mask] = item;
    this.length++;
  }

  unshift(item: T): void {
    if (this.length === this.items.length) this.grow();
    this.head = (this.head - 1) & this.mask;
    this.items[this.head] = item;
    this.length++;
  }

  shift(): T | undefined {
    if (this.length === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) & this.mask;
    this.length--;
    return item;
  }

  pop(): T | undefined {
    if (this.length === 0) return undefined;
    const idx = (this.head + this.length - 1) & this.mask;
    const item = this.items[idx];
    this.items[idx] = undefined;
    this.length--;
    return item;
  }

  peek(): T | undefined {
    return this.length === 0 ? undefined : this.items[this.head];
  }

  /** Item at position i from the head (0-based); undefined when out of range. */
  at(i: number): T | undefined {
    if (i < 0 || i >= this.length) return undefined;
    return this.items[(this.head + i) & this.mask];
  }

  /** Replaces the item at position i (0-based from the head). */
  set(i: number, item: T): void {
    if (i < 0 || i >= this.length) throw new RangeError(`ring index ${i} out of range`);
    this.items[(this.head + i) & this.mask] = item;
  }

  /** Removes the item at position i (O(n) — only for rare paths such as priority requeue). */
  removeAt(i: number): T | undefined {
    if (i < 0 || i >= this.length) return undefined;
    const item = this.at(i);
    for (let j = i; j < this.length - 1; j++) {
      this.items[(this.head + j) & this.mask] = this.items[(this.head + j + 1) & this.mask];
    }
    this.items[(this.head + this.length - 1) & this.mask] = undefined;
    this.length--;
    return item;
  }

  /** Inserts at position i (O(n) — rare paths only). */
  insertAt(i: number, item: T): void {
    if (i <= 0) return this.unshift(item);
    if (i >= this.length) return this.push(item);
    if (this.length === this.items.length) this.grow();
    for (let j = this.length; j > i; j--) {
      this.items[(this.head + j) & this.mask] = this.items[(this.head + j - 1) & this.mask];
    }
    this.items[(this.head + i) & this.mask] = item;
    this.length++;
  }

  clear(): void {
    this.items = new Array<T | undefined>(16);
    this.mask = 15;
    this.head = 0;
    this.length = 0;
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = 0; i < this.length; i++) yield this.items[(this.head + i) & this.mask] as T;
  }

  private grow(): void {
    const old = this.items;
    const cap = old.length * 2;
    const next = new Array<T | undefined>(cap);
    for (let i = 0; i < this.length; i++) next[i] = old[(this.head + i) & this.mask];
    this.items = next;
    this.head = 0;
    this.mask = cap - 1;
  }
}
