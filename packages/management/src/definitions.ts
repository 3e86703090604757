// Definitions import and export (RabbitMQ's JSON format). Import is all-or-nothing: the whole
// document is first applied to a scratch copy of the broker's state, and only if every entry
// applies there is it applied for real.
import {
  AccessControl, AccessControlError, AmqpError, applyAuthDefinitions, DefinitionsError, Exchange, exportAuthDefinitions, exportDefinitions,
  parseDefinitions, PolicyError, WarrenBroker, type Definitions, type PolicyApplyTo,
} from '@warren/broker';
import type { FieldTable } from '@warren/protocol';
import { OPERATOR_POLICY_COMPONENT, type RuntimeStore } from './runtime-store.js';

function toTable(o: Record<string, unknown> | undefined): FieldTable {
  return (o ?? {}) as FieldTable;
}

/** Re-throws AMQP and access-control errors as DefinitionsError naming the entry. */
function at<T>(path: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof AmqpError) throw new DefinitionsError(path, e.text.replace(/^[A-Z_]+ - /, ''));
    if (e instanceof AccessControlError || e instanceof PolicyError) throw new DefinitionsError(path, e.message);
    throw e;
  }
}

/** Applies the topology sections strictly: a missing vhost, exchange or queue is an error. */
function applyTopology(broker: WarrenBroker, defs: Definitions): void {
  const vhostOf = (name: string, path: string) => {
    const vh = broker.access.hasVhost(name) ? broker.vhost(name) : undefined;
    if (vh === undefined) throw new DefinitionsError(path, `no such vhost '${name}'`);
    return vh;
  };
  defs.exchanges.forEach((e, i) => {
    const vh = vhostOf(e.vhost, `exchanges[${i}].vhost`);
    at(`exchanges[${i}]`, () => vh.declareExchange({
      name: e.name, type: e.type, passive: false, durable: e.durable, autoDelete: e.auto_delete, internal: e.internal, args: toTable(e.arguments),
    }));
  });
  defs.queues.forEach((q, i) => {
    const vh = vhostOf(q.vhost, `queues[${i}].vhost`);
    const args = { ...toTable(q.arguments) };
    if (q.type !== undefined && args['x-queue-type'] === undefined && q.type !== 'classic') args['x-queue-type'] = q.type;
    at(`queues[${i}]`, () => vh.declareQueue({ name: q.name, passive: false, durable: q.durable, exclusive: false, autoDelete: q.auto_delete, args }, 0));
  });
  defs.bindings.forEach((b, i) => {
    const vh = vhostOf(b.vhost, `bindings[${i}].vhost`);
    at(`bindings[${i}]`, () => {
      const src = vh.exchange(b.source);
      const dest = b.destination_type === 'queue' ? vh.queue(b.destination, 0) : vh.exchange(b.destination);
      vh.bind(src, dest, b.routing_key, toTable(b.arguments));
    });
  });
}

function checkTopicPermissions(ac: AccessControl, defs: Definitions): void {
  defs.topic_permissions.forEach((t, i) => {
    if (ac.getUser(t.user) === undefined) throw new DefinitionsError(`topic_permissions[${i}].user`, `no such user '${t.user}'`);
    if (!ac.hasVhost(t.vhost)) throw new DefinitionsError(`topic_permissions[${i}].vhost`, `no such vhost '${t.vhost}'`);
    for (const k of ['write', 'read'] as const) {
      try {
        new RegExp(t[k]);
      } catch (e) {
        throw new DefinitionsError(`topic_permissions[${i}].${k}`, `invalid pattern: ${(e as Error).message}`);
      }
    }
  });
  defs.parameters.forEach((p, i) => {
    if (!ac.hasVhost(p.vhost)) throw new DefinitionsError(`parameters[${i}].vhost`, `no such vhost '${p.vhost}'`);
  });
}

/** A scratch broker holding a copy of `broker`'s users, vhosts and topology. */
function scratchCopy(broker: WarrenBroker): WarrenBroker {
  const ac = new AccessControl();
  applyAuthDefinitions(ac, { ...emptyDefinitions(), ...exportAuthDefinitions(broker.access) });
  const copy = new WarrenBroker({ accessControl: ac, stats: false });
  for (const vh of broker.vhosts.values()) {
    const cv = copy.vhost(vh.name);
    if (cv === undefined) continue;
    for (const e of vh.exchanges.values()) {
      if (e.isDefault || cv.exchanges.has(e.name)) continue;
      cv.declareExchange({ name: e.name, type: e.type, passive: false, durable: e.durable, autoDelete: e.autoDelete, internal: e.internal, args: e.args });
    }
    for (const q of vh.queues.values()) {
      cv.declareQueue({ name: q.name, passive: false, durable: q.durable, exclusive: q.exclusiveOwner !== 0, autoDelete: q.autoDelete, args: q.args }, q.exclusiveOwner);
    }
    for (const b of vh.bindings()) {
      const dest = b.destination instanceof Exchange ? cv.exchanges.get(b.destination.name) : cv.queues.get(b.destination.name);
      const src = cv.exchanges.get(b.source.name);
      if (src !== undefined && dest !== undefined) cv.bind(src, dest, b.key, b.args);
    }
  }
  return copy;
}

export function emptyDefinitions(): Definitions {
  return { users: [], vhosts: [], permissions: [], topic_permissions: [], parameters: [], global_parameters: [], policies: [], queues: [], exchanges: [], bindings: [] };
}

/**
 * Validates and applies a definitions document (already JSON-parsed). With `vhost`, the
 * document is a single-vhost export: its entries belong to that vhost. Throws DefinitionsError,
 * with nothing applied, when any entry is invalid or does not apply.
 */
export function importDefinitions(broker: WarrenBroker, store: RuntimeStore, json: unknown, vhost?: string): void {
  let defs = parseDefinitions(json, vhost !== undefined ? { defaultVhost: vhost } : {});
  if (vhost !== undefined) {
    const force = <T extends { vhost: string }>(list: T[]): T[] => list.map((x) => ({ ...x, vhost }));
    defs = { ...defs, users: [], vhosts: [], permissions: [], topic_permissions: [], global_parameters: [],
      queues: force(defs.queues), exchanges: force(defs.exchanges), bindings: force(defs.bindings), parameters: force(defs.parameters), policies: force(defs.policies) };
  }
  // Dry run on a copy: every check the real run makes, on the same starting state.
  const copy = scratchCopy(broker);
  applyAuthDefinitions(copy.access, defs);
  checkTopicPermissions(copy.access, defs);
  applyTopology(copy, defs);
  applyPolicies(copy, defs);

  applyAuthDefinitions(broker.access, defs);
  for (const v of defs.vhosts) broker.vhost(v.name);
  applyTopology(broker, defs);
  applyPolicies(broker, defs);
  for (const t of defs.topic_permissions) store.setTopicPermission(t);
  for (const p of defs.parameters) if (p.component !== OPERATOR_POLICY_COMPONENT) store.setParameter(p);
  for (const g of defs.global_parameters) store.setGlobal(g);
  broker.definitionsChanged();
}

/** Policies and operator policies (RabbitMQ keeps the latter as operator_policy parameters). */
function applyPolicies(broker: WarrenBroker, defs: Definitions): void {
  defs.policies.forEach((p, i) => {
    at(`policies[${i}]`, () => broker.setPolicy('policy', {
      vhost: p.vhost, name: p.name, pattern: p.pattern, applyTo: p['apply-to'] as PolicyApplyTo, priority: p.priority, definition: p.definition,
    }));
  });
  defs.parameters.forEach((prm, i) => {
    if (prm.component !== OPERATOR_POLICY_COMPONENT) return;
    const v = prm.value;
    const obj = v !== null && typeof v === 'object' && !Array.isArray(v) ? v : undefined;
    const def = obj?.['definition'];
    if (obj === undefined || typeof obj['pattern'] !== 'string' || def === null || typeof def !== 'object' || Array.isArray(def)) {
      throw new DefinitionsError(`parameters[${i}].value`, 'an operator policy needs a pattern and a definition');
    }
    const priority = obj['priority'] ?? 0;
    at(`parameters[${i}]`, () => broker.setPolicy('operator-policy', {
      vhost: prm.vhost, name: prm.name, pattern: obj['pattern'] as string,
      applyTo: (typeof obj['apply-to'] === 'string' ? obj['apply-to'] : 'all') as PolicyApplyTo,
      priority: typeof priority === 'number' ? priority : Number(priority), definition: def,
    }));
  });
}

/** The broker's definitions as RabbitMQ 3.10 exports them (all vhosts, or one without vhost fields). */
export function exportAll(broker: WarrenBroker, store: RuntimeStore, vhost?: string): Record<string, unknown> {
  const vhosts = vhost === undefined ? [...broker.vhosts.values()] : [broker.vhosts.get(vhost)!];
  const defs = exportDefinitions(broker.access, vhosts.filter((v) => broker.access.hasVhost(v.name)), false);
  const exclusive = (name: string, vh: string) => (broker.vhosts.get(vh)?.queues.get(name)?.exclusiveOwner ?? 0) !== 0;
  const queues = defs.queues.filter((q) => !exclusive(q.name, q.vhost));
  // The broker's own parameters (operator policies) and the stored ones.
  const parameters = [...defs.parameters, ...store.parameters()].filter((p) => vhost === undefined || p.vhost === vhost);
  if (vhost !== undefined) {
    const strip = <T extends { vhost: string }>(list: T[]) => list.map(({ vhost: _v, ...rest }) => rest);
    return {
      rabbit_version: defs.rabbit_version, rabbitmq_version: defs.rabbitmq_version, product_name: defs.product_name, product_version: defs.product_version,
      parameters: strip(parameters), policies: strip(defs.policies), queues: strip(queues), exchanges: strip(defs.exchanges), bindings: strip(defs.bindings),
    };
  }
  return {
    rabbit_version: defs.rabbit_version, rabbitmq_version: defs.rabbitmq_version, product_name: defs.product_name, product_version: defs.product_version,
    users: defs.users, vhosts: defs.vhosts, permissions: defs.permissions,
    topic_permissions: store.topicPermissions(),
    parameters,
    global_parameters: store.globalParameters(),
    policies: defs.policies,
    queues, exchanges: defs.exchanges, bindings: defs.bindings,
  };
}
