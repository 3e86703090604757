import type { FieldTable } from '@warren/protocol';

export const PRODUCT = 'Warren';
export const VERSION = '0.1.0';

/** connection.start server-properties, with RabbitMQ's capability flags. */
export function serverProperties(clusterName: string): FieldTable {
  return {
    product: PRODUCT,
    version: VERSION,
    platform: `Node.js ${process.version}`,
    copyright: 'Copyright (c) the Warren developers',
    information: 'Licensed under the MIT license. A RabbitMQ-compatible AMQP 0-9-1 broker.',
    cluster_name: clusterName,
    capabilities: {
      publisher_confirms: true,
      exchange_exchange_bindings: true,
      'basic.nack': true,
      consumer_cancel_notify: true,
      'connection.blocked': true,
      consumer_priorities: true,
      authentication_failure_close: true,
      per_consumer_qos: true,
      direct_reply_to: true,
    },
  };
}
