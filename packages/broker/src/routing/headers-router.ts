// Headers exchange: routes on the message's header table, ignoring the routing key.
//
// Semantics follow RabbitMQ's rabbit_exchange_type_headers (3.13/4.x, match_all/match_any):
// - `x-match` selects the mode: "any", "any-with-x", "all-with-x"; anything else, or no
//   `x-match` at all, means "all" (RabbitMQ: "legacy; we didn't validate"). Only string values
//   count, as RabbitMQ only accepts a longstr; `headersBindingArgsError` reports what RabbitMQ's
//   validate_binding rejects, for the broker to turn into an error.
// - all/any ignore every binding argument whose name starts with "x-"; the -with-x modes ignore
//   only `x-match` itself and compare other x- arguments like any other.
// - An argument whose value is void (null) matches when the header is present, whatever its
//   value; any other argument matches when the header is present and equal. RabbitMQ compares
//   the untyped Erlang values with =:=, so wire widths do not matter (fieldValuesEqual: int8 1
//   equals int64 1), and a long string equals a byte array with the same bytes (both are Erlang
//   binaries, while fieldValuesEqual keeps string and Buffer apart, as argument identity must).
//   Known differences: RabbitMQ tells integer 1 from double 1.0, one JavaScript number cannot;
//   RabbitMQ compares a timestamp as a bare integer, we only compare it with timestamps.
// - "all" with no counted arguments matches every message; "any" with none matches nothing.
// - A message without headers behaves as an empty table.
import { type FieldTable, type FieldValue, fieldValuesEqual } from '@warren/protocol';
import { type Binding, indexOfBinding } from './binding.js';
import type { Router } from './router.js';
import { TargetIndex } from './target-index.js';

/** A binding with its arguments pre-compiled into the parallel arrays routing walks. */
interface HeadersBinding<T> extends Binding<T> {
  readonly matchAny: boolean;
  readonly names: readonly string[];
  /** null = void: only presence is required. */
  readonly values: readonly (FieldValue | null)[];
  /** Whether the name is also an Object.prototype property, so a lookup needs an own-key check. */
  readonly inherited: readonly boolean[];
}

const X_MATCH_VALUES = new Set(['all', 'any', 'all-with-x', 'any-with-x']);

/**
 * RabbitMQ's validate_binding for headers exchanges: the text of the error RabbitMQ raises for
 * these binding arguments (it closes the channel with PRECONDITION_FAILED), or null if valid.
 */
export function headersBindingArgsError(args: FieldTable): string | null {
  if (!Object.hasOwn(args, 'x-match')) return null;
  const v = args['x-match'];
  if (typeof v !== 'string') {
    return `Invalid x-match field type (value ${String(v)}); expected longstr`;
  }
  if (!X_MATCH_VALUES.has(v)) {
    return `Invalid x-match field value ${JSON.stringify(v)}; expected all, any, all-with-x, or any-with-x`;
  }
  return null;
}

function compile<T>(key: string, args: FieldTable, target: T): HeadersBinding<T> {
  const mode = Object.hasOwn(args, 'x-match') ? args['x-match'] : undefined;
  const matchAny = mode === 'any' || mode === 'any-with-x';
  const withX = mode === 'all-with-x' || mode === 'any-with-x';
  const names: string[] = [];
  const values: (FieldValue | null)[] = [];
  const inherited: boolean[] = [];
  for (const name of Object.keys(args)) {
    if (name === 'x-match' || (!withX && name.startsWith('x-'))) continue;
    const value = args[name];
    names.push(name);
    values.push(value === undefined ? null : value);
    inherited.push(name in Object.prototype);
  }
  return { key, args, target, matchAny, names, values, inherited };
}

/** Whether one binding argument is satisfied by the headers. */
function argumentMatches(
  headers: FieldTable | undefined,
  name: string,
  expected: FieldValue | null,
  inherited: boolean,
): boolean {
  if (headers === undefined) return false;
  const actual = headers[name];
  if (actual === undefined || (inherited && !Object.hasOwn(headers, name))) return false;
  return expected === null || valuesMatch(expected, actual);
}

function valuesMatch(expected: FieldValue, actual: FieldValue): boolean {
  if (expected === actual) return true;
  // Same-type primitives that are not === differ (NaN aside, kept equal as in fieldValuesEqual):
  // the common miss, decided without the deep comparison.
  const type = typeof expected;
  if (type === typeof actual) {
    if (type === 'string' || type === 'boolean' || type === 'bigint') return false;
    if (type === 'number') return expected !== expected && actual !== actual;
  }
  if (fieldValuesEqual(expected, actual)) return true;
  if (typeof expected === 'string') return Buffer.isBuffer(actual) && sameBytes(actual, expected);
  if (Buffer.isBuffer(expected)) return typeof actual === 'string' && sameBytes(expected, actual);
  return false;
}

/** Byte equality of a byte array and a string's UTF-8; allocates, but only for this rare mix. */
function sameBytes(bytes: Buffer, text: string): boolean {
  return bytes.length === Buffer.byteLength(text) && bytes.equals(Buffer.from(text));
}

function bindingMatches<T>(b: HeadersBinding<T>, headers: FieldTable | undefined): boolean {
  const { names, values, inherited } = b;
  if (b.matchAny) {
    for (let i = 0; i < names.length; i++) {
      if (argumentMatches(headers, names[i]!, values[i]!, inherited[i]!)) return true;
    }
    return false;
  }
  for (let i = 0; i < names.length; i++) {
    if (!argumentMatches(headers, names[i]!, values[i]!, inherited[i]!)) return false;
  }
  return true;
}

export class HeadersRouter<T> implements Router<T> {
  readonly usesHeaders = true;
  private readonly list: HeadersBinding<T>[] = [];
  private readonly index = new TargetIndex<T>();

  get bindingCount(): number {
    return this.list.length;
  }

  bind(bindingKey: string, args: FieldTable, target: T): boolean {
    if (indexOfBinding(this.list, bindingKey, args, target) !== -1) return false;
    this.list.push(compile(bindingKey, args, target));
    this.index.add(target, bindingKey);
    return true;
  }

  unbind(bindingKey: string, args: FieldTable, target: T): boolean {
    const i = indexOfBinding(this.list, bindingKey, args, target);
    if (i === -1) return false;
    this.list.splice(i, 1);
    this.index.remove(target, bindingKey);
    return true;
  }

  unbindAll(target: T): number {
    if (this.index.take(target) === undefined) return 0;
    const list = this.list;
    let kept = 0;
    for (let i = 0; i < list.length; i++) {
      const b = list[i]!;
      if (b.target !== target) list[kept++] = b;
    }
    const removed = list.length - kept;
    list.length = kept;
    return removed;
  }

  route(_routingKey: string, headers: FieldTable | undefined, out: T[]): void {
    const list = this.list;
    for (let i = 0; i < list.length; i++) {
      const b = list[i]!;
      if (bindingMatches(b, headers)) out.push(b.target);
    }
  }

  /** A snapshot, so callers may unbind while iterating it. */
  bindings(): Iterable<Binding<T>> {
    const all: Binding<T>[] = [];
    for (const b of this.list) all.push({ key: b.key, args: b.args, target: b.target });
    return all;
  }

  hasBindingsTo(target: T): boolean {
    return this.index.has(target);
  }
}
