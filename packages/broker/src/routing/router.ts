// The routing contract shared by every exchange type. Routers are pure data structures: the broker
// owns one per exchange, calls `route` per publish, and does exchange-to-exchange recursion,
// de-duplication and caching itself.
import type { FieldTable } from '@warren/protocol';
import { DirectRouter } from './direct-router.js';
import { FanoutRouter } from './fanout-router.js';
import { HeadersRouter } from './headers-router.js';
import { TopicRouter } from './topic-router.js';

export type RouterType = 'direct' | 'fanout' | 'topic' | 'headers';

export interface Router<T> {
  /** Adds a binding; returns false if an identical binding (same key and equal args) already exists. */
  bind(bindingKey: string, args: FieldTable, target: T): boolean;
  /** Removes a binding; returns false if none matched (key + equal args + target). */
  unbind(bindingKey: string, args: FieldTable, target: T): boolean;
  /** Removes every binding to target (queue/exchange deleted); returns how many were removed. */
  unbindAll(target: T): number;
  /** Pushes every matching target onto out (duplicates allowed; the caller de-duplicates). */
  route(routingKey: string, headers: FieldTable | undefined, out: T[]): void;
  /** Whether routing depends on headers (only the headers router), so the broker knows whether to decode them. */
  readonly usesHeaders: boolean;
  readonly bindingCount: number;
  /** Every binding, for listing and definitions export. */
  bindings(): Iterable<{ key: string; args: FieldTable; target: T }>;
  hasBindingsTo(target: T): boolean;
}

export function createRouter<T>(type: RouterType): Router<T> {
  switch (type) {
    case 'direct':
      return new DirectRouter<T>();
    case 'fanout':
      return new FanoutRouter<T>();
    case 'topic':
      return new TopicRouter<T>();
    case 'headers':
      return new HeadersRouter<T>();
    default:
      throw new TypeError(`unknown exchange type: ${String(type)}`);
  }
}
