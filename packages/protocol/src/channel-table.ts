/**
 * Open channels by channel number. Consecutive frames almost always belong to the same channel
 * (a message is three frames), so the last lookup is remembered in front of the Map.
 */
export class ChannelTable<T> {
  private readonly byId = new Map<number, T>();
  private lastId = -1;
  private last: T | undefined;

  get(id: number): T | undefined {
    if (id === this.lastId) return this.last;
    const ch = this.byId.get(id);
    if (ch !== undefined) {
      this.lastId = id;
      this.last = ch;
    }
    return ch;
  }

  has(id: number): boolean {
    return this.byId.has(id);
  }

  set(id: number, ch: T): void {
    this.byId.set(id, ch);
    if (id === this.lastId) this.last = ch;
  }

  delete(id: number): void {
    this.byId.delete(id);
    if (id === this.lastId) {
      this.lastId = -1;
      this.last = undefined;
    }
  }

  clear(): void {
    this.byId.clear();
    this.lastId = -1;
    this.last = undefined;
  }

  get size(): number {
    return this.byId.size;
  }

  values(): IterableIterator<T> {
    return this.byId.values();
  }
}
