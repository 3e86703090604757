// The cached short-string decoder and the ASCII writer must give exactly what Buffer's UTF-8 codec gives.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { copyBytes, decodeShortString, FrameWriter, writeShortAscii } from '../src/index.js';

test('decodeShortString equals toString for any bytes, repeated or not, at any offset', () => {
  fc.assert(fc.property(fc.array(fc.uint8Array({ maxLength: 80 }), { minLength: 1, maxLength: 40 }), fc.nat(7), (chunks, pad) => {
    for (let round = 0; round < 2; round++) {
      for (const c of chunks) {
        const buf = Buffer.concat([Buffer.alloc(pad, 0x41), Buffer.from(c), Buffer.alloc(3, 0x42)]);
        assert.equal(decodeShortString(buf, pad, pad + c.length), buf.toString('utf8', pad, pad + c.length));
      }
    }
  }), { numRuns: 300 });
});

test('same-slot strings that differ in one byte are told apart; invalid UTF-8 decodes as toString does', () => {
  // equal length, first, middle and last bytes: the same cache slot
  const a = Buffer.from('key.aXc.z');
  const b = Buffer.from('key.bXc.z');
  for (let i = 0; i < 3; i++) {
    assert.equal(decodeShortString(a, 0, a.length), 'key.aXc.z');
    assert.equal(decodeShortString(b, 0, b.length), 'key.bXc.z');
  }
  const bad = Buffer.from([0x61, 0xff, 0xc3, 0x62]);
  assert.equal(decodeShortString(bad, 0, 4), bad.toString('utf8'));
  assert.equal(decodeShortString(bad, 0, 4), bad.toString('utf8'));
  assert.equal(decodeShortString(bad, 2, 2), '');
  const long = Buffer.from('x'.repeat(200));
  assert.equal(decodeShortString(long, 0, 200), 'x'.repeat(200));
});

test('writeShortAscii writes ASCII up to the limit and declines anything else', () => {
  const buf = Buffer.alloc(100, 0);
  assert.equal(writeShortAscii(buf, 2, 'amq.topic', 64), 9);
  assert.equal(buf.toString('latin1', 2, 11), 'amq.topic');
  assert.equal(writeShortAscii(buf, 0, 'é', 64), -1);
  assert.equal(writeShortAscii(buf, 0, 'a'.repeat(65), 64), -1);
  assert.equal(writeShortAscii(buf, 0, '', 64), 0);
});

test('shortstr encodes any string as length + UTF-8, through either path', () => {
  fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (s) => {
    const n = Buffer.byteLength(s, 'utf8');
    const w = new FrameWriter(16);
    if (n > 255) {
      assert.throws(() => w.shortstr(s), RangeError);
      return;
    }
    w.shortstr(s);
    assert.equal(w.pos, 1 + n);
    assert.equal(w.buf[0], n);
    assert.deepEqual(w.buf.subarray(1, 1 + n), Buffer.from(s, 'utf8'));
  }), { numRuns: 500 });
});

test('copyBytes copies short and long ranges exactly, leaving the rest alone', () => {
  for (const n of [0, 1, 7, 24, 25, 100, 4000]) {
    const src = Buffer.from(Array.from({ length: n + 10 }, (_, i) => (i * 7) & 0xff));
    const dst = Buffer.alloc(n + 20, 0xee);
    copyBytes(src, 5, dst, 3, n);
    assert.deepEqual(dst.subarray(3, 3 + n), src.subarray(5, 5 + n));
    assert.equal(dst.subarray(0, 3).every((b) => b === 0xee), true);
    assert.equal(dst.subarray(3 + n).every((b) => b === 0xee), true);
  }
});
