// Output of `warren ctl`: aligned tables for people, JSON for scripts.

export type Cell = string | number | boolean | null | undefined | object;

export function cellText(v: Cell): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** An aligned table with a header row (no trailing spaces). */
export function formatTable(columns: string[], rows: Cell[][]): string {
  const text = rows.map((r) => r.map(cellText));
  const widths = columns.map((c, i) => Math.max(c.length, ...text.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(columns), ...text.map(line)].join('\n') + '\n';
}

/** A nested field of an API object ("message_stats.publish"). */
export function field(obj: unknown, path: string): Cell {
  let v: unknown = obj;
  for (const part of path.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v as Cell;
}
