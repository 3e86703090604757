import type { FieldTable } from '@warren/protocol';
import type { Queue } from '../queue/queue.js';
import type { ExchangeCounters } from '../stats/counters.js';
import { createRouter, type Router, type RouterType } from '../routing/router.js';

export type ExchangeType = RouterType | 'x-delayed-message';
export const EXCHANGE_TYPES: readonly ExchangeType[] = ['direct', 'fanout', 'topic', 'headers', 'x-delayed-message'];
export const ROUTER_TYPES: readonly RouterType[] = ['direct', 'fanout', 'topic', 'headers'];

/** Where a binding leads: a queue or (exchange-to-exchange binding) another exchange. */
export type BindingDestination = Queue | Exchange;

export class Exchange {
  readonly router: Router<BindingDestination>;
  /** routing key → final de-duplicated queue list, valid while cacheVersion matches the vhost's. */
  readonly routeCache = new Map<string, Queue[]>();
  cacheVersion = -1;
  /** Marks the exchange as visited during one routing pass (cycle protection). */
  routeMark = 0;
  /** How many bindings name this exchange as their destination (exchange-to-exchange). */
  inboundBindings = 0;
  deleted = false;
  /** Policy in force and the alternate exchange it sets (the argument wins over it). */
  policyName: string | undefined;
  policyAlternateExchange: string | undefined;
  /** Message counters for the management API; undefined when the broker runs without stats. */
  stats: ExchangeCounters | undefined;

  constructor(
    readonly name: string,
    readonly vhost: string,
    readonly type: ExchangeType,
    readonly durable: boolean,
    readonly autoDelete: boolean,
    readonly internal: boolean,
    readonly args: FieldTable,
    /** The default exchange ("") routes by queue name and holds no explicit bindings. */
    readonly isDefault = false,
  ) {
    this.delayedType = type === 'x-delayed-message' ? delayedTypeOf(args) : undefined;
    this.router = createRouter<BindingDestination>(this.delayedType ?? (type as RouterType));
  }

  /** For x-delayed-message exchanges: the type that routes messages once their delay is over. */
  readonly delayedType: RouterType | undefined;

  /** Name of the alternate exchange: the `alternate-exchange` argument, else the policy's. */
  get alternateExchange(): string | undefined {
    const ae = this.args['alternate-exchange'];
    if (typeof ae === 'string') return ae;
    if (Buffer.isBuffer(ae)) return ae.toString('utf8');
    return this.policyAlternateExchange;
  }
}

/** The x-delayed-type argument when it names a routing exchange type (checked at declare). */
export function delayedTypeOf(args: FieldTable): RouterType | undefined {
  const v = args['x-delayed-type'];
  const t = Buffer.isBuffer(v) ? v.toString('utf8') : v;
  return typeof t === 'string' && (ROUTER_TYPES as readonly string[]).includes(t) ? (t as RouterType) : undefined;
}
