// One segment file of the message store and the bookkeeping that decides when it may be deleted.
import path from 'node:path';

const NAME_RE = /^(\d{16})\.seg$/;

export function segmentFileName(id: number): string {
  return `${String(id).padStart(16, '0')}.seg`;
}

/** Segment id of a file name, or -1 when the name is not a segment's. */
export function parseSegmentFileName(name: string): number {
  const m = NAME_RE.exec(name);
  return m === null ? -1 : Number(m[1]);
}

export class Segment {
  readonly path: string;
  /** Open descriptor (read-write for segments written by this process, read-only once opened for reads); -1 = closed. */
  fd = -1;
  /** Bytes appended, pending writes included. */
  size = 0;
  /** Bytes whose write completed (readable from the file). */
  written = 0;
  /**
   * Live records: live messages, live queue entries, delivery marks of live entries, plus tombstones
   * (REMOVE / DROPQ records) that still cancel an entry in an older segment that exists.
   */
  live = 0;
  /** Newer segments holding tombstones for this segment's entries → how many; released when this one is unlinked. */
  tombstonesIn: Map<Segment, number> | undefined;
  /** Set when dead: unlink once syncedSeq reaches deathSeq (the records that killed it are durable). */
  dying = false;
  deathSeq = 0;
  /** Operation stamp, so an operation counts one tombstone per referenced segment. */
  stamp = 0;

  constructor(
    readonly id: number,
    /** Small reusable number used to refer to the segment in packed index words. */
    readonly slot: number,
    dir: string,
  ) {
    this.path = path.join(dir, segmentFileName(id));
  }

  /** Notes that `holder` has a tombstone cancelling an entry of this segment. */
  addTombstone(holder: Segment): void {
    this.tombstonesIn ??= new Map();
    this.tombstonesIn.set(holder, (this.tombstonesIn.get(holder) ?? 0) + 1);
    holder.live++;
  }
}
