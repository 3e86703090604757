import { Buffer } from 'node:buffer';
import type { FieldTable, FieldValue } from '@warren/protocol';
import { preconditionFailed, type AmqpError } from '../errors.js';
import { describeQueue } from '../util/names.js';

export type OverflowMode = 'drop-head' | 'reject-publish' | 'reject-publish-dlx';

/** The queue behaviour selected by its x- arguments, validated once at declare time. */
export interface QueueSettings {
  messageTtl?: number;
  expires?: number;
  maxLength?: number;
  maxLengthBytes?: number;
  overflow: OverflowMode;
  deadLetterExchange?: string;
  deadLetterRoutingKey?: string;
  maxPriority?: number;
  singleActiveConsumer: boolean;
  queueType: 'classic' | 'quorum';
  /** Requeues allowed before a message is dead-lettered with reason delivery_limit; -1 = unlimited. */
  deliveryLimit?: number;
  /** Acknowledgement timeout for this queue's consumers (x-consumer-timeout / consumer-timeout). */
  consumerTimeout?: number;
}

/** RabbitMQ's names for a value's AMQP type, used in its error texts. */
function typeName(v: FieldValue): string {
  if (typeof v === 'string' || Buffer.isBuffer(v)) return 'longstr';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'long' : 'double';
  if (typeof v === 'bigint') return 'long';
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'void';
  return 'table';
}

class ArgReader {
  constructor(private readonly args: FieldTable, private readonly where: string) {}

  private fail(name: string, why: string): AmqpError {
    return preconditionFailed(`invalid arg '${name}' for ${this.where}: ${why}`);
  }

  int(name: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
    const v = this.args[name];
    if (v === undefined) return undefined;
    const n = typeof v === 'bigint' ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isInteger(n)) throw this.fail(name, `{unacceptable_type,${typeName(v)}}`);
    if (n < 0 && min >= 0) throw this.fail(name, `{value_negative,${n}}`);
    if (n < min) throw this.fail(name, `{value_zero,${n}}`);
    if (n > max) throw this.fail(name, `{value_too_large,${n},${max}}`);
    return n;
  }

  str(name: string): string | undefined {
    const v = this.args[name];
    if (v === undefined) return undefined;
    if (typeof v === 'string') return v;
    if (Buffer.isBuffer(v)) return v.toString('utf8');
    throw this.fail(name, `{unacceptable_type,${typeName(v)}}`);
  }

  bool(name: string): boolean | undefined {
    const v = this.args[name];
    if (v === undefined) return undefined;
    if (typeof v !== 'boolean') throw this.fail(name, `{unacceptable_type,${typeName(v)}}`);
    return v;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], why: string): T | undefined {
    const s = this.str(name);
    if (s === undefined) return undefined;
    if (!(allowed as readonly string[]).includes(s)) throw this.fail(name, `{${why},<<"${s}">>}`);
    return s as T;
  }
}

/** Arguments Warren accepts and validates like RabbitMQ but does not act on (no settings). */
function checkUnusedArgs(r: ArgReader): void {
  r.oneOf('x-queue-mode', ['default', 'lazy'] as const, 'unknown_queue_mode');
  r.int('x-max-in-memory-length', 0);
  r.int('x-max-in-memory-bytes', 0);
  r.int('x-quorum-initial-group-size', 1);
}

/** Validates a queue's x- arguments; throws 406 naming the argument, as RabbitMQ does. */
export function parseQueueArguments(args: FieldTable, name: string, vhost: string): QueueSettings {
  const r = new ArgReader(args, describeQueue(name, vhost));
  const dlrk = r.str('x-dead-letter-routing-key');
  const dlx = r.str('x-dead-letter-exchange');
  if (dlrk !== undefined && dlx === undefined) {
    throw preconditionFailed(`invalid arg 'x-dead-letter-routing-key' for ${describeQueue(name, vhost)}: routing_key_but_no_dlx_defined`);
  }
  if (r.str('x-queue-type') === 'stream') {
    throw preconditionFailed(`invalid arg 'x-queue-type' for ${describeQueue(name, vhost)}: stream queues are not supported by this broker (use 'classic' or 'quorum')`);
  }
  checkUnusedArgs(r);
  const queueType = r.oneOf('x-queue-type', ['classic', 'quorum'] as const, 'unsupported_queue_type') ?? 'classic';
  return {
    messageTtl: r.int('x-message-ttl', 0, 0xffffffff),
    expires: r.int('x-expires', 1, 0xffffffff),
    maxLength: r.int('x-max-length', 0),
    maxLengthBytes: r.int('x-max-length-bytes', 0),
    overflow: r.oneOf('x-overflow', ['drop-head', 'reject-publish', 'reject-publish-dlx'] as const, 'unknown_overflow_type') ?? 'drop-head',
    deadLetterExchange: dlx,
    deadLetterRoutingKey: dlrk,
    maxPriority: r.int('x-max-priority', 0, 255),
    singleActiveConsumer: r.bool('x-single-active-consumer') ?? false,
    queueType,
    // -1 lifts the limit (RabbitMQ 4.0: quorum queues otherwise default to 20).
    deliveryLimit: args['x-delivery-limit'] === -1 ? -1 : r.int('x-delivery-limit', 0),
    consumerTimeout: r.int('x-consumer-timeout', 0, 0xffffffff),
  };
}

/** Arguments RabbitMQ compares when a queue is redeclared (others may differ freely). */
export const EQUIVALENCE_CHECKED_QUEUE_ARGS = [
  'x-dead-letter-exchange', 'x-dead-letter-routing-key', 'x-expires', 'x-max-length', 'x-max-length-bytes',
  'x-max-priority', 'x-message-ttl', 'x-overflow', 'x-queue-type', 'x-single-active-consumer',
  'x-delivery-limit', 'x-consumer-timeout', 'x-queue-mode', 'x-queue-master-locator', 'x-max-in-memory-length',
] as const;
