import assert from 'node:assert/strict';
// Small helpers shared by the routing tests.
import type { FieldTable } from '@warren/protocol';
import type { Router } from '../../src/routing/router.js';

/** Everything route() pushed, sorted, so tests can compare multisets. */
export function routed<T extends string>(router: Router<T>, key: string, headers?: FieldTable): T[] {
  const out: T[] = [];
  router.route(key, headers, out);
  return out.sort();
}

/** The distinct targets route() pushed, sorted (what the broker delivers to after de-duplication). */
export function routedSet<T extends string>(router: Router<T>, key: string, headers?: FieldTable): T[] {
  return [...new Set(routed(router, key, headers))].sort();
}

/** Bindings as sortable "key|args|target" strings. */
export function listed<T extends string>(router: Router<T>): string[] {
  return [...router.bindings()]
    .map((b) => `${b.key}|${JSON.stringify(b.args)}|${b.target}`)
    .sort();
}

/** Asserts the exact multiset of targets route() pushes, in any order. */
export function assertRoutes<T extends string>(
  router: Router<T>,
  key: string,
  expected: readonly T[],
  headers?: FieldTable,
): void {
  assert.deepEqual(routed(router, key, headers), [...expected].sort(), `routing key ${JSON.stringify(key)}`);
}
