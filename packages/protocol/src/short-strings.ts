/**
 * Short strings that repeat on every message (routing keys, exchange names, consumer tags,
 * content types) decoded without a native call or a new string each time: a small
 * direct-mapped cache keyed by the bytes themselves. A miss costs one toString plus copying at
 * most MAX_CACHED bytes into the slot; longer strings bypass the cache.
 */
const SLOTS = 256;
const MAX_CACHED = 64;
const slotBytes = new Uint8Array(SLOTS * MAX_CACHED);
const slotLength = new Int16Array(SLOTS).fill(-1);
const slotString: string[] = new Array<string>(SLOTS).fill('');

/** UTF-8 decodes `buf[start, end)`, returning the cached string when the same bytes were seen. */
export function decodeShortString(buf: Buffer, start: number, end: number): string {
  const len = end - start;
  if (len <= 0) return '';
  if (len > MAX_CACHED) return buf.toString('utf8', start, end);
  const slot = (len * 61 + buf[start]! * 31 + buf[start + (len >> 1)]! * 7 + buf[end - 1]!) & (SLOTS - 1);
  const base = slot * MAX_CACHED;
  if (slotLength[slot] === len) {
    let i = 0;
    while (i < len && slotBytes[base + i] === buf[start + i]) i++;
    if (i === len) return slotString[slot]!;
  }
  const s = buf.toString('utf8', start, end);
  for (let i = 0; i < len; i++) slotBytes[base + i] = buf[start + i]!;
  slotLength[slot] = len;
  slotString[slot] = s;
  return s;
}

/**
 * Writes `s` at `buf[pos]` when it is ASCII and at most `max` characters (a JS loop beats the
 * native UTF-8 encoder for short strings); returns the byte count, or -1 when the caller must
 * encode it as UTF-8 itself. The caller ensures room for s.length bytes.
 */
export function writeShortAscii(buf: Buffer, pos: number, s: string, max: number): number {
  const len = s.length;
  if (len > max) return -1;
  for (let i = 0; i < len; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) return -1;
    buf[pos + i] = c;
  }
  return len;
}
