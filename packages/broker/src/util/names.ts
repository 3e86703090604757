import { randomBytes } from 'node:crypto';

/** RabbitMQ-style generated names: "amq.gen-" + 22 base64url characters. */
export function generatedName(prefix: string): string {
  return prefix + randomBytes(16).toString('base64url');
}

/** Describes a resource the way RabbitMQ's error texts do. */
export const describeQueue = (name: string, vhost: string): string => `queue '${name}' in vhost '${vhost}'`;
export const describeExchange = (name: string, vhost: string): string => `exchange '${name}' in vhost '${vhost}'`;
