// What the management API stores beside the broker's own state: topic permissions, runtime
// parameters and global parameters (RabbitMQ keeps them in its schema database). One store per
// broker, shared by every management server started on it.
import type { JsonValue, WarrenBroker } from '@warren/broker';

export interface TopicPermission { user: string; vhost: string; exchange: string; write: string; read: string }
export interface Parameter { vhost: string; component: string; name: string; value: JsonValue }
export interface GlobalParameter { name: string; value: JsonValue }

export class RuntimeStore {
  /** `changed` is told about every change (the broker saves its definitions file). */
  constructor(private readonly changed: () => void = () => undefined) {}

  private readonly topic = new Map<string, TopicPermission>();
  private readonly params = new Map<string, Parameter>();
  private readonly globals = new Map<string, GlobalParameter>();

  topicPermissions(): TopicPermission[] { return [...this.topic.values()]; }
  setTopicPermission(p: TopicPermission): void {
    this.topic.set(`${p.user}\0${p.vhost}\0${p.exchange}`, { user: p.user, vhost: p.vhost, exchange: p.exchange, write: p.write, read: p.read });
    this.changed();
  }
  /** Removes a user's topic permissions on a vhost (all exchanges, or one); returns how many. */
  clearTopicPermissions(user: string, vhost: string, exchange?: string): number {
    let n = 0;
    for (const [k, p] of this.topic) {
      if (p.user === user && p.vhost === vhost && (exchange === undefined || p.exchange === exchange)) {
        this.topic.delete(k);
        n++;
      }
    }
    if (n > 0) this.changed();
    return n;
  }

  parameters(): Parameter[] { return [...this.params.values()]; }
  getParameter(component: string, vhost: string, name: string): Parameter | undefined { return this.params.get(`${component}\0${vhost}\0${name}`); }
  setParameter(p: Parameter): void {
    this.params.set(`${p.component}\0${p.vhost}\0${p.name}`, { vhost: p.vhost, component: p.component, name: p.name, value: p.value });
    this.changed();
  }
  clearParameter(component: string, vhost: string, name: string): boolean {
    const removed = this.params.delete(`${component}\0${vhost}\0${name}`);
    if (removed) this.changed();
    return removed;
  }

  globalParameters(): GlobalParameter[] { return [...this.globals.values()]; }
  getGlobal(name: string): GlobalParameter | undefined { return this.globals.get(name); }
  setGlobal(p: GlobalParameter): void {
    this.globals.set(p.name, { name: p.name, value: p.value });
    this.changed();
  }
  clearGlobal(name: string): boolean {
    const removed = this.globals.delete(name);
    if (removed) this.changed();
    return removed;
  }

  /** A user or vhost went away: drop what referred to it. */
  userDeleted(user: string): void {
    for (const [k, p] of this.topic) if (p.user === user) this.topic.delete(k);
    this.changed();
  }

  vhostDeleted(vhost: string): void {
    for (const [k, p] of this.topic) if (p.vhost === vhost) this.topic.delete(k);
    for (const [k, p] of this.params) if (p.vhost === vhost) this.params.delete(k);
    this.changed();
  }
}

const stores = new WeakMap<WarrenBroker, RuntimeStore>();

/** RabbitMQ keeps operator policies as runtime parameters of this component; the broker owns them. */
export const OPERATOR_POLICY_COMPONENT = 'operator_policy';

/**
 * The store of a broker: created on first use from the definitions the broker booted with (its
 * data directory's and the given ones), and saved with the broker's definitions from then on.
 */
export function runtimeStore(broker: WarrenBroker): RuntimeStore {
  let s = stores.get(broker);
  if (s === undefined) {
    let loading = true;
    const store: RuntimeStore = new RuntimeStore(() => {
      if (loading) return; // what was just read needs no saving
      syncVhostLimits(broker, store);
      broker.topics.load(store.topicPermissions());
      broker.definitionsChanged();
    });
    for (const d of broker.bootDefinitions) {
      for (const t of d.topic_permissions) store.setTopicPermission(t);
      for (const p of d.parameters) if (p.component !== OPERATOR_POLICY_COMPONENT) store.setParameter(p);
      for (const g of d.global_parameters) store.setGlobal(g);
    }
    loading = false;
    broker.extraDefinitions = () => ({ topic_permissions: store.topicPermissions(), parameters: store.parameters(), global_parameters: store.globalParameters() });
    stores.set(broker, (s = store));
    syncVhostLimits(broker, store);
    broker.topics.load(store.topicPermissions());
  }
  return s;
}

/** RabbitMQ keeps vhost limits as the runtime parameter vhost-limits/limits of each vhost. */
export const VHOST_LIMITS_COMPONENT = 'vhost-limits';

/** The broker enforces the limits the store holds. */
function syncVhostLimits(broker: WarrenBroker, store: RuntimeStore): void {
  broker.vhostLimits.clear();
  for (const p of store.parameters()) {
    if (p.component !== VHOST_LIMITS_COMPONENT || p.value === null || typeof p.value !== 'object' || Array.isArray(p.value)) continue;
    const limits: Record<string, number> = {};
    for (const [k, v] of Object.entries(p.value)) if (typeof v === 'number') limits[k] = v;
    broker.vhostLimits.set(p.vhost, limits);
  }
}
