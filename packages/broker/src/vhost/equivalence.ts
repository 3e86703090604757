import { fieldValuesEqual, type FieldTable, type FieldValue } from '@warren/protocol';
import { preconditionFailed } from '../errors.js';

function show(v: FieldValue | undefined): string {
  if (v === undefined) return 'none';
  if (Buffer.isBuffer(v)) return `'${v.toString('utf8')}'`;
  if (typeof v === 'object' && v !== null) return `'${JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x))}'`;
  return `'${String(v)}'`;
}

/** 406 for a redeclaration whose flag differs, in RabbitMQ's wording. */
export function checkFlag(what: string, name: string, received: boolean | string, current: boolean | string): void {
  if (received !== current) {
    throw preconditionFailed(`inequivalent arg '${name}' for ${what}: received '${String(received)}' but current is '${String(current)}'`);
  }
}

/** 406 when any of the listed arguments differs between the declaration and the existing entity. */
export function checkArgs(what: string, received: FieldTable, current: FieldTable, keys: readonly string[]): void {
  for (const k of keys) {
    const a = received[k];
    const b = current[k];
    if (a === undefined && b === undefined) continue;
    if (a === undefined || b === undefined || !fieldValuesEqual(a, b)) {
      throw preconditionFailed(
        `inequivalent arg '${k}' for ${what}: received ${a === undefined ? 'none' : `the value ${show(a)}`} but current is ${b === undefined ? 'none' : `the value ${show(b)}`}`,
      );
    }
  }
}
