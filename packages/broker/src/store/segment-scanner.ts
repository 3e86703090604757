// Walks the records of one segment image held in memory, skipping damaged records. Recovery reads a
// whole segment with a few large reads and hands it here; nothing in this loop does I/O.
import { HEADER_BYTES, intactRecordBytes } from './record-format.js';

export interface DamagedRange {
  /** File offset where the damage starts. */
  offset: number;
  /** Bytes skipped (up to the next intact record). */
  bytes: number;
}

export interface ScanResult {
  /** Offset just past the last intact record before the tail (the file's valid length). */
  validEnd: number;
  /** Bytes after validEnd holding no intact record (a torn write or garbage); 0 when the file ends cleanly. */
  tailBytes: number;
  /** Damaged records in the middle of the segment, each followed by intact records. */
  damaged: DamagedRange[];
  records: number;
}

/** Called per intact record with the type and the payload range [start, end) in `buf`. */
export type RecordVisitor = (type: number, start: number, end: number) => void;

/**
 * Visits every intact record of buf[0, len). After a damaged record the scan resumes at the next
 * intact record: first where the damaged record's own length field points, else the next offset at
 * which an intact record starts. When nothing intact follows, the rest is reported as the tail.
 */
export function scanSegment(buf: Buffer, len: number, visit: RecordVisitor): ScanResult {
  const damaged: DamagedRange[] = [];
  let records = 0;
  let pos = 0;
  while (pos < len) {
    const size = intactRecordBytes(buf, pos, len);
    if (size > 0) {
      visit(buf[pos + 8], pos + HEADER_BYTES, pos + size);
      records++;
      pos += size;
      continue;
    }
    const next = findNextIntact(buf, pos, len);
    if (next < 0) return { validEnd: pos, tailBytes: len - pos, damaged, records };
    damaged.push({ offset: pos, bytes: next - pos });
    pos = next;
  }
  return { validEnd: pos, tailBytes: 0, damaged, records };
}

function findNextIntact(buf: Buffer, pos: number, len: number): number {
  if (len - pos >= 4) {
    const claimed = pos + 8 + buf.readUInt32LE(pos);
    if (claimed < len && intactRecordBytes(buf, claimed, len) > 0) return claimed;
  }
  for (let p = pos + 1; p + HEADER_BYTES <= len; p++) {
    if (intactRecordBytes(buf, p, len) > 0) return p;
  }
  return -1;
}
