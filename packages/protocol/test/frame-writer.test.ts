import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FrameWriter } from '../src/index.js';

test('the buffer grows by doubling and keeps its content', () => {
  const w = new FrameWriter(16);
  for (let i = 0; i < 1000; i++) w.u32(i);
  assert.equal(w.pos, 4000);
  assert.ok(w.buf.length >= 4000 && w.buf.length <= 8192);
  for (let i = 0; i < 1000; i++) assert.equal(w.buf.readUInt32BE(i * 4), i);
  w.reset();
  assert.equal(w.pos, 0);
  assert.equal(new FrameWriter().buf.length, 65536);
});

test('primitive writers produce big-endian bytes', () => {
  const w = new FrameWriter(4);
  w.u8(0x1ff);
  w.u16(0xbeef);
  w.u32(0xdeadbeef);
  w.u64(2 ** 40 + 5);
  w.u64(2n ** 64n - 1n);
  w.u16(-1);
  assert.equal(
    w.buf.subarray(0, w.pos).toString('hex'),
    'ff' + 'beef' + 'deadbeef' + '0000010000000005' + 'ffffffffffffffff' + 'ffff',
  );
});

test('shortstr writes UTF-8 with a length octet and rejects more than 255 bytes', () => {
  const w = new FrameWriter(2);
  w.shortstr('héllo');
  assert.equal(w.buf.subarray(0, w.pos).toString('hex'), '06' + Buffer.from('héllo').toString('hex'));
  w.reset();
  w.shortstr('x'.repeat(255));
  assert.equal(w.pos, 256);
  assert.throws(() => w.shortstr('x'.repeat(256)), RangeError);
  assert.throws(() => w.shortstr('é'.repeat(128)), RangeError); // 256 bytes in 128 chars
  assert.equal(w.pos, 256, 'a rejected shortstr writes nothing');
});

test('longstr takes strings and buffers, bytes copies a range', () => {
  const w = new FrameWriter(2);
  w.longstr('ab');
  w.longstr(Buffer.from([1, 2, 3]));
  w.bytes(Buffer.from('xyz'), 1, 3);
  assert.equal(w.buf.subarray(0, w.pos).toString('hex'), '000000026162' + '00000003010203' + '797a');
});

test('beginFrame/endFrame frame a payload; heartbeat is the 8-byte frame', () => {
  const w = new FrameWriter(8);
  w.u8(0x99); // something already buffered
  const start = w.beginFrame(3, 0x1234);
  assert.equal(start, 1);
  w.bytes(Buffer.from('body'));
  w.endFrame(start);
  w.heartbeat();
  assert.equal(w.buf.subarray(0, w.pos).toString('hex'), '99' + '03' + '1234' + '00000004' + Buffer.from('body').toString('hex') + 'ce' + '08' + '0000' + '00000000' + 'ce');
});
