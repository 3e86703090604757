import { writeU32, decodeProperties, decodeShortString, decodeTable, type BasicProperties, type FieldTable } from '@warren/protocol';
import {
  PF_CONTENT_ENCODING, PF_CONTENT_TYPE, PF_CORRELATION_ID, PF_DELIVERY_MODE, PF_EXPIRATION, PF_HEADERS,
  PF_MESSAGE_ID, PF_PRIORITY, PF_REPLY_TO, PF_TIMESTAMP, PF_TYPE, PF_USER_ID,
} from './property-flags.js';

/**
 * A published message, kept as the bytes it arrived in, pre-framed: `data` holds
 *   [exchange shortstr + routing-key shortstr]
 *   [content header frame: 7-byte frame header, header payload, 0xCE]
 *   [one body frame: 7-byte frame header, body, 0xCE]   (absent for an empty body)
 * A delivery copies the exchange/routing-key span (the same bytes in basic.publish and
 * basic.deliver arguments) and then the whole content region in one copy, patching only the
 * channel numbers. Properties are never re-encoded. One Message is shared by every queue it
 * is routed to; it is immutable once built. Frame channel fields in `data` are left as 0.
 */
export class Message {
  /** Property values the broker acts on, read once from the header bytes. */
  deliveryMode = 0;
  priority = 0;
  /** Per-message TTL in ms from the `expiration` property, or -1 when absent/invalid. */
  expirationMs = -1;
  /** Lazily decoded headers / properties (only when something needs them). */
  private headersCache: FieldTable | null | undefined;
  private propsCache: BasicProperties | undefined;
  /** Store id once persisted (durable store, issue 3); 0 when transient. */
  storeId = 0;

  /** Offset of the content header payload (after its 7-byte frame header). */
  readonly headerOffset: number;
  /** Offset of the body bytes (inside the single body frame). */
  readonly bodyOffset: number;
  /**
   * The pre-framed content region as its own view, made once: copying a whole Buffer lets
   * Buffer.copy skip allocating a view per delivery.
   */
  readonly content: Buffer;

  constructor(
    readonly data: Buffer,
    readonly erkLength: number,
    readonly headerLength: number,
    readonly bodySize: number,
    readonly exchange: string,
    readonly routingKey: string,
  ) {
    this.headerOffset = erkLength + 7;
    this.bodyOffset = erkLength + 7 + headerLength + 1 + 7;
    this.content = data.subarray(erkLength);
  }

  /** Bytes of the pre-framed content region (header frame + body frame). */
  get contentLength(): number { return this.content.length; }
  get propertyFlags(): number { return (this.data[this.headerOffset + 12]! << 8) | this.data[this.headerOffset + 13]!; }
  get persistent(): boolean { return this.deliveryMode === 2; }
  /** Body bytes (a view, no copy). */
  body(): Buffer { return this.data.subarray(this.bodyOffset, this.bodyOffset + this.bodySize); }

  properties(): BasicProperties {
    if (this.propsCache === undefined) {
      const start = this.headerOffset + 12;
      this.propsCache = decodeProperties(this.data, start, this.headerOffset + this.headerLength);
    }
    return this.propsCache;
  }

  headers(): FieldTable | null {
    if (this.headersCache === undefined) {
      this.headersCache = null;
      if (this.propertyFlags & PF_HEADERS) {
        const off = skipTo(this.data, this.headerOffset + 14, this.propertyFlags, PF_HEADERS);
        this.headersCache = decodeTable(this.data, off, this.headerOffset + this.headerLength);
      }
    }
    return this.headersCache;
  }

  /** Reads delivery-mode, priority and expiration straight from the header bytes. */
  scanProperties(): void {
    const flags = this.propertyFlags;
    if ((flags & (PF_DELIVERY_MODE | PF_PRIORITY | PF_EXPIRATION)) === 0) return;
    const d = this.data;
    const end = this.headerOffset + this.headerLength;
    let p = this.headerOffset + 14;
    if (flags & PF_CONTENT_TYPE) p += 1 + d[p]!;
    if (flags & PF_CONTENT_ENCODING) p += 1 + d[p]!;
    if (flags & PF_HEADERS) p += 4 + d.readUInt32BE(p);
    if (flags & PF_DELIVERY_MODE) this.deliveryMode = d[p++]!;
    if (flags & PF_PRIORITY) this.priority = d[p++]!;
    if (flags & PF_EXPIRATION) {
      if (flags & PF_CORRELATION_ID) p += 1 + d[p]!;
      if (flags & PF_REPLY_TO) p += 1 + d[p]!;
      if (p < end) {
        const len = d[p]!;
        this.expirationMs = parseExpiration(d.toString('latin1', p + 1, p + 1 + len));
      }
    }
    if (p > end) throw new RangeError('content header properties truncated');
  }
}

/** Offset of the property selected by `target` (a flag bit), skipping the ones before it. */
function skipTo(d: Buffer, p: number, flags: number, target: number): number {
  for (let bit = 0x8000; bit > target; bit >>= 1) {
    if ((flags & bit) === 0) continue;
    switch (bit) {
      case PF_CONTENT_TYPE: case PF_CONTENT_ENCODING: case PF_CORRELATION_ID: case PF_REPLY_TO:
      case PF_EXPIRATION: case PF_MESSAGE_ID: case PF_TYPE: case PF_USER_ID:
        p += 1 + d[p]!; break;
      case PF_HEADERS: p += 4 + d.readUInt32BE(p); break;
      case PF_DELIVERY_MODE: case PF_PRIORITY: p += 1; break;
      case PF_TIMESTAMP: p += 8; break;
    }
  }
  return p;
}

/** Size of `data` for a message: exchange/routing-key span, header frame, body frame. */
export function messageDataSize(erkLength: number, headerLength: number, bodySize: number): number {
  return erkLength + 8 + headerLength + (bodySize > 0 ? 8 + bodySize : 0);
}

/** Writes the 7-byte frame header of the body frame and its end octet into `data`. */
export function frameBody(data: Buffer, erkLength: number, headerLength: number, bodySize: number): void {
  if (bodySize === 0) return;
  const p = erkLength + 8 + headerLength;
  data[p] = 3;
  data[p + 1] = 0;
  data[p + 2] = 0;
  writeU32(data, p + 3, bodySize);
  data[data.length - 1] = 0xce;
}

/** RabbitMQ accepts only a non-negative integer string of milliseconds. */
export function parseExpiration(s: string): number {
  if (!/^\d{1,15}$/.test(s)) return -2;
  return Number(s);
}

/** Rebuilds a Message from its stored `data` bytes (durable store recovery and paging). */
export function messageFromStored(data: Buffer): Message {
  const exLen = data[0]!;
  const exchange = decodeShortString(data, 1, 1 + exLen);
  const rkLen = data[1 + exLen]!;
  const routingKey = decodeShortString(data, 2 + exLen, 2 + exLen + rkLen);
  const erkLength = 2 + exLen + rkLen;
  const headerLength = data.readUInt32BE(erkLength + 3);
  const sizeAt = erkLength + 7 + 4;
  const bodySize = data.readUInt32BE(sizeAt) * 0x100000000 + data.readUInt32BE(sizeAt + 4);
  const m = new Message(data, erkLength, headerLength, bodySize, exchange, routingKey);
  m.scanProperties();
  return m;
}
