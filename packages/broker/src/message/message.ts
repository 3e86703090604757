import { decodeProperties, decodeTable, type BasicProperties, type FieldTable } from '@warren/protocol';
import {
  PF_CONTENT_ENCODING, PF_CONTENT_TYPE, PF_CORRELATION_ID, PF_DELIVERY_MODE, PF_EXPIRATION, PF_HEADERS,
  PF_MESSAGE_ID, PF_PRIORITY, PF_REPLY_TO, PF_TIMESTAMP, PF_TYPE, PF_USER_ID,
} from './property-flags.js';

/**
 * A published message, kept as the bytes it arrived in: `data` holds
 *   [exchange shortstr + routing-key shortstr][content header payload][body]
 * so a delivery copies the exchange/routing-key span and the header verbatim (the same
 * bytes in basic.publish args and basic.deliver args) and never re-encodes properties.
 * One Message is shared by every queue it is routed to; it is immutable once built.
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

  constructor(
    readonly data: Buffer,
    readonly erkLength: number,
    readonly headerLength: number,
    readonly bodySize: number,
    readonly exchange: string,
    readonly routingKey: string,
  ) {}

  get headerOffset(): number { return this.erkLength; }
  get bodyOffset(): number { return this.erkLength + this.headerLength; }
  get propertyFlags(): number { return (this.data[this.erkLength + 12]! << 8) | this.data[this.erkLength + 13]!; }
  get persistent(): boolean { return this.deliveryMode === 2; }
  /** Body bytes (a view, no copy). */
  body(): Buffer { return this.data.subarray(this.bodyOffset, this.bodyOffset + this.bodySize); }

  properties(): BasicProperties {
    if (this.propsCache === undefined) {
      const start = this.erkLength + 12;
      this.propsCache = decodeProperties(this.data, start, this.erkLength + this.headerLength);
    }
    return this.propsCache;
  }

  headers(): FieldTable | null {
    if (this.headersCache === undefined) {
      this.headersCache = null;
      if (this.propertyFlags & PF_HEADERS) {
        const off = skipTo(this.data, this.erkLength + 14, this.propertyFlags, PF_HEADERS);
        this.headersCache = decodeTable(this.data, off, this.erkLength + this.headerLength);
      }
    }
    return this.headersCache;
  }

  /** Reads delivery-mode, priority and expiration straight from the header bytes. */
  scanProperties(): void {
    const flags = this.propertyFlags;
    if ((flags & (PF_DELIVERY_MODE | PF_PRIORITY | PF_EXPIRATION)) === 0) return;
    const d = this.data;
    const end = this.erkLength + this.headerLength;
    let p = this.erkLength + 14;
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

/** RabbitMQ accepts only a non-negative integer string of milliseconds. */
export function parseExpiration(s: string): number {
  if (!/^\d{1,15}$/.test(s)) return -2;
  return Number(s);
}
