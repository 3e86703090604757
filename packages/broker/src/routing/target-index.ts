// Reverse index target -> binding keys, so hasBindingsTo is O(1) and unbindAll only visits the
// keys the target is actually bound with (queue deletion must not scan every binding).
export class TargetIndex<T> {
  private readonly byTarget = new Map<T, Map<string, number>>();

  add(target: T, key: string): void {
    let keys = this.byTarget.get(target);
    if (keys === undefined) {
      keys = new Map();
      this.byTarget.set(target, keys);
    }
    keys.set(key, (keys.get(key) ?? 0) + 1);
  }

  remove(target: T, key: string): void {
    const keys = this.byTarget.get(target);
    if (keys === undefined) return;
    const n = keys.get(key);
    if (n === undefined) return;
    if (n > 1) keys.set(key, n - 1);
    else {
      keys.delete(key);
      if (keys.size === 0) this.byTarget.delete(target);
    }
  }

  has(target: T): boolean {
    return this.byTarget.has(target);
  }

  /** Forgets the target and returns the keys it was bound with (undefined if none). */
  take(target: T): Iterable<string> | undefined {
    const keys = this.byTarget.get(target);
    if (keys === undefined) return undefined;
    this.byTarget.delete(target);
    return keys.keys();
  }
}
