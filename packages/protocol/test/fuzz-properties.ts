/**
 * Robustness properties shared by the test suite (few runs) and scripts/fuzz.ts (many runs):
 * whatever bytes arrive, the codec either decodes them or throws ProtocolError — never another
 * exception, never a read past `end`, never an endless loop.
 */
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import {
  decodeMethod,
  decodeProperties,
  decodeTable,
  encodeContentHeader,
  encodeMethod,
  FrameReader,
  FrameWriter,
  ProtocolError,
} from '../src/index.js';
import { anyMethodArb, propertiesArb, specModel, tableArb } from './helpers.js';

/** Runs fn; a ProtocolError is an acceptable outcome, anything else fails the property. */
function decodesOrProtocolError<T>(fn: () => T): T | ProtocolError {
  try {
    return fn();
  } catch (e) {
    if (e instanceof ProtocolError) return e;
    throw e;
  }
}

/** Same outcome whether the region is followed by junk or is a buffer of its own. */
function sameOutcome(a: unknown, b: unknown): boolean {
  if (a instanceof ProtocolError || b instanceof ProtocolError) {
    return a instanceof ProtocolError && b instanceof ProtocolError && a.code === b.code;
  }
  return isDeepStrictEqual(a, b);
}

/** Decodes every frame the way the broker will (method args, content header properties). */
function feedReader(chunks: Buffer[], maxFrameSize: number): number {
  let frames = 0;
  const reader = new FrameReader(
    {
      onFrame(type, _channel, buf, start, end) {
        frames++;
        if (type === 1 && end - start >= 4) {
          decodeMethod(buf.readUInt16BE(start), buf.readUInt16BE(start + 2), buf, start + 4, end);
        } else if (type === 2 && end - start >= 14) {
          decodeProperties(buf, start + 12, end);
        }
      },
    },
    maxFrameSize,
  );
  for (const c of chunks) {
    const r = decodesOrProtocolError(() => reader.push(c));
    if (r instanceof ProtocolError) {
      if (!reader.stopped) throw new Error('reader not stopped after a ProtocolError');
      break;
    }
  }
  return frames;
}

/** Splits bytes at the given (sorted, clamped) offsets. */
function split(bytes: Uint8Array, cuts: number[]): Buffer[] {
  const b = Buffer.from(bytes);
  const points = [...new Set(cuts.map((c) => c % (b.length + 1)))].sort((x, y) => x - y);
  const chunks: Buffer[] = [];
  let prev = 0;
  for (const p of points) {
    chunks.push(b.subarray(prev, p));
    prev = p;
  }
  chunks.push(b.subarray(prev));
  return chunks;
}

/** A valid stream: methods, each content method followed by its header and a body. */
const validStreamArb = fc
  .array(fc.tuple(anyMethodArb, propertiesArb, fc.integer({ min: 0, max: 65535 })), { minLength: 1, maxLength: 4 })
  .map((items) => {
    const w = new FrameWriter(64);
    for (const [m, props, channel] of items) {
      encodeMethod(w, channel, m);
      encodeContentHeader(w, channel, 3, props);
      const body = w.beginFrame(3, channel);
      w.bytes(Buffer.from('abc'));
      w.endFrame(body);
    }
    return Buffer.from(w.buf.subarray(0, w.pos));
  });

type Mutation = { kind: 'flip' | 'set' | 'insert' | 'delete'; at: number; value: number };

const mutationArb: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom('flip', 'set', 'insert', 'delete'),
  at: fc.nat(),
  value: fc.integer({ min: 0, max: 255 }),
});

function mutate(bytes: Buffer, mutations: Mutation[]): Buffer {
  let b = Buffer.from(bytes);
  for (const m of mutations) {
    if (b.length === 0) break;
    const at = m.at % b.length;
    if (m.kind === 'flip') b[at] = b[at]! ^ (1 << (m.value & 7));
    else if (m.kind === 'set') b[at] = m.value;
    else if (m.kind === 'insert') b = Buffer.concat([b.subarray(0, at), Buffer.from([m.value]), b.subarray(at)]);
    else b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1)]);
  }
  return b;
}

const methodIdsArb = fc.constantFrom(...specModel.methods.map((m) => [m.classId, m.methodId] as const));
const maxFrameArb = fc.constantFrom(0, 0, 4096, 131072, 20);
const junkArb = fc.uint8Array({ minLength: 1, maxLength: 16 });

/** Decoding a region gives the same outcome as decoding an exact copy of it (no reads past end). */
function checkBounded<T>(decode: (buf: Buffer, start: number, end: number) => T, region: Uint8Array, junk: Uint8Array): void {
  const exact = Buffer.from(region);
  const padded = Buffer.concat([Buffer.from([0xaa, 0xbb]), exact, Buffer.from(junk)]);
  const a = decodesOrProtocolError(() => decode(exact, 0, exact.length));
  const b = decodesOrProtocolError(() => decode(padded, 2, 2 + exact.length));
  if (!sameOutcome(a, b)) throw new Error('decoding depended on bytes outside [start, end)');
}

export function fuzzProperties(): { name: string; property: fc.IProperty<unknown[]> }[] {
  return [
    {
      name: 'random bytes through FrameReader',
      property: fc.property(fc.uint8Array({ maxLength: 300 }), fc.array(fc.nat(), { maxLength: 6 }), maxFrameArb, (bytes, cuts, max) => {
        feedReader(split(bytes, cuts), max);
      }),
    },
    {
      name: 'random frame-shaped bytes through FrameReader',
      property: fc.property(
        fc.array(fc.tuple(fc.constantFrom(1, 2, 3, 8), fc.integer({ min: 0, max: 65535 }), fc.uint8Array({ maxLength: 60 })), { maxLength: 5 }),
        fc.array(fc.nat(), { maxLength: 4 }),
        (frames, cuts) => {
          const w = new FrameWriter(64);
          for (const [type, channel, payload] of frames) {
            const f = w.beginFrame(type, channel);
            w.bytes(Buffer.from(payload));
            w.endFrame(f);
          }
          feedReader(split(w.buf.subarray(0, w.pos), cuts), 0);
        },
      ),
    },
    {
      name: 'mutated valid frames through FrameReader',
      property: fc.property(validStreamArb, fc.array(mutationArb, { minLength: 1, maxLength: 4 }), fc.array(fc.nat(), { maxLength: 4 }), maxFrameArb, (stream, muts, cuts, max) => {
        feedReader(split(mutate(stream, muts), cuts), max);
      }),
    },
    {
      name: 'decodeMethod on random arguments of every known method',
      property: fc.property(methodIdsArb, fc.uint8Array({ maxLength: 120 }), junkArb, ([c, m], args, junk) => {
        checkBounded((buf, s, e) => decodeMethod(c, m, buf, s, e), args, junk);
      }),
    },
    {
      name: 'decodeMethod on mutated valid arguments',
      property: fc.property(anyMethodArb, fc.array(mutationArb, { minLength: 1, maxLength: 3 }), junkArb, (method, muts, junk) => {
        const w = new FrameWriter(64);
        encodeMethod(w, 1, method);
        const args = mutate(Buffer.from(w.buf.subarray(11, w.pos - 1)), muts);
        const c = w.buf.readUInt16BE(7);
        const m = w.buf.readUInt16BE(9);
        checkBounded((buf, s, e) => decodeMethod(c, m, buf, s, e), args, junk);
      }),
    },
    {
      name: 'decodeMethod with random class and method ids',
      property: fc.property(fc.integer({ min: 0, max: 65535 }), fc.integer({ min: 0, max: 65535 }), fc.uint8Array({ maxLength: 40 }), (c, m, args) => {
        const r = decodesOrProtocolError(() => decodeMethod(c, m, Buffer.from(args), 0, args.length));
        if (r instanceof ProtocolError && r.code !== 540 && r.code !== 502) throw new Error(`unexpected code ${r.code}`);
      }),
    },
    {
      name: 'decodeProperties on random and mutated bytes',
      property: fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 120 }),
          fc.tuple(propertiesArb, fc.array(mutationArb, { minLength: 1, maxLength: 3 })).map(([p, muts]) => {
            const w = new FrameWriter(64);
            encodeContentHeader(w, 1, 0, p);
            return mutate(Buffer.from(w.buf.subarray(19, w.pos - 1)), muts);
          }),
        ),
        junkArb,
        (bytes, junk) => checkBounded(decodeProperties, bytes, junk),
      ),
    },
    {
      name: 'decodeTable on random and mutated bytes',
      property: fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 120 }),
          fc.tuple(tableArb, fc.array(mutationArb, { minLength: 1, maxLength: 3 })).map(([t, muts]) => {
            const w = new FrameWriter(64);
            w.table(t);
            return mutate(Buffer.from(w.buf.subarray(0, w.pos)), muts);
          }),
        ),
        junkArb,
        (bytes, junk) => checkBounded(decodeTable, bytes, junk),
      ),
    },
  ];
}
