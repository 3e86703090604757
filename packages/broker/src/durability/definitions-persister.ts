import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { parseDefinitions, type Definitions } from '../auth/definitions.js';
import { writeFileAtomic, writeFileAtomicSync } from './atomic-file.js';

/**
 * Keeps `definitions.json` in the data directory in step with the durable topology. Changes
 * mark it dirty; one write runs at a time and a change during a write schedules exactly one
 * more (so 10,000 declares cost a handful of writes, not 10,000).
 */
export class DefinitionsPersister {
  readonly file: string;
  private dirty = false;
  private writing = false;
  private waiters: (() => void)[] = [];

  constructor(dataDir: string, private readonly snapshot: () => Definitions, private readonly logger: Logger) {
    this.file = path.join(dataDir, 'definitions.json');
  }

  /** The last saved definitions, if any. */
  load(): Definitions | undefined {
    if (!existsSync(this.file)) return undefined;
    return parseDefinitions(JSON.parse(readFileSync(this.file, 'utf8')));
  }

  /** Whether a change is not yet on disk. */
  get pending(): boolean { return this.dirty || this.writing; }

  markDirty(): void {
    this.dirty = true;
    if (!this.writing) setImmediate(() => this.write());
  }

  /** Calls `fn` once every change made so far is on disk. */
  afterWrite(fn: () => void): void {
    if (!this.pending) fn();
    else this.waiters.push(fn);
  }

  private write(): void {
    if (this.writing || !this.dirty) return;
    this.dirty = false;
    this.writing = true;
    const json = JSON.stringify(this.snapshot(), null, 1);
    writeFileAtomic(this.file, json).then(
      () => this.written(),
      (err: unknown) => {
        this.logger.error({ err }, 'could not write definitions; retrying');
        this.dirty = true;
        this.written();
      },
    );
  }

  private written(): void {
    this.writing = false;
    if (this.dirty) {
      this.write();
      return;
    }
    const w = this.waiters;
    this.waiters = [];
    for (const fn of w) fn();
  }

  /** Shutdown: writes synchronously. */
  flushSync(): void {
    if (!this.dirty && !this.writing) return;
    writeFileAtomicSync(this.file, JSON.stringify(this.snapshot(), null, 1));
    this.dirty = false;
  }
}
