// List endpoints: RabbitMQ's `columns`, `sort`, `sort_reverse` and pagination (`page`,
// `page_size`, `name`, `use_regex`) query parameters.
import { badRequest, HttpError } from './http-error.js';

export type Row = Record<string, unknown>;
export type Query = Record<string, string | undefined>;

const MAX_PAGE_SIZE = 500;
const DEFAULT_PAGE_SIZE = 100;

/** A possibly nested field ("message_stats.publish_details.rate"). */
function pick(row: Row, path: string): unknown {
  let v: unknown = row;
  for (const part of path.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Row)[part];
  }
  return v;
}

function compare(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === undefined || a === null) return -1;
  if (b === undefined || b === null) return 1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const sa = typeof a === 'string' ? a : JSON.stringify(a);
  const sb = typeof b === 'string' ? b : JSON.stringify(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

function sortRows(rows: Row[], keys: string[], reverse: boolean): void {
  rows.sort((x, y) => {
    for (const k of keys) {
      const c = compare(pick(x, k), pick(y, k));
      if (c !== 0) return reverse ? -c : c;
    }
    return 0;
  });
}

/** Keeps only the requested columns (nested ones keep their path). */
function project(row: Row, columns: string[]): Row {
  const out: Row = {};
  for (const c of columns) {
    const parts = c.split('.');
    const v = pick(row, c);
    if (v === undefined) continue;
    let target = out;
    for (let i = 0; i < parts.length - 1; i++) {
      const p = parts[i]!;
      if (typeof target[p] !== 'object' || target[p] === null) target[p] = {};
      target = target[p] as Row;
    }
    target[parts[parts.length - 1]!] = v;
  }
  return out;
}

function positiveInt(q: Query, key: string, fallback: number): number {
  const raw = q[key];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) throw badRequest(`${key} must be a positive integer, got '${raw}'`);
  return Number(raw);
}

/**
 * Applies the list parameters to `rows`. `defaultSort` is the order RabbitMQ uses when no
 * `sort` is given. Returns a plain array, or RabbitMQ's paged object when `page` is given.
 */
export function listResponse(input: readonly object[], q: Query, defaultSort: string[] = ['vhost', 'name']): unknown {
  const rows = input as Row[];
  const sort = q['sort'];
  const reverse = q['sort_reverse'] === 'true';
  const keys = sort !== undefined && sort !== '' ? [sort] : defaultSort.filter((k) => rows.length === 0 || k in rows[0]!);
  sortRows(rows, keys, reverse);
  const columns = q['columns'] !== undefined && q['columns'] !== '' ? q['columns'].split(',').map((c) => c.trim()).filter((c) => c !== '') : undefined;

  if (q['page'] === undefined) {
    return columns ? rows.map((r) => project(r, columns)) : rows;
  }
  const page = positiveInt(q, 'page', 1);
  const pageSize = positiveInt(q, 'page_size', DEFAULT_PAGE_SIZE);
  if (pageSize > MAX_PAGE_SIZE) throw badRequest(`page_size must be at most ${MAX_PAGE_SIZE}`);
  let filtered = rows;
  const name = q['name'];
  if (name !== undefined && name !== '') {
    let test: (s: string) => boolean;
    if (q['use_regex'] === 'true') {
      let re: RegExp;
      try {
        re = new RegExp(name);
      } catch (err) {
        throw badRequest(`invalid regular expression: ${(err as Error).message}`);
      }
      test = (s) => re.test(s);
    } else {
      const needle = name.toLowerCase();
      test = (s) => s.toLowerCase().includes(needle);
    }
    filtered = rows.filter((r) => typeof r['name'] === 'string' && test(r['name']));
  }
  const pageCount = Math.max(1, Math.ceil(filtered.length / pageSize));
  if (page > pageCount) {
    throw new HttpError(400, 'page_out_of_range', `Page out of range, page: ${page} page size: ${pageSize}, len: ${filtered.length}`);
  }
  const items = filtered.slice((page - 1) * pageSize, page * pageSize);
  return {
    filtered_count: filtered.length,
    item_count: items.length,
    items: columns ? items.map((r) => project(r, columns)) : items,
    page,
    page_count: pageCount,
    page_size: pageSize,
    total_count: rows.length,
  };
}
