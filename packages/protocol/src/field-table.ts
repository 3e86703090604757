import { Buffer } from 'node:buffer';
import { ByteCursor } from './byte-cursor.js';
import { ProtocolError } from './errors.js';
import type { FrameWriter } from './frame-writer.js';

/** AMQP decimal: `value / 10^scale` (scale octet, unsigned 32-bit value as RabbitMQ sends it). */
export class AmqpDecimal {
  constructor(
    readonly scale: number,
    readonly value: number,
  ) {}
}

/** AMQP timestamp (tag T): seconds since the epoch. */
export class AmqpTimestamp {
  constructor(readonly seconds: number) {}
}

export type FieldTypeTag = 't' | 'b' | 'B' | 's' | 'u' | 'I' | 'i' | 'l' | 'f' | 'd' | 'S' | 'x' | 'T';

/** Forces the wire type of a value (e.g. `new Typed('s', 5)` for a 16-bit int). */
export class Typed {
  constructor(
    readonly type: FieldTypeTag,
    readonly value: FieldValue,
  ) {}
}

export type FieldValue =
  | string
  | number
  | bigint
  | boolean
  | Buffer
  | null
  | AmqpDecimal
  | AmqpTimestamp
  | Typed
  | FieldValue[]
  | FieldTable;

export interface FieldTable {
  [key: string]: FieldValue;
}

/** Deeper nesting than this is rejected (protects the stack from hostile input). */
const MAX_DEPTH = 64;
const INT32_MIN = -0x8000_0000;
const INT32_MAX = 0x7fff_ffff;

const cursor = new ByteCursor();

function syntaxError(msg: string): ProtocolError {
  return new ProtocolError(502, `SYNTAX_ERROR - ${msg}`);
}

// ---------------------------------------------------------------- decoding

/** Decodes a field table; `start` points at its 4-byte length. Never reads at or past `end`. */
export function decodeTable(buf: Buffer, start: number, end: number): FieldTable {
  return readTable(cursor.reset(buf, start, end), 0);
}

/**
 * Decodes one field value; `start` points at its type tag. Returns the value and the offset
 * just after it.
 */
export function decodeFieldValue(buf: Buffer, start: number, end: number): [value: FieldValue, next: number] {
  const c = cursor.reset(buf, start, end);
  const v = readFieldValue(c, 0);
  return [v, c.pos];
}

/** Reads a table at the cursor (length-prefixed) and advances past it. */
export function readTable(c: ByteCursor, depth: number): FieldTable {
  if (depth > MAX_DEPTH) throw syntaxError('field table nested too deeply');
  const len = c.u32();
  c.need(len);
  const outerEnd = c.end;
  const tableEnd = c.pos + len;
  c.end = tableEnd;
  const t: FieldTable = {};
  while (c.pos < tableEnd) {
    const key = c.shortstr();
    const v = readFieldValue(c, depth);
    if (key === '__proto__') {
      // A plain assignment would replace the prototype instead of adding a key.
      Object.defineProperty(t, key, { value: v, enumerable: true, writable: true, configurable: true });
    } else {
      t[key] = v;
    }
  }
  c.end = outerEnd;
  return t;
}

function readArray(c: ByteCursor, depth: number): FieldValue[] {
  if (depth > MAX_DEPTH) throw syntaxError('field array nested too deeply');
  const len = c.u32();
  c.need(len);
  const outerEnd = c.end;
  const arrayEnd = c.pos + len;
  c.end = arrayEnd;
  const a: FieldValue[] = [];
  while (c.pos < arrayEnd) a.push(readFieldValue(c, depth));
  c.end = outerEnd;
  return a;
}

function readFieldValue(c: ByteCursor, depth: number): FieldValue {
  const tag = c.u8();
  switch (tag) {
    case 0x74: // t
      return c.u8() !== 0;
    case 0x62: // b
      return c.i8();
    case 0x42: // B
      return c.u8();
    case 0x73: // s (RabbitMQ: signed 16-bit)
      return c.i16();
    case 0x75: // u
      return c.u16();
    case 0x49: // I
      return c.i32();
    case 0x69: // i
      return c.u32();
    case 0x6c: // l
      return c.i64();
    case 0x66: // f
      return c.f32();
    case 0x64: // d
      return c.f64();
    case 0x44: {
      // D
      const scale = c.u8();
      return new AmqpDecimal(scale, c.u32());
    }
    case 0x53: // S
      return c.longstr();
    case 0x78: // x
      return c.longstrBytes();
    case 0x41: // A
      return readArray(c, depth + 1);
    case 0x54: // T
      return new AmqpTimestamp(c.u64());
    case 0x46: // F
      return readTable(c, depth + 1);
    case 0x56: // V
      return null;
    default:
      throw syntaxError(`unknown field value type 0x${tag.toString(16).padStart(2, '0')}`);
  }
}

// ---------------------------------------------------------------- encoding

/** Writes a length-prefixed field table; `undefined` is written as an empty table. */
export function encodeTable(w: FrameWriter, t: FieldTable | undefined): void {
  writeTable(w, t, 0);
}

function writeTable(w: FrameWriter, t: FieldTable | undefined, depth: number): void {
  if (depth > MAX_DEPTH) throw new RangeError('field table nested too deeply');
  w.ensure(4);
  const lenAt = w.pos;
  w.pos += 4;
  if (t != null) {
    for (const key of Object.keys(t)) {
      w.shortstr(key);
      writeValue(w, t[key], depth);
    }
  }
  w.buf.writeUInt32BE(w.pos - lenAt - 4, lenAt);
}

function writeArray(w: FrameWriter, a: readonly FieldValue[], depth: number): void {
  if (depth > MAX_DEPTH) throw new RangeError('field array nested too deeply');
  w.ensure(4);
  const lenAt = w.pos;
  w.pos += 4;
  for (let i = 0; i < a.length; i++) writeValue(w, a[i], depth);
  w.buf.writeUInt32BE(w.pos - lenAt - 4, lenAt);
}

function writeI64(w: FrameWriter, v: number | bigint): void {
  w.ensure(8);
  w.buf.writeBigInt64BE(typeof v === 'bigint' ? BigInt.asIntN(64, v) : BigInt(Math.trunc(v)), w.pos);
  w.pos += 8;
}

function writeValue(w: FrameWriter, v: FieldValue | undefined, depth: number): void {
  switch (typeof v) {
    case 'string':
      w.u8(0x53);
      w.longstr(v);
      return;
    case 'boolean':
      w.u8(0x74);
      w.u8(v ? 1 : 0);
      return;
    case 'number':
      if (Number.isInteger(v)) {
        if (v >= INT32_MIN && v <= INT32_MAX) {
          w.u8(0x49);
          w.ensure(4);
          w.buf.writeInt32BE(v, w.pos);
          w.pos += 4;
          return;
        }
        // Beyond 2^53 a number is an approximation; 'd' keeps it exactly as the caller has it.
        if (Number.isSafeInteger(v)) {
          w.u8(0x6c);
          writeI64(w, v);
          return;
        }
      }
      w.u8(0x64);
      w.ensure(8);
      w.buf.writeDoubleBE(v, w.pos);
      w.pos += 8;
      return;
    case 'bigint':
      w.u8(0x6c);
      writeI64(w, v);
      return;
    case 'undefined':
      w.u8(0x56);
      return;
    case 'object':
      break;
    default:
      throw new TypeError(`cannot encode a ${typeof v} as an AMQP field value`);
  }
  if (v === null) {
    w.u8(0x56);
  } else if (Buffer.isBuffer(v)) {
    w.u8(0x78);
    w.longstr(v);
  } else if (Array.isArray(v)) {
    w.u8(0x41);
    writeArray(w, v, depth + 1);
  } else if (v instanceof Typed) {
    writeTyped(w, v);
  } else if (v instanceof AmqpDecimal) {
    w.u8(0x44);
    w.u8(v.scale);
    w.u32(v.value);
  } else if (v instanceof AmqpTimestamp) {
    w.u8(0x54);
    w.u64(v.seconds);
  } else if ((v as object) instanceof Date) {
    w.u8(0x54);
    w.u64(Math.floor((v as unknown as Date).getTime() / 1000));
  } else {
    w.u8(0x46);
    writeTable(w, v, depth + 1);
  }
}

function numberOf(t: Typed): number {
  const v = t.value;
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint' || typeof v === 'boolean') return Number(v);
  throw new TypeError(`Typed('${t.type}') needs a numeric value`);
}

function writeTyped(w: FrameWriter, t: Typed): void {
  const v = t.value;
  switch (t.type) {
    case 't':
      w.u8(0x74);
      w.u8(v ? 1 : 0);
      return;
    case 'b':
    case 'B':
      w.u8(t.type.charCodeAt(0));
      w.u8(numberOf(t));
      return;
    case 's':
    case 'u':
      w.u8(t.type.charCodeAt(0));
      w.u16(numberOf(t));
      return;
    case 'I':
    case 'i':
      w.u8(t.type.charCodeAt(0));
      w.u32(numberOf(t));
      return;
    case 'l':
      w.u8(0x6c);
      writeI64(w, typeof v === 'bigint' ? v : numberOf(t));
      return;
    case 'f':
      w.u8(0x66);
      w.ensure(4);
      w.buf.writeFloatBE(numberOf(t), w.pos);
      w.pos += 4;
      return;
    case 'd':
      w.u8(0x64);
      w.ensure(8);
      w.buf.writeDoubleBE(numberOf(t), w.pos);
      w.pos += 8;
      return;
    case 'S':
      w.u8(0x53);
      w.longstr(Buffer.isBuffer(v) ? v : String(v));
      return;
    case 'x':
      w.u8(0x78);
      w.longstr(Buffer.isBuffer(v) ? v : String(v));
      return;
    case 'T':
      w.u8(0x54);
      w.u64(v instanceof AmqpTimestamp ? v.seconds : numberOf(t));
      return;
    default:
      throw new TypeError(`unknown field type tag '${String(t.type)}'`);
  }
}

// ---------------------------------------------------------------- equality

function unwrap(v: FieldValue | undefined): FieldValue | undefined {
  while (v instanceof Typed) v = v.value;
  return v;
}

function isNumeric(v: unknown): v is number | bigint {
  return typeof v === 'number' || typeof v === 'bigint';
}

/**
 * Deep equality of field values, as used for argument-equivalence checks: numbers compare by
 * value whatever their wire width (1 as int8 equals 1 as int64), Typed wrappers are looked
 * through, Buffers by content, tables by key set and values.
 */
export function fieldValuesEqual(a: FieldValue, b: FieldValue): boolean {
  return valuesEqual(a, b, 0);
}

function valuesEqual(x: FieldValue | undefined, y: FieldValue | undefined, depth: number): boolean {
  const a = unwrap(x);
  const b = unwrap(y);
  if (a === b) return true;
  if (a == null || b == null) return a == null && b == null;
  if (isNumeric(a) && isNumeric(b)) {
    if (typeof a === 'number' && typeof b === 'number') return Number.isNaN(a) && Number.isNaN(b);
    // Mixed number/bigint: equal only when the number is an integer of the same value.
    const n = typeof a === 'number' ? a : (b as number);
    const big = typeof a === 'bigint' ? a : (b as bigint);
    return Number.isInteger(n) && BigInt(n) === big;
  }
  if (typeof a !== 'object' || typeof b !== 'object') return false;
  if (depth > MAX_DEPTH) return false;
  if (Buffer.isBuffer(a)) return Buffer.isBuffer(b) && a.equals(b);
  if (Buffer.isBuffer(b)) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!valuesEqual(a[i], b[i], depth + 1)) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  if (a instanceof AmqpDecimal) return b instanceof AmqpDecimal && a.scale === b.scale && a.value === b.value;
  if (b instanceof AmqpDecimal) return false;
  const ta = timestampSeconds(a);
  const tb = timestampSeconds(b);
  if (ta !== undefined || tb !== undefined) return ta === tb;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  const tableB = b as FieldTable;
  for (const k of ka) {
    if (!Object.prototype.hasOwnProperty.call(tableB, k)) return false;
    if (!valuesEqual((a as FieldTable)[k], tableB[k], depth + 1)) return false;
  }
  return true;
}

function timestampSeconds(v: object): number | undefined {
  if (v instanceof AmqpTimestamp) return v.seconds;
  if (v instanceof Date) return Math.floor(v.getTime() / 1000);
  return undefined;
}
