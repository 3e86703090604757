import { Buffer } from 'node:buffer';
import { encodeTable, type FieldTable } from './field-table.js';
import { writeShortAscii } from './short-strings.js';
import { copyBytes, writeU32 } from './bytes.js';

const FRAME_END_BYTE = 0xce;
const TWO_32 = 0x1_0000_0000;

/**
 * An append-only, growable output buffer with AMQP primitive writers. One writer is reused
 * per connection: `reset()` it, write frames, hand `buf.subarray(0, pos)` to the socket.
 * Writes never allocate except when the buffer has to grow.
 */
export class FrameWriter {
  buf: Buffer;
  pos = 0;

  constructor(initialSize = 65536) {
    this.buf = Buffer.allocUnsafe(Math.max(16, initialSize));
  }

  /** Makes room for `n` more bytes, doubling the buffer (content kept) when needed. */
  ensure(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  reset(): void {
    this.pos = 0;
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v & 0xff;
  }

  u16(v: number): void {
    this.ensure(2);
    const b = this.buf;
    const p = this.pos;
    b[p] = (v >>> 8) & 0xff;
    b[p + 1] = v & 0xff;
    this.pos = p + 2;
  }

  u32(v: number): void {
    this.ensure(4);
    writeU32(this.buf, this.pos, v);
    this.pos += 4;
  }

  /** Unsigned 64-bit; numbers beyond 2^53 lose precision (callers keep tags below that). */
  u64(v: number | bigint): void {
    this.ensure(8);
    if (typeof v === 'bigint') {
      this.buf.writeBigUInt64BE(BigInt.asUintN(64, v), this.pos);
    } else {
      const hi = Math.floor(v / TWO_32);
      writeU32(this.buf, this.pos, hi);
      writeU32(this.buf, this.pos + 4, v - hi * TWO_32);
    }
    this.pos += 8;
  }

  /** Short string: one length octet then UTF-8; more than 255 bytes is a caller bug. */
  shortstr(s: string): void {
    // UTF-8 never takes fewer bytes than UTF-16 code units, so this rejects early.
    if (s.length > 255) throw new RangeError(`shortstr longer than 255 bytes (${s.length} chars)`);
    this.ensure(1 + s.length * 3);
    const ascii = writeShortAscii(this.buf, this.pos + 1, s, 64);
    const n = ascii >= 0 ? ascii : this.buf.write(s, this.pos + 1, 'utf8');
    if (n > 255) throw new RangeError(`shortstr longer than 255 bytes (${n})`);
    this.buf[this.pos] = n;
    this.pos += 1 + n;
  }

  /** Long string: 32-bit length then the bytes (UTF-8 for strings). */
  longstr(s: string | Buffer): void {
    if (typeof s === 'string') {
      const n = Buffer.byteLength(s, 'utf8');
      this.ensure(4 + n);
      this.buf.writeUInt32BE(n, this.pos);
      this.buf.write(s, this.pos + 4, n, 'utf8');
      this.pos += 4 + n;
    } else {
      this.ensure(4 + s.length);
      this.buf.writeUInt32BE(s.length, this.pos);
      s.copy(this.buf, this.pos + 4);
      this.pos += 4 + s.length;
    }
  }

  /** Field table (an absent table is written as an empty one). */
  table(t: FieldTable | undefined): void {
    encodeTable(this, t);
  }

  bytes(b: Buffer, start = 0, end = b.length): void {
    const n = end - start;
    this.ensure(n);
    copyBytes(b, start, this.buf, this.pos, n);
    this.pos += n;
  }

  /** Writes type, channel and a size placeholder; returns the frame's start offset for endFrame. */
  beginFrame(type: number, channel: number): number {
    this.ensure(7);
    const start = this.pos;
    const b = this.buf;
    b[start] = type;
    b[start + 1] = (channel >>> 8) & 0xff;
    b[start + 2] = channel & 0xff;
    this.pos = start + 7;
    return start;
  }

  /** Patches the payload size of the frame begun at `frameStart` and appends the frame-end octet. */
  endFrame(frameStart: number): void {
    writeU32(this.buf, frameStart + 3, this.pos - frameStart - 7);
    this.ensure(1);
    this.buf[this.pos++] = FRAME_END_BYTE;
  }

  heartbeat(): void {
    this.ensure(8);
    const b = this.buf;
    const p = this.pos;
    b[p] = 8;
    b.fill(0, p + 1, p + 7);
    b[p + 7] = FRAME_END_BYTE;
    this.pos = p + 8;
  }
}
