// What the management API stores beside the broker's own state: topic permissions, runtime
// parameters and global parameters (RabbitMQ keeps them in its schema database). One store per
// broker, shared by every management server started on it.
import type { JsonValue, WarrenBroker } from '@warren/broker';

export interface TopicPermission { user: string; vhost: string; exchange: string; write: string; read: string }
export interface Parameter { vhost: string; component: string; name: string; value: JsonValue }
export interface GlobalParameter { name: string; value: JsonValue }

export class RuntimeStore {
  private readonly topic = new Map<string, TopicPermission>();
  private readonly params = new Map<string, Parameter>();
  private readonly globals = new Map<string, GlobalParameter>();

  topicPermissions(): TopicPermission[] { return [...this.topic.values()]; }
  setTopicPermission(p: TopicPermission): void { this.topic.set(`${p.user}\0${p.vhost}\0${p.exchange}`, { ...p }); }
  /** Removes a user's topic permissions on a vhost (all exchanges, or one); returns how many. */
  clearTopicPermissions(user: string, vhost: string, exchange?: string): number {
    let n = 0;
    for (const [k, p] of this.topic) {
      if (p.user === user && p.vhost === vhost && (exchange === undefined || p.exchange === exchange)) {
        this.topic.delete(k);
        n++;
      }
    }
    return n;
  }

  parameters(): Parameter[] { return [...this.params.values()]; }
  getParameter(component: string, vhost: string, name: string): Parameter | undefined { return this.params.get(`${component}\0${vhost}\0${name}`); }
  setParameter(p: Parameter): void { this.params.set(`${p.component}\0${p.vhost}\0${p.name}`, { ...p }); }
  clearParameter(component: string, vhost: string, name: string): boolean { return this.params.delete(`${component}\0${vhost}\0${name}`); }

  globalParameters(): GlobalParameter[] { return [...this.globals.values()]; }
  getGlobal(name: string): GlobalParameter | undefined { return this.globals.get(name); }
  setGlobal(p: GlobalParameter): void { this.globals.set(p.name, { ...p }); }
  clearGlobal(name: string): boolean { return this.globals.delete(name); }

  /** A user or vhost went away: drop what referred to it. */
  userDeleted(user: string): void {
    for (const [k, p] of this.topic) if (p.user === user) this.topic.delete(k);
  }

  vhostDeleted(vhost: string): void {
    for (const [k, p] of this.topic) if (p.vhost === vhost) this.topic.delete(k);
    for (const [k, p] of this.params) if (p.vhost === vhost) this.params.delete(k);
  }
}

const stores = new WeakMap<WarrenBroker, RuntimeStore>();

export function runtimeStore(broker: WarrenBroker): RuntimeStore {
  let s = stores.get(broker);
  if (s === undefined) stores.set(broker, (s = new RuntimeStore()));
  return s;
}
