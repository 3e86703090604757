// Byte helpers for the hot paths. Buffer's own readUInt32BE / writeUInt32BE / copy validate their
// arguments on every call; callers here have already ensured the bounds.

/** Below this many bytes a JS loop beats Buffer.copy (whose call overhead is ~60 ns). */
const LOOP_MAX = 24;

/** Copies `n` bytes from `src[srcStart]` to `dst[dstStart]`, by loop when few, natively otherwise. */
export function copyBytes(src: Buffer, srcStart: number, dst: Buffer, dstStart: number, n: number): void {
  if (n > LOOP_MAX) {
    src.copy(dst, dstStart, srcStart, srcStart + n);
    return;
  }
  for (let i = 0; i < n; i++) dst[dstStart + i] = src[srcStart + i]!;
}

/** Big-endian unsigned 32-bit read at `p` (the caller checked that 4 bytes are there). */
export function readU32(b: Buffer, p: number): number {
  return ((b[p]! << 24) >>> 0) + ((b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!);
}

/** Big-endian unsigned 32-bit write at `p` (the caller ensured room; `v` is taken modulo 2^32). */
export function writeU32(b: Buffer, p: number, v: number): void {
  b[p] = v >>> 24;
  b[p + 1] = (v >>> 16) & 0xff;
  b[p + 2] = (v >>> 8) & 0xff;
  b[p + 3] = v & 0xff;
}
