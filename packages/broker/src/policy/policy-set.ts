import { appliesTo, compilePolicy, MIN_MERGED_KEYS, toInput, type CompiledPolicy, type PolicyInput, type PolicyKind, type PolicyTarget } from './policy.js';

/** The policy and operator policy in force for one entity, and their merged definition. */
export interface EffectivePolicy {
  policy?: string;
  operatorPolicy?: string;
  definition: Record<string, unknown>;
}

/** Highest priority wins; equal priorities are ordered by name so the choice is stable. */
function better(a: CompiledPolicy, b: CompiledPolicy | undefined): boolean {
  return b === undefined || a.priority > b.priority || (a.priority === b.priority && a.name < b.name);
}

/** One virtual host's policies and operator policies. */
export class PolicySet {
  private readonly byKind: Record<PolicyKind, Map<string, CompiledPolicy>> = { policy: new Map(), 'operator-policy': new Map() };

  get size(): number { return this.byKind.policy.size + this.byKind['operator-policy'].size; }

  /** Validates (throws PolicyError) and stores; returns the compiled policy. */
  set(kind: PolicyKind, p: PolicyInput): CompiledPolicy {
    const c = compilePolicy(kind, p);
    this.byKind[kind].set(c.name, c);
    return c;
  }

  clear(kind: PolicyKind, name: string): boolean {
    return this.byKind[kind].delete(name);
  }

  list(kind: PolicyKind): PolicyInput[] {
    return [...this.byKind[kind].values()].map(toInput);
  }

  private best(kind: PolicyKind, name: string, t: PolicyTarget): CompiledPolicy | undefined {
    let found: CompiledPolicy | undefined;
    for (const p of this.byKind[kind].values()) {
      if (appliesTo(p, t) && better(p, found) && p.regex.test(name)) found = p;
    }
    return found;
  }

  /**
   * The policy and operator policy matching `name`, merged as RabbitMQ merges them: for numeric
   * limits the lower value wins, otherwise the operator policy's value for keys it sets.
   */
  effective(name: string, t: PolicyTarget): EffectivePolicy {
    const out: EffectivePolicy = { definition: {} };
    if (this.size === 0) return out;
    const p = this.best('policy', name, t);
    const op = t.type === 'queue' ? this.best('operator-policy', name, t) : undefined;
    if (p !== undefined) {
      out.policy = p.name;
      Object.assign(out.definition, p.definition);
    }
    if (op !== undefined) {
      out.operatorPolicy = op.name;
      for (const [k, v] of Object.entries(op.definition)) {
        const cur = out.definition[k];
        if (cur !== undefined && MIN_MERGED_KEYS.includes(k) && typeof cur === 'number' && typeof v === 'number') {
          out.definition[k] = Math.min(cur, v);
        } else {
          out.definition[k] = v;
        }
      }
    }
    return out;
  }
}
