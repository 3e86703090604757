export { startBroker, startEmbeddedBroker, WarrenBroker, type Broker, type BrokerOptions } from './broker.js';
export * from './auth/index.js';
export { VirtualHost } from './vhost/vhost.js';
export { Queue } from './queue/queue.js';
export { Exchange } from './exchange/exchange.js';
export { PRODUCT, VERSION } from './connection/server-properties.js';
export type { ConnectionStream } from './connection/connection.js';
export { PolicyError, type PolicyApplyTo, type PolicyInput, type PolicyKind } from './policy/policy.js';
export type { EffectivePolicy } from './policy/policy-set.js';
