// Fanout exchange: every binding matches, whatever the routing key.
import type { FieldTable } from '@warren/protocol';
import { type Binding, indexOfBinding } from './binding.js';
import type { Router } from './router.js';
import { TargetIndex } from './target-index.js';

export class FanoutRouter<T> implements Router<T> {
  readonly usesHeaders = false;
  /** `targets` mirrors `list` so routing is a plain array copy. */
  private readonly targets: T[] = [];
  private readonly list: Binding<T>[] = [];
  private readonly index = new TargetIndex<T>();

  get bindingCount(): number {
    return this.list.length;
  }

  bind(bindingKey: string, args: FieldTable, target: T): boolean {
    if (indexOfBinding(this.list, bindingKey, args, target) !== -1) return false;
    this.targets.push(target);
    this.list.push({ key: bindingKey, args, target });
    this.index.add(target, bindingKey);
    return true;
  }

  unbind(bindingKey: string, args: FieldTable, target: T): boolean {
    const i = indexOfBinding(this.list, bindingKey, args, target);
    if (i === -1) return false;
    this.targets.splice(i, 1);
    this.list.splice(i, 1);
    this.index.remove(target, bindingKey);
    return true;
  }

  unbindAll(target: T): number {
    if (this.index.take(target) === undefined) return 0;
    // Compact both arrays in place, keeping the order of the survivors.
    const targets = this.targets;
    const list = this.list;
    let kept = 0;
    for (let i = 0; i < targets.length; i++) {
      if (targets[i] === target) continue;
      targets[kept] = targets[i]!;
      list[kept] = list[i]!;
      kept++;
    }
    const removed = targets.length - kept;
    targets.length = kept;
    list.length = kept;
    return removed;
  }

  route(_routingKey: string, _headers: FieldTable | undefined, out: T[]): void {
    const targets = this.targets;
    for (let i = 0; i < targets.length; i++) out.push(targets[i]!);
  }

  /** A snapshot, so callers may unbind while iterating it. */
  bindings(): Iterable<Binding<T>> {
    return this.list.slice();
  }

  hasBindingsTo(target: T): boolean {
    return this.index.has(target);
  }
}
