import { Buffer } from 'node:buffer';
import { readU32 } from './bytes.js';
import { ProtocolError } from './errors.js';
import { decodeShortString } from './short-strings.js';

const TWO_32 = 0x1_0000_0000;

/**
 * Bounds-checked reader over `buf[pos, end)`. Every read checks the bound first and throws
 * ProtocolError(502) on truncation, so decoders never look past `end`. Reused (reset) by the
 * decoders rather than allocated per call.
 */
export class ByteCursor {
  buf: Buffer = Buffer.alloc(0);
  pos = 0;
  end = 0;

  reset(buf: Buffer, pos: number, end: number): this {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
    return this;
  }

  /** Throws unless `n` more bytes are available. */
  need(n: number): void {
    if (this.pos + n > this.end) {
      throw new ProtocolError(502, `SYNTAX_ERROR - truncated data: need ${n} bytes at offset ${this.pos}, only ${Math.max(0, this.end - this.pos)} left`);
    }
  }

  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }

  i8(): number {
    this.need(1);
    return (this.buf[this.pos++]! << 24) >> 24;
  }

  u16(): number {
    this.need(2);
    const b = this.buf;
    const p = this.pos;
    this.pos = p + 2;
    return (b[p]! << 8) | b[p + 1]!;
  }

  i16(): number {
    return (this.u16() << 16) >> 16;
  }

  u32(): number {
    this.need(4);
    const v = readU32(this.buf, this.pos);
    this.pos += 4;
    return v;
  }

  i32(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  /** Unsigned 64-bit as a number (exact up to 2^53). */
  u64(): number {
    this.need(8);
    const hi = readU32(this.buf, this.pos);
    const lo = readU32(this.buf, this.pos + 4);
    this.pos += 8;
    return hi * TWO_32 + lo;
  }

  /** Signed 64-bit: a number when exactly representable, a bigint otherwise. */
  i64(): number | bigint {
    this.need(8);
    const hi = this.buf.readInt32BE(this.pos);
    const lo = readU32(this.buf, this.pos + 4);
    this.pos += 8;
    const v = hi * TWO_32 + lo;
    if (Number.isSafeInteger(v)) return v;
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  f32(): number {
    this.need(4);
    const v = this.buf.readFloatBE(this.pos);
    this.pos += 4;
    return v;
  }

  f64(): number {
    this.need(8);
    const v = this.buf.readDoubleBE(this.pos);
    this.pos += 8;
    return v;
  }

  shortstr(): string {
    const n = this.u8();
    this.need(n);
    const p = this.pos;
    this.pos = p + n;
    return decodeShortString(this.buf, p, p + n);
  }

  skipShortstr(): void {
    this.skip(this.u8());
  }

  longstr(): string {
    const n = this.u32();
    this.need(n);
    const p = this.pos;
    this.pos = p + n;
    return this.buf.toString('utf8', p, p + n);
  }

  /** Long string as bytes; a copy, because the frame region is only valid during decoding. */
  longstrBytes(): Buffer {
    const n = this.u32();
    this.need(n);
    const p = this.pos;
    this.pos = p + n;
    return Buffer.from(this.buf.subarray(p, p + n));
  }

  skipLongstr(): void {
    this.skip(this.u32());
  }
}
