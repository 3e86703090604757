// What every router stores per binding, and the binding identity rule.
import { type FieldTable, fieldValuesEqual } from '@warren/protocol';

/** One stored binding; also the object `bindings()` yields (treat as read-only). */
export interface Binding<T> {
  readonly key: string;
  readonly args: FieldTable;
  readonly target: T;
}

/**
 * Binding arguments are part of a binding's identity (RabbitMQ allows the same queue to be bound
 * twice with the same key and different arguments). Empty tables are the common case, so they
 * skip the deep comparison.
 */
export function sameArgs(a: FieldTable, b: FieldTable): boolean {
  if (a === b) return true;
  if (isEmptyTable(a)) return isEmptyTable(b);
  if (isEmptyTable(b)) return false;
  return fieldValuesEqual(a, b);
}

function isEmptyTable(t: FieldTable): boolean {
  for (const k in t) if (Object.hasOwn(t, k)) return false;
  return true;
}

/** Index of a list of bindings whose (key, args, target) equal the given ones, or -1. */
export function indexOfBinding<T>(
  list: readonly Binding<T>[],
  key: string,
  args: FieldTable,
  target: T,
): number {
  for (let i = 0; i < list.length; i++) {
    const b = list[i]!;
    if (b.target === target && b.key === key && sameArgs(b.args, args)) return i;
  }
  return -1;
}
