// CRC-32: the table fallback agrees with the known check value and with zlib, including continuation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as zlib from 'node:zlib';
import { crc32, crc32Table } from '../../src/store/crc32.js';

test('table CRC-32 gives the standard check value and matches zlib over random data', () => {
  const check = Buffer.from('123456789');
  assert.equal(crc32Table(check, 0, check.length), 0xcbf43926);
  assert.equal(crc32(check), 0xcbf43926);
  const native = (zlib as unknown as { crc32?: (d: Uint8Array, v?: number) => number }).crc32;
  for (const size of [0, 1, 13, 63, 64, 65, 1000, 70_000]) {
    const data = randomBytes(size);
    const whole = crc32Table(data, 0, size);
    assert.equal(crc32(data), whole, `size ${size}`);
    if (native !== undefined) assert.equal(native(data), whole);
    // Continuation: crc(a ++ b) == crc(b, crc(a)).
    const cut = Math.floor(size / 3);
    assert.equal(crc32(data, cut, size, crc32Table(data, 0, cut)), whole);
  }
});
