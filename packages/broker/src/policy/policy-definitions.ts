// Policies in RabbitMQ's definitions documents: the `policies` array, and operator policies,
// which RabbitMQ keeps as runtime parameters of component "operator_policy".
import type { Definitions, DefinitionParameter, DefinitionPolicy, JsonObject, JsonValue } from '../auth/definitions.js';
import { PolicyError, type PolicyApplyTo, type PolicyInput, type PolicyKind } from './policy.js';

export const OPERATOR_POLICY_COMPONENT = 'operator_policy';

function asObject(v: JsonValue | undefined): JsonObject | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? v : undefined;
}

/** Every policy and operator policy a definitions document holds. */
export function policiesFromDefinitions(defs: Definitions): Array<{ kind: PolicyKind; policy: PolicyInput }> {
  const out: Array<{ kind: PolicyKind; policy: PolicyInput }> = [];
  for (const p of defs.policies) {
    out.push({ kind: 'policy', policy: { vhost: p.vhost, name: p.name, pattern: p.pattern, applyTo: p['apply-to'] as PolicyApplyTo, priority: p.priority, definition: p.definition } });
  }
  for (const prm of defs.parameters) {
    if (prm.component !== OPERATOR_POLICY_COMPONENT) continue;
    const v = asObject(prm.value);
    const def = asObject(v?.['definition']);
    if (v === undefined || def === undefined || typeof v['pattern'] !== 'string') {
      throw new PolicyError(`operator policy '${prm.name}' in vhost '${prm.vhost}': value needs a pattern and a definition`);
    }
    const priority = v['priority'] ?? 0;
    out.push({
      kind: 'operator-policy',
      policy: {
        vhost: prm.vhost, name: prm.name, pattern: v['pattern'], applyTo: (typeof v['apply-to'] === 'string' ? v['apply-to'] : 'all') as PolicyApplyTo,
        priority: typeof priority === 'number' ? priority : Number(priority), definition: def,
      },
    });
  }
  return out;
}

export function policyToDefinition(p: PolicyInput): DefinitionPolicy {
  return { vhost: p.vhost, name: p.name, pattern: p.pattern, 'apply-to': p.applyTo, definition: p.definition as JsonObject, priority: p.priority };
}

export function operatorPolicyToParameter(p: PolicyInput): DefinitionParameter {
  return {
    vhost: p.vhost, component: OPERATOR_POLICY_COMPONENT, name: p.name,
    value: { pattern: p.pattern, definition: p.definition as JsonObject, priority: p.priority, 'apply-to': p.applyTo },
  };
}
