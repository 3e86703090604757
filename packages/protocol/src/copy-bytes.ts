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
