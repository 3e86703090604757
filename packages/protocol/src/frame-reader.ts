import { Buffer } from 'node:buffer';
import { readU32 } from './bytes.js';
import { ProtocolError } from './errors.js';

/**
 * Receives each complete frame; `buf[start, end)` is the payload. The reader never writes into
 * bytes it has delivered (a frame split across chunks is assembled in a buffer of its own), so the
 * bytes stay valid as long as the pushed chunks themselves are not reused by their producer.
 */
export interface FrameSink {
  onFrame(type: number, channel: number, buf: Buffer, start: number, end: number): void;
}

const HEADER_SIZE = 7;
const FRAME_OVERHEAD = 8;
const FRAME_END_BYTE = 0xce;

function isKnownFrameType(type: number): boolean {
  return type === 1 || type === 2 || type === 3 || type === 8;
}

/**
 * Splits a byte stream into AMQP frames. Complete frames are delivered straight from the
 * incoming chunk; only a trailing partial frame is copied, into a new buffer sized to that frame
 * once its header is known (so a big frame arriving in many small chunks is copied once).
 */
export class FrameReader {
  /** Whole-frame size limit including the 8 bytes of overhead; 0 means no limit. */
  maxFrameSize: number;
  stopped = false;

  /** Holds a frame header split across chunks, until the frame's size is known. */
  private readonly headerScratch: Buffer = Buffer.allocUnsafe(HEADER_SIZE);
  /** Bytes of the frame currently being assembled across chunks. */
  private partial: Buffer = this.headerScratch;
  private partialLen = 0;
  /** Total size of the frame being assembled, or 0 while its header is incomplete. */
  private partialTotal = 0;

  constructor(
    private readonly sink: FrameSink,
    maxFrameSize: number,
  ) {
    this.maxFrameSize = maxFrameSize;
  }

  /** Stops delivery at once (also from inside onFrame); later pushes are ignored. */
  stop(): void {
    this.stopped = true;
  }

  push(chunk: Buffer): void {
    if (this.stopped) return;
    try {
      let off = 0;
      if (this.partialLen > 0) {
        off = this.continuePartial(chunk);
        if (off < 0 || this.stopped) return;
      }
      this.parseChunk(chunk, off);
    } catch (e) {
      this.stopped = true;
      throw e;
    }
  }

  /** Validates a header at buf[p] and returns the whole frame size. */
  private frameTotal(buf: Buffer, p: number): number {
    const type = buf[p]!;
    if (!isKnownFrameType(type)) {
      throw new ProtocolError(501, `FRAME_ERROR - unknown frame type ${type}`);
    }
    const total = readU32(buf, p + 3) + FRAME_OVERHEAD;
    if (this.maxFrameSize > 0 && total > this.maxFrameSize) {
      throw new ProtocolError(501, `FRAME_ERROR - frame size ${total} larger than negotiated maximum ${this.maxFrameSize}`);
    }
    return total;
  }

  private deliver(buf: Buffer, p: number, total: number): void {
    const endAt = p + total - 1;
    if (buf[endAt] !== FRAME_END_BYTE) {
      throw new ProtocolError(501, `FRAME_ERROR - bad frame end octet 0x${buf[endAt]!.toString(16)}`);
    }
    this.sink.onFrame(buf[p]!, (buf[p + 1]! << 8) | buf[p + 2]!, buf, p + HEADER_SIZE, endAt);
  }

  /** Feeds chunk bytes into the partial frame; returns the chunk offset after it, or -1 if the chunk was used up. */
  private continuePartial(chunk: Buffer): number {
    let off = 0;
    if (this.partialTotal === 0) {
      const take = Math.min(HEADER_SIZE - this.partialLen, chunk.length);
      chunk.copy(this.partial, this.partialLen, 0, take);
      this.partialLen += take;
      off = take;
      if (this.partialLen < HEADER_SIZE) return -1;
      const total = this.frameTotal(this.partial, 0);
      if (total > this.partial.length) {
        const grown = Buffer.allocUnsafe(total);
        this.partial.copy(grown, 0, 0, HEADER_SIZE);
        this.partial = grown;
      }
      this.partialTotal = total;
    }
    const take = Math.min(this.partialTotal - this.partialLen, chunk.length - off);
    chunk.copy(this.partial, this.partialLen, off, off + take);
    this.partialLen += take;
    off += take;
    if (this.partialLen < this.partialTotal) return -1;
    const total = this.partialTotal;
    this.partialLen = 0;
    this.partialTotal = 0;
    const frame = this.partial;
    // The sink may keep views of this frame: the next partial frame gets a buffer of its own.
    this.partial = this.headerScratch;
    this.deliver(frame, 0, total);
    return off;
  }

  private parseChunk(chunk: Buffer, off: number): void {
    const len = chunk.length;
    while (off < len) {
      if (len - off < HEADER_SIZE) {
        this.savePartial(chunk, off, 0);
        return;
      }
      const total = this.frameTotal(chunk, off);
      if (len - off < total) {
        this.savePartial(chunk, off, total);
        return;
      }
      this.deliver(chunk, off, total);
      off += total;
      if (this.stopped) return;
    }
  }

  private savePartial(chunk: Buffer, off: number, total: number): void {
    const n = chunk.length - off;
    const size = Math.max(total, HEADER_SIZE);
    if (this.partial.length < size) this.partial = Buffer.allocUnsafe(size);
    chunk.copy(this.partial, 0, off);
    this.partialLen = n;
    this.partialTotal = total;
  }
}
