import { Buffer } from 'node:buffer';
import { brotliCompressSync, brotliDecompressSync, deflateSync, gunzipSync, gzipSync, inflateSync } from 'node:zlib';
import { pack, unpack } from 'msgpackr';
import type { BasicProperties } from '@warren/protocol';
import { DecodeError } from './errors.js';

/** Turns values into bytes and back for one content type. */
export interface Serializer {
  contentType: string;
  /** content_encoding to send along (e.g. "utf-8" for JSON, as Kombu does); omitted when undefined. */
  contentEncoding?: string;
  encode(value: unknown): Buffer;
  decode(body: Buffer): unknown;
}

/** Compresses bodies; the name travels as the message's content_encoding. */
export interface Compressor {
  compress(body: Buffer): Buffer;
  decompress(body: Buffer): Buffer;
}

export type SerializerName = 'json' | 'msgpack' | 'text' | 'raw' | (string & {});
export type CompressionName = 'gzip' | 'deflate' | 'br' | (string & {});

const json: Serializer = {
  contentType: 'application/json',
  contentEncoding: 'utf-8',
  encode: (v) => Buffer.from(JSON.stringify(v) ?? 'null', 'utf8'),
  decode: (b) => JSON.parse(b.toString('utf8')) as unknown,
};

const msgpack: Serializer = {
  contentType: 'application/x-msgpack',
  contentEncoding: 'binary',
  encode: (v) => pack(v),
  decode: (b) => unpack(b) as unknown,
};

const text: Serializer = {
  contentType: 'text/plain',
  contentEncoding: 'utf-8',
  encode: (v) => Buffer.from(typeof v === 'string' ? v : String(v), 'utf8'),
  decode: (b) => b.toString('utf8'),
};

const raw: Serializer = {
  contentType: 'application/octet-stream',
  contentEncoding: 'binary',
  encode: (v) => {
    if (Buffer.isBuffer(v)) return v;
    if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
    throw new TypeError('the raw serializer sends Buffers (or Uint8Arrays) only');
  },
  decode: (b) => b,
};

/** Content encodings that name a character set or nothing, not a compression. */
const CHARSET_ENCODINGS = new Set(['', 'utf-8', 'utf8', 'binary', '7bit', '8bit', 'identity', 'us-ascii']);

/** Kombu's `compression` header values, mapped to ours (Kombu's "gzip" is zlib-wrapped deflate). */
const KOMBU_COMPRESSION: Record<string, string> = {
  'application/x-gzip': 'deflate',
  zlib: 'deflate',
  'application/x-brotli': 'br',
};

/**
 * Serializers by name and by content type, and compressors by content encoding. A process-wide
 * default instance is exported as `serializers`; register your own formats on it.
 */
export class SerializerRegistry {
  private readonly byName = new Map<string, Serializer>();
  private readonly byType = new Map<string, Serializer>();
  private readonly compressors = new Map<string, Compressor>();

  constructor() {
    this.register('json', json);
    this.register('msgpack', msgpack, ['application/msgpack', 'application/x-msgpack', 'application/vnd.msgpack']);
    this.register('text', text);
    this.register('raw', raw, ['application/data', 'application/octet-stream']);
    this.registerCompression('gzip', { compress: (b) => gzipSync(b), decompress: (b) => gunzipSync(b) });
    this.registerCompression('deflate', { compress: (b) => deflateSync(b), decompress: (b) => inflateSync(b) });
    this.registerCompression('br', { compress: (b) => brotliCompressSync(b), decompress: (b) => brotliDecompressSync(b) });
  }

  /** Adds (or replaces) a serializer; `aliases` are extra content types that decode with it. */
  register(name: string, s: Serializer, aliases: string[] = []): void {
    this.byName.set(name, s);
    this.byType.set(s.contentType, s);
    for (const a of aliases) this.byType.set(a, s);
  }

  registerCompression(name: string, c: Compressor): void {
    this.compressors.set(name, c);
  }

  serializer(name: string): Serializer {
    const s = this.byName.get(name);
    if (s === undefined) throw new TypeError(`unknown serializer "${name}" (known: ${[...this.byName.keys()].join(', ')})`);
    return s;
  }

  /**
   * Encodes a body for publishing: picks the serializer (a Buffer with none named goes out raw),
   * compresses when asked, and fills content_type / content_encoding in `props`.
   */
  encode(value: unknown, serializer: string | undefined, compression: string | undefined, props: BasicProperties): Buffer {
    const s = serializer !== undefined ? this.serializer(serializer) : Buffer.isBuffer(value) ? raw : json;
    let body = s.encode(value);
    if (props.contentType === undefined) props.contentType = s.contentType;
    if (compression !== undefined) {
      const c = this.compressors.get(compression);
      if (c === undefined) throw new TypeError(`unknown compression "${compression}" (known: ${[...this.compressors.keys()].join(', ')})`);
      body = c.compress(body);
      props.contentEncoding = compression;
    } else if (props.contentEncoding === undefined && s.contentEncoding !== undefined) {
      props.contentEncoding = s.contentEncoding;
    }
    return body;
  }

  /**
   * Decodes a received body by its content_encoding (decompression) and content_type. No content
   * type gives the raw Buffer. Throws DecodeError with a clear reason otherwise.
   */
  decode(body: Buffer, props: BasicProperties): unknown {
    let bytes = body;
    const enc = props.contentEncoding;
    const kombu = props.headers === undefined ? undefined : props.headers['compression'];
    let compression: string | undefined;
    if (typeof kombu === 'string') compression = KOMBU_COMPRESSION[kombu] ?? kombu;
    else if (enc !== undefined && !CHARSET_ENCODINGS.has(enc)) {
      const lower = enc.toLowerCase();
      if (!CHARSET_ENCODINGS.has(lower)) compression = lower;
    }
    if (compression !== undefined) {
      const c = this.compressors.get(compression);
      if (c === undefined) throw new DecodeError(`cannot decode body: unknown content encoding "${compression}"`);
      try {
        bytes = c.decompress(bytes);
      } catch (e) {
        throw new DecodeError(`cannot decode body: corrupt ${compression} data (${(e as Error).message})`);
      }
    }
    const type = props.contentType;
    if (type === undefined || type === '') return bytes;
    // exact content type first (the common case), then without parameters and case-folded
    const s = this.byType.get(type) ?? this.byType.get(type.split(';')[0]!.trim().toLowerCase());
    if (s === undefined) throw new DecodeError(`cannot decode body: unknown content type "${type}"`);
    try {
      return s.decode(bytes);
    } catch (e) {
      throw new DecodeError(`cannot decode body as ${type}: ${(e as Error).message}`);
    }
  }
}

/** The default registry used by every Connection unless one is given in its options. */
export const serializers = new SerializerRegistry();
