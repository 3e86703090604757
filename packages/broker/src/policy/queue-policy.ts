import type { FieldTable } from '@warren/protocol';
import type { OverflowMode, QueueSettings } from '../queue/queue-arguments.js';

/** The lower of an x-argument and a policy value (RabbitMQ's res_min); either may be absent. */
function lower(arg: number | undefined, pol: unknown): number | undefined {
  if (typeof pol !== 'number') return arg;
  return arg === undefined ? pol : Math.min(arg, pol);
}

/** Quorum queues' delivery limit when neither argument nor policy sets one (RabbitMQ 4.0+). */
export const QUORUM_DEFAULT_DELIVERY_LIMIT = 20;

/** The lower non-negative limit; a negative value alone means unlimited (-1). */
function deliveryLimit(arg: number | undefined, pol: unknown): number | undefined {
  let out: number | undefined;
  let unlimited = false;
  for (const v of [arg, pol]) {
    if (typeof v !== 'number') continue;
    if (v < 0) unlimited = true;
    else out = out === undefined ? v : Math.min(out, v);
  }
  return out ?? (unlimited ? -1 : undefined);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/**
 * A queue's settings with its effective policy applied, by RabbitMQ's rules for classic and
 * quorum queues: numeric limits (message-ttl, expires, max-length, max-length-bytes,
 * delivery-limit) take the lower of argument and policy; dead-letter-exchange,
 * dead-letter-routing-key, overflow and consumer-timeout come from the argument when it is set.
 */
export function queueSettingsWithPolicy(fromArgs: QueueSettings, args: FieldTable, def: Record<string, unknown>): QueueSettings {
  const s: QueueSettings = { ...fromArgs };
  s.messageTtl = lower(fromArgs.messageTtl, def['message-ttl']);
  s.expires = lower(fromArgs.expires, def['expires']);
  s.maxLength = lower(fromArgs.maxLength, def['max-length']);
  s.maxLengthBytes = lower(fromArgs.maxLengthBytes, def['max-length-bytes']);
  s.deliveryLimit = deliveryLimit(fromArgs.deliveryLimit, def['delivery-limit']);
  if (s.deliveryLimit === undefined && s.queueType === 'quorum') s.deliveryLimit = QUORUM_DEFAULT_DELIVERY_LIMIT;
  if (fromArgs.deadLetterExchange === undefined) s.deadLetterExchange = str(def['dead-letter-exchange']);
  if (fromArgs.deadLetterRoutingKey === undefined) s.deadLetterRoutingKey = str(def['dead-letter-routing-key']);
  if (args['x-overflow'] === undefined && typeof def['overflow'] === 'string') s.overflow = def['overflow'] as OverflowMode;
  if (fromArgs.consumerTimeout === undefined && typeof def['consumer-timeout'] === 'number') s.consumerTimeout = def['consumer-timeout'];
  return s;
}

/** An exchange's alternate exchange: the argument wins over the policy (RabbitMQ's get_arg). */
export function alternateExchangeWithPolicy(args: FieldTable, def: Record<string, unknown>): string | undefined {
  const ae = args['alternate-exchange'];
  if (typeof ae === 'string') return ae;
  if (Buffer.isBuffer(ae)) return ae.toString('utf8');
  return str(def['alternate-exchange']);
}
