// CRC-32 (IEEE 802.3, the zlib/gzip polynomial) for record checksums. zlib.crc32 is native and fast but
// only exists from Node 20.15 / 22.2; the table-driven version is the fallback and is also used for the
// tiny control records, where a native call plus a subarray would cost more than the loop.
import * as zlib from 'node:zlib';

const TABLE = buildTable();

function buildTable(): Int32Array {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
}

/** Table-driven CRC-32 of buf[start, end), continuing from `init` (the CRC of the preceding bytes). */
export function crc32Table(buf: Uint8Array, start: number, end: number, init = 0): number {
  let c = ~init;
  for (let i = start; i < end; i++) c = TABLE[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

type NativeCrc32 = (data: Uint8Array, value?: number) => number;
const native: NativeCrc32 | undefined = (zlib as unknown as { crc32?: NativeCrc32 }).crc32;

/** Below this many bytes the table loop beats a native call. */
const NATIVE_MIN_BYTES = 64;

/** True when zlib.crc32 is available (informational; tests compare both implementations). */
export const hasNativeCrc32 = typeof native === 'function';

/** CRC-32 of buf[start, end), continuing from `init`; same result as zlib's crc32(data, init). */
export function crc32(buf: Uint8Array, start = 0, end = buf.length, init = 0): number {
  if (native !== undefined && end - start >= NATIVE_MIN_BYTES) {
    return native(start === 0 && end === buf.length ? buf : buf.subarray(start, end), init);
  }
  return crc32Table(buf, start, end, init);
}
