// Direct exchange: a message goes to the bindings whose key equals its routing key exactly.
import type { FieldTable } from '@warren/protocol';
import { type Binding, indexOfBinding } from './binding.js';
import type { Router } from './router.js';
import { TargetIndex } from './target-index.js';

/** Bindings sharing one key; `targets` mirrors `bindings` so routing is a plain array copy. */
interface Bucket<T> {
  readonly targets: T[];
  readonly bindings: Binding<T>[];
}

export class DirectRouter<T> implements Router<T> {
  readonly usesHeaders = false;
  private readonly buckets = new Map<string, Bucket<T>>();
  private readonly index = new TargetIndex<T>();
  private count = 0;

  get bindingCount(): number {
    return this.count;
  }

  bind(bindingKey: string, args: FieldTable, target: T): boolean {
    let bucket = this.buckets.get(bindingKey);
    if (bucket === undefined) {
      bucket = { targets: [], bindings: [] };
      this.buckets.set(bindingKey, bucket);
    } else if (indexOfBinding(bucket.bindings, bindingKey, args, target) !== -1) {
      return false;
    }
    bucket.targets.push(target);
    bucket.bindings.push({ key: bindingKey, args, target });
    this.index.add(target, bindingKey);
    this.count++;
    return true;
  }

  unbind(bindingKey: string, args: FieldTable, target: T): boolean {
    const bucket = this.buckets.get(bindingKey);
    if (bucket === undefined) return false;
    const i = indexOfBinding(bucket.bindings, bindingKey, args, target);
    if (i === -1) return false;
    this.removeAt(bucket, bindingKey, i);
    this.index.remove(target, bindingKey);
    this.count--;
    return true;
  }

  unbindAll(target: T): number {
    const keys = this.index.take(target);
    if (keys === undefined) return 0;
    let removed = 0;
    for (const key of keys) {
      const bucket = this.buckets.get(key);
      if (bucket === undefined) continue;
      // Walk backwards so removals do not shift the entries still to visit.
      for (let i = bucket.targets.length - 1; i >= 0; i--) {
        if (bucket.targets[i] === target) {
          this.removeAt(bucket, key, i);
          removed++;
        }
      }
    }
    this.count -= removed;
    return removed;
  }

  route(routingKey: string, _headers: FieldTable | undefined, out: T[]): void {
    const bucket = this.buckets.get(routingKey);
    if (bucket === undefined) return;
    const targets = bucket.targets;
    for (let i = 0; i < targets.length; i++) out.push(targets[i]!);
  }

  /** A snapshot, so callers may unbind while iterating it. */
  bindings(): Iterable<Binding<T>> {
    const all: Binding<T>[] = [];
    for (const bucket of this.buckets.values()) for (const b of bucket.bindings) all.push(b);
    return all;
  }

  hasBindingsTo(target: T): boolean {
    return this.index.has(target);
  }

  private removeAt(bucket: Bucket<T>, key: string, i: number): void {
    bucket.targets.splice(i, 1);
    bucket.bindings.splice(i, 1);
    if (bucket.targets.length === 0) this.buckets.delete(key);
  }
}
