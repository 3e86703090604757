import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { EXTENSIONS_XML_PATH, readSpecModel, SPEC_XML_PATH, type SpecField, type SpecMethod } from '../codegen/generate.js';
import {
  AmqpDecimal,
  AmqpTimestamp,
  decodeMethod,
  encodeMethod,
  FrameReader,
  FrameWriter,
  FRAME_METHOD,
  type BasicProperties,
  type FieldTable,
  type FieldValue,
  type Method,
} from '../src/index.js';

export const specXml = readFileSync(SPEC_XML_PATH, 'utf8');
export const extensionsXml = readFileSync(EXTENSIONS_XML_PATH, 'utf8');
/** The model the committed codec is generated from: the spec with RabbitMQ's extensions merged in. */
export const specModel = readSpecModel(specXml, extensionsXml);

const require = createRequire(import.meta.url);
/** amqplib's generated codec: an independent implementation to check our bytes against. */
export const amqplibDefs = require('amqplib/lib/defs.js') as {
  decode(id: number, buf: Buffer): Record<string, unknown>;
  encodeMethod(id: number, channel: number, fields: Record<string, unknown>): Buffer;
} & Record<string, unknown>;

/** amqplib's export name for a method: 'basic.get-ok' → 'BasicGetOk'. */
export function amqplibName(name: string): string {
  return name.replace(/(^|[.-])([a-z])/g, (_m, _s, c: string) => c.toUpperCase());
}

export interface CollectedFrame {
  type: number;
  channel: number;
  payload: Buffer;
}

/** Runs `bytes` through a FrameReader in the given chunks and returns copies of the frames. */
export function readFrames(chunks: Buffer[], maxFrameSize = 0): CollectedFrame[] {
  const frames: CollectedFrame[] = [];
  const reader = new FrameReader(
    {
      onFrame(type, channel, buf, start, end) {
        frames.push({ type, channel, payload: Buffer.from(buf.subarray(start, end)) });
      },
    },
    maxFrameSize,
  );
  for (const c of chunks) reader.push(c);
  return frames;
}

/** One complete method frame, as encodeMethod writes it. */
export function encode(channel: number, m: Method): Buffer {
  const w = new FrameWriter(16);
  encodeMethod(w, channel, m);
  return Buffer.from(w.buf.subarray(0, w.pos));
}

/** Encodes, reads back through FrameReader, decodes. */
export function roundTrip(channel: number, m: Method): Method {
  const frames = readFrames([encode(channel, m)]);
  assert.equal(frames.length, 1);
  const f = frames[0]!;
  assert.equal(f.type, FRAME_METHOD);
  assert.equal(f.channel, channel);
  return decodeMethod(f.payload.readUInt16BE(0), f.payload.readUInt16BE(2), f.payload, 4, f.payload.length);
}

// ---------------------------------------------------------------- arbitraries

/** Shortstr content: ≤ 255 UTF-8 bytes. */
export const shortstrArb = fc.string({ unit: 'grapheme', maxLength: 40 }).filter((s) => Buffer.byteLength(s) <= 255);
export const longstrArb = fc.string({ unit: 'grapheme', maxLength: 300 });
const u64SafeArb = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });

/** Doubles that survive encode/decode unchanged (-0 becomes int 0 on the wire). */
const doubleArb = fc.double().filter((d) => !Object.is(d, -0));
/** Integers outside the safe range round-trip as bigint. */
const bigIntArb = fc.oneof(
  fc.bigInt({ min: -(2n ** 63n), max: -(2n ** 53n) }),
  fc.bigInt({ min: 2n ** 53n, max: 2n ** 63n - 1n }),
);

/** Field values whose decoded form deep-equals the encoded one. */
export const fieldValueArb: fc.Arbitrary<FieldValue> = fc.letrec<{ value: FieldValue; table: FieldTable }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    longstrArb,
    fc.boolean(),
    fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
    fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }),
    doubleArb,
    bigIntArb,
    fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a)),
    fc.constant(null),
    fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 2 ** 32 - 1 })).map(([s, v]) => new AmqpDecimal(s, v)),
    u64SafeArb.map((s) => new AmqpTimestamp(s)),
    fc.array(tie('value'), { maxLength: 4 }),
    tie('table'),
  ),
  table: fc.dictionary(shortstrArb, tie('value'), { maxKeys: 5, noNullPrototype: true }),
})).value;

export const tableArb: fc.Arbitrary<FieldTable> = fc.dictionary(shortstrArb, fieldValueArb, {
  maxKeys: 6,
  noNullPrototype: true,
});

function argumentArb(f: SpecField): fc.Arbitrary<unknown> {
  switch (f.type) {
    case 'bit':
      return fc.boolean();
    case 'octet':
      return fc.integer({ min: 0, max: 255 });
    case 'short':
      return fc.integer({ min: 0, max: 65535 });
    case 'long':
      return fc.integer({ min: 0, max: 2 ** 32 - 1 });
    case 'longlong':
    case 'timestamp':
      return u64SafeArb;
    case 'shortstr':
      return shortstrArb;
    case 'longstr':
      return f.binary ? fc.uint8Array({ maxLength: 100 }).map((a) => Buffer.from(a)) : longstrArb;
    case 'table':
      return tableArb;
  }
}

/** Random, valid values for every argument of the method. */
export function methodArb(m: SpecMethod): fc.Arbitrary<Method> {
  const record: Record<string, fc.Arbitrary<unknown>> = { name: fc.constant(m.fullName) };
  for (const f of m.fields) if (!f.reserved) record[f.prop] = argumentArb(f);
  return fc.record(record, { noNullPrototype: true }) as unknown as fc.Arbitrary<Method>;
}

export const anyMethodArb: fc.Arbitrary<Method> = fc.oneof(...specModel.methods.map(methodArb));

export const propertiesArb: fc.Arbitrary<BasicProperties> = fc.record(
  {
    contentType: shortstrArb,
    contentEncoding: shortstrArb,
    headers: tableArb,
    deliveryMode: fc.integer({ min: 0, max: 255 }),
    priority: fc.integer({ min: 0, max: 255 }),
    correlationId: shortstrArb,
    replyTo: shortstrArb,
    expiration: shortstrArb,
    messageId: shortstrArb,
    timestamp: u64SafeArb,
    type: shortstrArb,
    userId: shortstrArb,
    appId: shortstrArb,
    clusterId: shortstrArb,
  },
  { requiredKeys: [], noNullPrototype: true },
);
