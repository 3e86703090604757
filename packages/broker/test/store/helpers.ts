// Shared helpers of the message-store tests: temp directories, a recording logger, sync waits.
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { MessageStore, StoreLogger } from '../../src/store/message-store.js';

export function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'warren-store-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface LogLine {
  level: 'info' | 'warn';
  obj: object;
  msg: string | undefined;
}

export class RecordingLogger implements StoreLogger {
  readonly lines: LogLine[] = [];
  info(obj: object, msg?: string): void {
    this.lines.push({ level: 'info', obj, msg });
  }
  warn(obj: object, msg?: string): void {
    this.lines.push({ level: 'warn', obj, msg });
  }
  warnings(): LogLine[] {
    return this.lines.filter((l) => l.level === 'warn');
  }
}

/** Requests a sync and resolves once everything written so far is durable. */
export function synced(store: MessageStore): Promise<void> {
  const target = store.writeSeq;
  if (store.syncedSeq >= target) return Promise.resolve();
  return new Promise((resolve) => {
    const prev = store.onSynced;
    store.onSynced = (seq) => {
      prev?.(seq);
      if (seq >= target) {
        store.onSynced = prev;
        resolve();
      }
    };
    store.requestSync();
  });
}

export function segmentFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.seg'))
    .sort();
}

export function dirBytes(dir: string): number {
  let n = 0;
  for (const f of segmentFiles(dir)) n += statSync(path.join(dir, f)).size;
  return n;
}

/** Deterministic message body for id-like numbers (content differs per message and size varies). */
export function body(n: number, size = 20 + (n % 97)): Buffer {
  const b = Buffer.alloc(size);
  const head = `message-${n}-`;
  for (let i = 0; i < size; i++) b[i] = head.charCodeAt(i % head.length);
  return b;
}

/** queue key → msgIds in order, from recovered(). */
export function recoveredMap(store: MessageStore): Map<string, number[]> {
  const m = new Map<string, number[]>();
  for (const q of store.recovered()) m.set(q.key, q.entries.map((e) => e.msgId));
  return m;
}

export const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
