import { AmqpDecimal, AmqpTimestamp, Typed, type FieldTable, type FieldValue } from '@warren/protocol';
import type { AccessControl } from '../auth/access-control.js';
import { exportAuthDefinitions, type Definitions, type JsonObject, type JsonValue } from '../auth/definitions.js';
import { Exchange } from '../exchange/exchange.js';
import type { VirtualHost } from '../vhost/vhost.js';
import { PRODUCT, VERSION } from '../connection/server-properties.js';
import { operatorPolicyToParameter, policyToDefinition } from '../policy/policy-definitions.js';

/** A field value as JSON, the way RabbitMQ's definitions export writes arguments. */
export function fieldValueToJson(v: FieldValue): JsonValue {
  if (v === null) return null;
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'bigint') return Number(v);
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  if (v instanceof Typed) return fieldValueToJson(v.value);
  if (v instanceof AmqpTimestamp) return v.seconds;
  if (v instanceof AmqpDecimal) return v.value / 10 ** v.scale;
  if (Array.isArray(v)) return v.map(fieldValueToJson);
  return fieldTableToJson(v as FieldTable);
}

export function fieldTableToJson(t: FieldTable): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(t)) out[k] = fieldValueToJson(v);
  return out;
}

/**
 * Definitions in RabbitMQ's JSON format. With `durableOnly`, only what survives a restart:
 * durable exchanges (not the built-in ones), durable non-exclusive queues, and bindings whose
 * both ends are durable — RabbitMQ's rules.
 */
export function exportDefinitions(access: AccessControl, vhosts: Iterable<VirtualHost>, durableOnly: boolean): Definitions {
  const defs: Definitions = {
    product_name: PRODUCT, product_version: VERSION, rabbitmq_version: '3.10.8', rabbit_version: '3.10.8',
    ...exportAuthDefinitions(access),
    topic_permissions: [], parameters: [], global_parameters: [], policies: [],
    queues: [], exchanges: [], bindings: [],
  };
  for (const vh of vhosts) {
    for (const p of vh.policies.list('policy')) defs.policies.push(policyToDefinition(p));
    for (const p of vh.policies.list('operator-policy')) defs.parameters.push(operatorPolicyToParameter(p));
    for (const ex of vh.exchanges.values()) {
      if (ex.isDefault || ex.name.startsWith('amq.') || (durableOnly && !ex.durable)) continue;
      defs.exchanges.push({
        name: ex.name, vhost: vh.name, type: ex.type, durable: ex.durable, auto_delete: ex.autoDelete,
        internal: ex.internal, arguments: fieldTableToJson(ex.args),
      });
    }
    for (const q of vh.queues.values()) {
      if (durableOnly && (!q.durable || q.exclusiveOwner !== 0)) continue;
      defs.queues.push({ name: q.name, vhost: vh.name, durable: q.durable, auto_delete: q.autoDelete, arguments: fieldTableToJson(q.args) });
    }
    for (const b of vh.bindings()) {
      const destDurable = b.destination instanceof Exchange ? b.destination.durable : b.destination.durable && b.destination.exclusiveOwner === 0;
      if (durableOnly && (!b.source.durable || !destDurable)) continue;
      defs.bindings.push({
        source: b.source.name, vhost: vh.name, destination: b.destination.name,
        destination_type: b.destination instanceof Exchange ? 'exchange' : 'queue',
        routing_key: b.key, arguments: fieldTableToJson(b.args),
      });
    }
  }
  return defs;
}
