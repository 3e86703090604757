// On-disk record format of the message store's segment files.
//
// A segment file is a sequence of records, all little-endian:
//
//   [u32 len][u32 crc][u8 type][payload: len - 1 bytes]
//
// `len` counts the type byte and the payload; `crc` is the CRC-32 of those same `len` bytes. A record
// whose length is implausible for its type, that runs past the end of the file, or whose CRC does not
// match is damaged. Message ids are u64 stored as two u32 halves (lo, hi); `qid` is a per-segment queue
// number bound to a queue key by a QUEUE record earlier in the same segment (so each segment is
// self-describing and any older segment can be deleted).
//
//   SEGMENT (0)  [u32 magic 'WRSM'][u32 version][u64 nextMsgId]   first record of every segment
//   MESSAGE (1)  [u64 msgId][message bytes]                        stored once per message
//   QUEUE   (2)  [u32 qid][queue key, UTF-8]
//   ENQUEUE (3)  [u32 qid][u64 msgId]                              queue qid holds msgId
//   DELIVER (4)  [u32 qid][u64 msgId]                              it was delivered at least once
//   REMOVE  (5)  [u32 qid][u64 msgId]                              ack / drop / expiry / purge
//   DROPQ   (6)  [u32 qid]                                         every entry of the queue removed
//   DCOUNT  (8)  [u32 qid][u64 msgId][u32 count]                   delivered, and count failed attempts
//                (x-delivery-count) so far; replaces the entry's earlier DELIVER / DCOUNT
//   MESSAGE_AT (7) [u64 msgId][u64 arrival, ms since epoch][message bytes]   a MESSAGE with its arrival
//                time, so message TTLs keep counting from the original arrival after a restart
import { crc32 } from './crc32.js';

export const HEADER_BYTES = 9;
export const REC_SEGMENT = 0;
export const REC_MESSAGE = 1;
export const REC_QUEUE = 2;
export const REC_ENQUEUE = 3;
export const REC_DELIVER = 4;
export const REC_REMOVE = 5;
export const REC_DROP_QUEUE = 6;
export const REC_MESSAGE_AT = 7;
export const REC_DELIVERY_COUNT = 8;

export const SEGMENT_MAGIC = 0x4d535257; // 'WRSM' read as little-endian u32
export const FORMAT_VERSION = 1;

/** Whole-record sizes of the fixed-size records. */
export const SEGMENT_RECORD_BYTES = HEADER_BYTES + 16;
export const ENTRY_RECORD_BYTES = HEADER_BYTES + 12;
export const COUNT_RECORD_BYTES = HEADER_BYTES + 16;
export const DROP_QUEUE_RECORD_BYTES = HEADER_BYTES + 4;
export const MESSAGE_HEADER_BYTES = HEADER_BYTES + 8;
export const MESSAGE_AT_HEADER_BYTES = HEADER_BYTES + 16;
export const QUEUE_RECORD_HEADER_BYTES = HEADER_BYTES + 4;

/** Upper bound of `len` accepted when scanning (a message is far smaller; guards against garbage). */
export const MAX_RECORD_LEN = 0x7fff_ffff;

const TWO_32 = 4294967296;

export function writeU64(buf: Buffer, pos: number, value: number): void {
  buf.writeUInt32LE(value >>> 0, pos);
  buf.writeUInt32LE(Math.floor(value / TWO_32), pos + 4);
}

export function readU64(buf: Buffer, pos: number): number {
  return buf.readUInt32LE(pos) + buf.readUInt32LE(pos + 4) * TWO_32;
}

/** Whether `len` (type + payload bytes) is a possible length for a record of `type`. */
function plausible(type: number, len: number): boolean {
  switch (type) {
    case REC_SEGMENT: return len === 17;
    case REC_MESSAGE: return len >= 9 && len <= MAX_RECORD_LEN;
    case REC_MESSAGE_AT: return len >= 17 && len <= MAX_RECORD_LEN;
    case REC_QUEUE: return len >= 5 && len <= 1 + 4 + 65536;
    case REC_ENQUEUE:
    case REC_DELIVER:
    case REC_REMOVE: return len === 13;
    case REC_DROP_QUEUE: return len === 5;
    case REC_DELIVERY_COUNT: return len === 17;
    default: return false;
  }
}

/**
 * Size of the intact record starting at buf[pos] (header included), or -1 when the bytes at pos are not
 * a complete record with a matching CRC before `end`.
 */
export function intactRecordBytes(buf: Buffer, pos: number, end: number): number {
  if (end - pos < HEADER_BYTES) return -1;
  const len = buf.readUInt32LE(pos);
  if (!plausible(buf[pos + 8], len) || len > end - pos - 8) return -1;
  if (crc32(buf, pos + 8, pos + 8 + len) !== buf.readUInt32LE(pos + 4)) return -1;
  return 8 + len;
}
