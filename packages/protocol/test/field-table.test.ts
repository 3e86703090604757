import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  AmqpDecimal,
  AmqpTimestamp,
  decodeFieldValue,
  decodeTable,
  encodeTable,
  fieldValuesEqual,
  FrameWriter,
  ProtocolError,
  Typed,
  type FieldTable,
  type FieldValue,
} from '../src/index.js';
import { fieldValueArb, tableArb } from './helpers.js';

function encoded(t: FieldTable | undefined): Buffer {
  const w = new FrameWriter(8);
  encodeTable(w, t);
  return Buffer.from(w.buf.subarray(0, w.pos));
}

function roundTrip(t: FieldTable): FieldTable {
  const b = encoded(t);
  return decodeTable(b, 0, b.length);
}

function isSyntaxError(e: unknown): boolean {
  return e instanceof ProtocolError && e.code === 502 && e.message.startsWith('SYNTAX_ERROR');
}

/** One value of a given tag, as raw bytes after the tag. */
const tagged = (tag: string, hex: string): Buffer => Buffer.concat([Buffer.from(tag, 'latin1'), Buffer.from(hex, 'hex')]);

test('every type tag decodes to the documented JS value', () => {
  const cases: [Buffer, FieldValue][] = [
    [tagged('t', '01'), true],
    [tagged('t', '00'), false],
    [tagged('b', 'ff'), -1],
    [tagged('B', 'ff'), 255],
    [tagged('s', 'fffe'), -2],
    [tagged('u', 'fffe'), 65534],
    [tagged('I', 'fffffffd'), -3],
    [tagged('i', 'fffffffd'), 4294967293],
    [tagged('l', 'fffffffffffffffc'), -4],
    [tagged('l', '0020000000000001'), 2n ** 53n + 1n],
    [tagged('l', '8000000000000000'), -(2n ** 63n)],
    [tagged('f', '3fc00000'), 1.5],
    [tagged('d', '400921fb54442d18'), Math.PI],
    [tagged('D', '02000004d2'), new AmqpDecimal(2, 1234)],
    [tagged('S', '00000003616263'), 'abc'],
    [tagged('x', '000000020102'), Buffer.from([1, 2])],
    [tagged('A', '0000000a' + '4900000001' + '5300000000'), [1, '']],
    [tagged('T', '000000005f5e1000'), new AmqpTimestamp(1600000000)],
    [tagged('F', '00000007' + '0161' + '7401' + '0162' + '56'), { a: true, b: null }],
    [tagged('V', ''), null],
  ];
  for (const [bytes, expected] of cases) {
    const padded = Buffer.concat([bytes, Buffer.from('ffff', 'hex')]);
    const [value, next] = decodeFieldValue(padded, 0, padded.length);
    assert.deepStrictEqual(value, expected, bytes.toString('hex'));
    assert.equal(next, bytes.length);
  }
});

test('x byte arrays are copies, not views of the frame', () => {
  const b = encoded({ k: Buffer.from([9, 9]) });
  const t = decodeTable(b, 0, b.length);
  b.fill(0);
  assert.deepEqual(t['k'], Buffer.from([9, 9]));
});

test('plain JS values encode with the documented tags', () => {
  const cases: [FieldValue, string][] = [
    ['s', 'S'], [true, 't'], [7, 'I'], [-(2 ** 31), 'I'], [2 ** 31, 'l'], [1.25, 'd'], [5n, 'l'], [Buffer.alloc(1), 'x'],
    [null, 'V'], [[], 'A'], [new AmqpDecimal(1, 5), 'D'], [new AmqpTimestamp(5), 'T'], [{}, 'F'], [2 ** 60, 'd'],
  ];
  for (const [v, tag] of cases) {
    const b = encoded({ k: v });
    assert.equal(String.fromCharCode(b[6]!), tag, `${String(v)}`);
  }
  const withUndefined = encoded({ k: undefined as unknown as FieldValue });
  assert.equal(String.fromCharCode(withUndefined[6]!), 'V');
  const date = encoded({ k: new Date(1_600_000_000_999) as unknown as FieldValue });
  assert.deepStrictEqual(decodeTable(date, 0, date.length), { k: new AmqpTimestamp(1_600_000_000) });
});

test('Typed forces each wire type and decodes to the plain value', () => {
  const table: FieldTable = {
    t: new Typed('t', true), b: new Typed('b', -5), B: new Typed('B', 200), s: new Typed('s', -300), u: new Typed('u', 60000),
    I: new Typed('I', -70000), i: new Typed('i', 4000000000), l: new Typed('l', 5n), f: new Typed('f', 0.5), d: new Typed('d', 3),
    S: new Typed('S', 'str'), x: new Typed('x', Buffer.from('bin')), T: new Typed('T', 1234),
  };
  const b = encoded(table);
  // Tags appear in order after each one-letter key.
  let p = 4;
  for (const key of Object.keys(table)) {
    assert.equal(b[p], 1);
    assert.equal(String.fromCharCode(b[p + 2]!), key);
    const [, next] = decodeFieldValue(b, p + 2, b.length);
    p = next;
  }
  assert.deepStrictEqual(decodeTable(b, 0, b.length), {
    t: true, b: -5, B: 200, s: -300, u: 60000, I: -70000, i: 4000000000, l: 5, f: 0.5, d: 3, S: 'str', x: Buffer.from('bin'),
    T: new AmqpTimestamp(1234),
  });
});

test('random tables round-trip, including nested arrays and tables', () => {
  fc.assert(fc.property(tableArb, (t) => assert.deepStrictEqual(roundTrip(t), t)), { numRuns: 1000 });
});

test('deeply nested but legal structures round-trip', () => {
  let t: FieldTable = { leaf: 'x' };
  for (let i = 0; i < 30; i++) t = { arr: [t, i], n: i };
  assert.deepStrictEqual(roundTrip(t), t);
});

test('nesting deeper than 64 is a syntax error', () => {
  // 70 nested arrays built by hand.
  let inner = Buffer.alloc(0);
  for (let i = 0; i < 70; i++) {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(inner.length);
    inner = Buffer.concat([Buffer.from('A'), len, inner]);
  }
  const body = Buffer.concat([Buffer.from([1]), Buffer.from('k'), inner]);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  const table = Buffer.concat([len, body]);
  assert.throws(() => decodeTable(table, 0, table.length), isSyntaxError);
});

test('unknown tags and truncation are syntax errors, and end is respected', () => {
  const ok = encoded({ a: 'hello', b: [1, 2], c: { d: 1.5 } });
  for (let end = 0; end < ok.length; end++) {
    assert.throws(() => decodeTable(ok, 0, end), isSyntaxError, `end ${end}`);
  }
  const bad = Buffer.from(ok);
  bad[6] = 0x5a; // 'Z'
  assert.throws(() => decodeTable(bad, 0, bad.length), isSyntaxError);
  // A table length pointing beyond end.
  const long = Buffer.from('000000ff', 'hex');
  assert.throws(() => decodeTable(long, 0, long.length), isSyntaxError);
});

test('a __proto__ key is data, not a prototype change', () => {
  const b = Buffer.concat([Buffer.from('0000000f', 'hex'), Buffer.from([9]), Buffer.from('__proto__'), Buffer.from('4900000007', 'hex')]);
  const t = decodeTable(b, 0, b.length);
  assert.equal(Object.getPrototypeOf(t), Object.prototype);
  assert.deepEqual(Object.keys(t), ['__proto__']);
  assert.equal(Object.getOwnPropertyDescriptor(t, '__proto__')!.value, 7);
  assert.deepStrictEqual(roundTrip(t), t);
});

test('an absent table encodes as an empty one', () => {
  assert.equal(encoded(undefined).toString('hex'), '00000000');
});

test('fieldValuesEqual compares by value regardless of width', () => {
  assert.ok(fieldValuesEqual(1, new Typed('b', 1)));
  assert.ok(fieldValuesEqual(new Typed('l', 5n), 5));
  assert.ok(fieldValuesEqual(5n, 5));
  assert.ok(!fieldValuesEqual(5n, 5.5));
  assert.ok(fieldValuesEqual(NaN, NaN));
  assert.ok(!fieldValuesEqual(1, '1'));
  assert.ok(!fieldValuesEqual(1, true));
  assert.ok(fieldValuesEqual(null, null));
  assert.ok(!fieldValuesEqual(null, 0));
  assert.ok(fieldValuesEqual(Buffer.from('ab'), Buffer.from('ab')));
  assert.ok(!fieldValuesEqual(Buffer.from('ab'), 'ab'));
  assert.ok(fieldValuesEqual([1, { a: [2] }], [new Typed('s', 1), { a: [2n] }]));
  assert.ok(!fieldValuesEqual([1, 2], [1]));
  assert.ok(!fieldValuesEqual({ a: 1 }, { a: 1, b: 2 }));
  assert.ok(!fieldValuesEqual({ a: 1, c: 2 }, { a: 1, b: 2 }));
  assert.ok(!fieldValuesEqual([], {}));
  assert.ok(fieldValuesEqual(new AmqpDecimal(2, 5), new AmqpDecimal(2, 5)));
  assert.ok(!fieldValuesEqual(new AmqpDecimal(2, 5), new AmqpDecimal(1, 5)));
  assert.ok(fieldValuesEqual(new AmqpTimestamp(10), new Date(10_500) as unknown as FieldValue));
  assert.ok(!fieldValuesEqual(new AmqpTimestamp(10), 10));
  assert.ok(fieldValuesEqual({ 'x-max-length': 10 }, { 'x-max-length': new Typed('l', 10) }));
});

test('fieldValuesEqual holds between any value and its decoded copy', () => {
  fc.assert(
    fc.property(fieldValueArb, (v) => {
      const b = encoded({ v });
      const back = decodeTable(b, 0, b.length)['v']!;
      assert.ok(fieldValuesEqual(v, back));
      assert.ok(fieldValuesEqual(back, v));
    }),
    { numRuns: 500 },
  );
});
