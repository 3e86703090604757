// Policies and operator policies (RabbitMQ's "Policies" guide): a named, vhost-scoped regex over
// queue/exchange names with a priority and a definition of settings. Validation mirrors
// RabbitMQ's policy validators, including their error wording.

export type PolicyKind = 'policy' | 'operator-policy';
export type PolicyApplyTo = 'queues' | 'exchanges' | 'all' | 'classic_queues' | 'quorum_queues' | 'streams';

export interface PolicyInput {
  vhost: string;
  name: string;
  pattern: string;
  applyTo: PolicyApplyTo;
  priority: number;
  /** RabbitMQ keys: 'message-ttl', 'dead-letter-exchange', ... */
  definition: Record<string, unknown>;
}

/** A rejected policy; `message` is the reason shown to users (HTTP 400 / ctl error). */
export class PolicyError extends Error {
  override name = 'PolicyError';
}

/** A validated policy with its compiled pattern. */
export interface CompiledPolicy extends PolicyInput {
  readonly regex: RegExp;
}

export const APPLY_TO_VALUES: readonly PolicyApplyTo[] = ['queues', 'exchanges', 'all', 'classic_queues', 'quorum_queues', 'streams'];

/** Erlang-style rendering of a JSON value, as RabbitMQ's "~p" shows it in validation errors. */
function show(v: unknown): string {
  if (typeof v === 'string') return `<<"${v}">>`;
  if (Array.isArray(v)) return `[${v.map(show).join(',')}]`;
  if (v === null) return 'null';
  if (typeof v === 'object') return `[${Object.entries(v as Record<string, unknown>).map(([k, x]) => `{${show(k)},${show(x)}}`).join(',')}]`;
  return String(v);
}

type Check = (v: unknown) => string | null;
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
const intAtLeast = (min: number, what: string): Check => (v) => (isInt(v) && v >= min ? null : `${show(v)} is not a valid ${what}`);
const str = (what: string): Check => (v) => (typeof v === 'string' ? null : `${show(v)} is not a valid ${what}`);
const oneOf = (allowed: readonly string[], what: string): Check => (v) => (typeof v === 'string' && allowed.includes(v) ? null : `${show(v)} is not a valid ${what}`);

/** Keys RabbitMQ's built-in policy validators accept, with their checks. */
const POLICY_KEYS: Record<string, Check> = {
  'alternate-exchange': str('alternate exchange name'),
  'dead-letter-exchange': str('dead letter exchange name'),
  'dead-letter-routing-key': str('dead letter routing key'),
  'dead-letter-strategy': oneOf(['at-most-once', 'at-least-once'], 'dead letter strategy'),
  'message-ttl': intAtLeast(0, 'message TTL'),
  expires: intAtLeast(1, 'queue expiry'),
  'max-length': intAtLeast(0, 'maximum length'),
  'max-length-bytes': intAtLeast(0, 'maximum length in bytes'),
  'max-in-memory-length': intAtLeast(0, 'maximum memory in bytes'),
  'max-in-memory-bytes': intAtLeast(0, 'maximum memory in bytes'),
  'queue-mode': oneOf(['default', 'lazy'], 'queue-mode value'),
  'queue-version': (v) => (v === 1 || v === 2 ? null : `${show(v)} is not a valid queue-version value`),
  overflow: oneOf(['drop-head', 'reject-publish', 'reject-publish-dlx'], 'overflow value'),
  'delivery-limit': intAtLeast(-1, 'delivery limit'),
  'consumer-timeout': intAtLeast(1, 'consumer timeout'),
  'max-age': (v) => (typeof v === 'string' && /^\d+(Y|M|D|h|m|s)$/.test(v) ? null : `${show(v)} is not a valid max age`),
  'stream-max-segment-size-bytes': intAtLeast(0, 'segment size'),
  'queue-leader-locator': oneOf(['client-local', 'balanced', 'random', 'least-leaders'], 'queue leader locator value'),
  'initial-cluster-size': intAtLeast(0, 'cluster size'),
};

/** Operator policies may only set these (RabbitMQ's operator_policy_validator registrations). */
export const OPERATOR_POLICY_KEYS: readonly string[] = [
  'expires', 'message-ttl', 'max-length', 'max-length-bytes', 'max-in-memory-length', 'max-in-memory-bytes', 'delivery-limit',
];

/** Numeric limits where the lower of policy and operator policy (and x-argument) wins. */
export const MIN_MERGED_KEYS: readonly string[] = [
  'message-ttl', 'max-length', 'max-length-bytes', 'max-in-memory-length', 'max-in-memory-bytes', 'expires', 'delivery-limit',
];

function fail(detail: string): PolicyError {
  return new PolicyError(`Validation failed\n\n${detail}\n`);
}

/** Checks a policy as RabbitMQ does; throws PolicyError, returns the compiled policy. */
export function compilePolicy(kind: PolicyKind, p: PolicyInput): CompiledPolicy {
  if (typeof p.name !== 'string' || p.name === '') throw new PolicyError('policy name must be a non-empty string');
  if (typeof p.vhost !== 'string' || p.vhost === '') throw new PolicyError('vhost must be a non-empty string');
  if (typeof p.pattern !== 'string') throw fail(`${show(p.pattern)} is not a valid regex`);
  let regex: RegExp;
  try {
    regex = new RegExp(p.pattern);
  } catch (e) {
    throw fail(`${show(p.pattern)} is not a valid regex: ${(e as Error).message}`);
  }
  if (!APPLY_TO_VALUES.includes(p.applyTo)) throw fail(`${show(p.applyTo)} is not a valid apply-to value`);
  if (!isInt(p.priority)) throw fail(`${show(p.priority)} priority must be a number`);
  const def = p.definition;
  if (def === null || typeof def !== 'object' || Array.isArray(def)) throw fail(`${show(def)} is not a valid policy definition`);
  const keys = Object.keys(def);
  if (keys.length === 0) throw fail('no policy provided');
  const allowed = kind === 'operator-policy' ? OPERATOR_POLICY_KEYS : Object.keys(POLICY_KEYS);
  const unknown = keys.filter((k) => !allowed.includes(k));
  if (unknown.length > 0) throw fail(`${show(unknown)} are not recognised policy settings`);
  for (const k of keys) {
    const why = POLICY_KEYS[k]!(def[k]);
    if (why !== null) throw fail(why);
  }
  return { vhost: p.vhost, name: p.name, pattern: p.pattern, applyTo: p.applyTo, priority: p.priority, definition: { ...def }, regex };
}

/** What a policy is matched against. */
export type PolicyTarget = { type: 'exchange' } | { type: 'queue'; queueType: 'classic' | 'quorum' };

export function appliesTo(p: PolicyInput, t: PolicyTarget): boolean {
  switch (p.applyTo) {
    case 'all': return true;
    case 'exchanges': return t.type === 'exchange';
    case 'queues': return t.type === 'queue';
    case 'classic_queues': return t.type === 'queue' && t.queueType === 'classic';
    case 'quorum_queues': return t.type === 'queue' && t.queueType === 'quorum';
    case 'streams': return false; // no stream queues exist in Warren
  }
}

/** Public form of a compiled policy (no regex). */
export function toInput(p: CompiledPolicy): PolicyInput {
  return { vhost: p.vhost, name: p.name, pattern: p.pattern, applyTo: p.applyTo, priority: p.priority, definition: { ...p.definition } };
}
