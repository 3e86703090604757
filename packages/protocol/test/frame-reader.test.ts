import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeContentHeader, encodeMethod, FrameReader, FrameWriter, ProtocolError, type FrameSink } from '../src/index.js';
import { readFrames, type CollectedFrame } from './helpers.js';

/** A small stream: method, header, body, heartbeat, on assorted channels. */
function sampleStream(): Buffer {
  const w = new FrameWriter(32);
  encodeMethod(w, 1, { name: 'basic.publish', exchange: 'amq.direct', routingKey: 'rk', mandatory: false, immediate: false });
  encodeContentHeader(w, 1, 5, { contentType: 'text/plain' });
  const body = w.beginFrame(3, 1);
  w.bytes(Buffer.from('hello'));
  w.endFrame(body);
  w.heartbeat();
  encodeMethod(w, 65535, { name: 'channel.close-ok' });
  return Buffer.from(w.buf.subarray(0, w.pos));
}

const expected = readFrames([sampleStream()]);

function isFrameError(e: unknown): boolean {
  return e instanceof ProtocolError && e.code === 501 && e.message.startsWith('FRAME_ERROR');
}

test('the sample stream has the expected frames', () => {
  assert.deepEqual(expected.map((f) => [f.type, f.channel]), [[1, 1], [2, 1], [3, 1], [8, 0], [1, 65535]]);
  assert.equal(expected[2]!.payload.toString(), 'hello');
  assert.equal(expected[3]!.payload.length, 0);
});

test('frames split at every byte offset are reassembled', () => {
  const s = sampleStream();
  for (let cut = 0; cut <= s.length; cut++) {
    assert.deepStrictEqual(readFrames([s.subarray(0, cut), s.subarray(cut)]), expected, `cut ${cut}`);
  }
});

test('frames split at every pair of offsets are reassembled', () => {
  const s = sampleStream();
  for (let a = 0; a <= s.length; a += 3) {
    for (let b = a; b <= s.length; b += 2) {
      assert.deepStrictEqual(readFrames([s.subarray(0, a), s.subarray(a, b), s.subarray(b)]), expected);
    }
  }
});

test('a stream delivered one byte at a time is reassembled', () => {
  const s = sampleStream();
  const chunks: Buffer[] = [];
  for (let i = 0; i < s.length; i++) chunks.push(s.subarray(i, i + 1));
  assert.deepStrictEqual(readFrames(chunks), expected);
});

test('many frames coalesced in one chunk are all delivered in order', () => {
  const one = sampleStream();
  const many = Buffer.concat(Array.from({ length: 200 }, () => one));
  const frames = readFrames([many]);
  assert.equal(frames.length, expected.length * 200);
  for (let i = 0; i < frames.length; i++) assert.deepStrictEqual(frames[i], expected[i % expected.length]);
});

test('a big frame arriving in small chunks is delivered whole', () => {
  const w = new FrameWriter(16);
  const f = w.beginFrame(3, 9);
  const body = Buffer.alloc(300_000, 0);
  for (let i = 0; i < body.length; i++) body[i] = i & 0xff;
  w.bytes(body);
  w.endFrame(f);
  w.heartbeat();
  const s = w.buf.subarray(0, w.pos);
  const chunks: Buffer[] = [];
  for (let i = 0; i < s.length; i += 1000) chunks.push(s.subarray(i, i + 1000));
  const frames = readFrames(chunks);
  assert.equal(frames.length, 2);
  assert.ok(frames[0]!.payload.equals(body));
  assert.equal(frames[1]!.type, 8);
});

test('a frame larger than maxFrameSize is a 501 and stops the reader', () => {
  const s = sampleStream();
  const firstSize = s.readUInt32BE(3) + 8;
  const frames: CollectedFrame[] = [];
  const reader = new FrameReader({ onFrame: (type, channel, buf, a, b) => frames.push({ type, channel, payload: buf.subarray(a, b) }) }, firstSize - 1);
  assert.throws(() => reader.push(s), (e: unknown) => isFrameError(e) && (e as Error).message === `FRAME_ERROR - frame size ${firstSize} larger than negotiated maximum ${firstSize - 1}`);
  assert.equal(reader.stopped, true);
  reader.push(s);
  assert.equal(frames.length, 0);
  // Exactly at the limit is fine.
  assert.equal(readFrames([s], firstSize + 100).length, expected.length);
});

test('the size limit is checked from the header alone, before the body arrives', () => {
  const header = Buffer.from('03000100100000', 'hex'); // type 3, channel 1, 1 MiB payload
  const reader = new FrameReader({ onFrame: () => assert.fail('no frame expected') }, 131072);
  reader.push(header.subarray(0, 4));
  assert.equal(reader.stopped, false);
  assert.throws(() => reader.push(header.subarray(4)), isFrameError);
  assert.equal(reader.stopped, true);
});

test('maxFrameSize can be changed after tune', () => {
  const s = sampleStream();
  const reader = new FrameReader({ onFrame: () => {} }, 4096);
  reader.maxFrameSize = 20;
  assert.throws(() => reader.push(s), isFrameError);
});

test('a bad frame-end octet is a 501', () => {
  const s = Buffer.from(sampleStream());
  const firstEnd = s.readUInt32BE(3) + 7;
  s[firstEnd] = 0xcd;
  for (const chunks of [[s], [s.subarray(0, firstEnd), s.subarray(firstEnd)]]) {
    const reader = new FrameReader({ onFrame: () => assert.fail('no frame expected') }, 0);
    assert.throws(() => chunks.forEach((c) => reader.push(c)), isFrameError);
    assert.equal(reader.stopped, true);
  }
});

test('an unknown frame type is a 501', () => {
  for (const type of [0, 4, 9, 65, 255]) {
    const reader = new FrameReader({ onFrame: () => assert.fail('no frame expected') }, 0);
    const frame = Buffer.from([type, 0, 0, 0, 0, 0, 0, 0xce]);
    assert.throws(() => reader.push(frame), (e: unknown) => isFrameError(e) && (e as Error).message.includes(`${type}`));
  }
  // 'AMQP' protocol header bytes are not a frame.
  const reader = new FrameReader({ onFrame: () => {} }, 0);
  assert.throws(() => reader.push(Buffer.from('AMQP\x00\x00\x09\x01', 'latin1')), isFrameError);
});

test('stop() from inside onFrame halts delivery mid-chunk and ignores later pushes', () => {
  const s = Buffer.concat([sampleStream(), sampleStream()]);
  const seen: number[] = [];
  const sink: FrameSink = {
    onFrame(type) {
      seen.push(type);
      if (seen.length === 2) reader.stop();
    },
  };
  const reader = new FrameReader(sink, 0);
  reader.push(s);
  assert.deepEqual(seen, [1, 2]);
  reader.push(s);
  assert.deepEqual(seen, [1, 2]);
});

test('stop() while a frame was assembled from a partial stops too', () => {
  const s = Buffer.concat([sampleStream(), sampleStream()]);
  const seen: number[] = [];
  const reader = new FrameReader({ onFrame(type) { seen.push(type); reader.stop(); } }, 0);
  reader.push(s.subarray(0, 5));
  reader.push(s.subarray(5));
  assert.deepEqual(seen, [1]);
});

test('an exception thrown by the sink stops the reader', () => {
  const s = sampleStream();
  let calls = 0;
  const reader = new FrameReader({ onFrame() { calls++; throw new ProtocolError(502, 'SYNTAX_ERROR - test'); } }, 0);
  assert.throws(() => reader.push(s), /SYNTAX_ERROR - test/);
  assert.equal(reader.stopped, true);
  reader.push(s);
  assert.equal(calls, 1);
});

test('an empty chunk is harmless', () => {
  const s = sampleStream();
  assert.deepStrictEqual(readFrames([Buffer.alloc(0), s.subarray(0, 3), Buffer.alloc(0), s.subarray(3)]), expected);
});

test('views of delivered frames stay intact after later chunks, however the stream is split', () => {
  const s = Buffer.concat([sampleStream(), sampleStream(), sampleStream()]);
  const want = readFrames([s]).map((f) => Buffer.from(f.payload));
  for (let size = 1; size <= s.length; size += 2) {
    // Chunks are fresh copies, as a socket delivers them; the sink keeps views, not copies.
    const views: Buffer[] = [];
    const reader = new FrameReader({ onFrame: (_t, _c, buf, start, end) => { views.push(buf.subarray(start, end)); } }, 0);
    for (let off = 0; off < s.length; off += size) reader.push(Buffer.from(s.subarray(off, off + size)));
    assert.deepEqual(views, want, `chunk size ${size}`);
  }
});
