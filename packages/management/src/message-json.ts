// Message properties and payloads as RabbitMQ's management API writes and reads them.
import { fieldTableToJson, type Message } from '@warren/broker';
import type { BasicProperties, FieldTable } from '@warren/protocol';
import { badRequest } from './http-error.js';

const STRING_PROPS: readonly (readonly [string, keyof BasicProperties])[] = [
  ['content_type', 'contentType'], ['content_encoding', 'contentEncoding'], ['correlation_id', 'correlationId'],
  ['reply_to', 'replyTo'], ['expiration', 'expiration'], ['message_id', 'messageId'], ['type', 'type'],
  ['user_id', 'userId'], ['app_id', 'appId'], ['cluster_id', 'clusterId'],
];

/** properties of a publish request → AMQP basic properties; wrong types are a 400. */
export function propertiesFromJson(json: Record<string, unknown>): BasicProperties {
  const props: BasicProperties = {};
  const known = new Set<string>(['delivery_mode', 'priority', 'timestamp', 'headers', ...STRING_PROPS.map(([k]) => k)]);
  for (const key of Object.keys(json)) if (!known.has(key)) throw badRequest(`unknown message property '${key}'`);
  for (const [jsonKey, prop] of STRING_PROPS) {
    const v = json[jsonKey];
    if (v === undefined) continue;
    if (typeof v !== 'string') throw badRequest(`property ${jsonKey} must be a string`);
    (props as Record<string, unknown>)[prop] = v;
  }
  for (const [jsonKey, prop, max] of [['delivery_mode', 'deliveryMode', 2], ['priority', 'priority', 255], ['timestamp', 'timestamp', Number.MAX_SAFE_INTEGER]] as const) {
    const v = json[jsonKey];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) throw badRequest(`property ${jsonKey} must be an integer between 0 and ${max}`);
    (props as Record<string, unknown>)[prop] = v;
  }
  const headers = json['headers'];
  if (headers !== undefined) {
    if (headers === null || typeof headers !== 'object' || Array.isArray(headers)) throw badRequest('property headers must be an object');
    props.headers = headers as FieldTable;
  }
  return props;
}

/** basic properties → RabbitMQ's JSON (an empty list when there are none, as RabbitMQ writes it). */
export function propertiesToJson(p: BasicProperties): Record<string, unknown> | unknown[] {
  const out: Record<string, unknown> = {};
  for (const [jsonKey, prop] of STRING_PROPS) if (p[prop] !== undefined) out[jsonKey] = p[prop];
  if (p.deliveryMode !== undefined) out['delivery_mode'] = p.deliveryMode;
  if (p.priority !== undefined) out['priority'] = p.priority;
  if (p.timestamp !== undefined) out['timestamp'] = p.timestamp;
  if (p.headers !== undefined) out['headers'] = fieldTableToJson(p.headers);
  return Object.keys(out).length === 0 ? [] : out;
}

export function decodePayload(payload: string, encoding: string): Buffer {
  if (encoding === 'string') return Buffer.from(payload, 'utf8');
  if (encoding === 'base64') {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(payload) || payload.length % 4 !== 0) throw badRequest('payload is not valid base64');
    return Buffer.from(payload, 'base64');
  }
  throw badRequest(`payload_encoding must be "string" or "base64", got '${encoding}'`);
}

/** A got message: payload as a string when asked (or when it is valid UTF-8 in auto mode), else base64. */
export function messageJson(msg: Message, redelivered: boolean, remaining: number, encoding: string, truncate: number | undefined) {
  let body = msg.body();
  const size = body.length;
  if (truncate !== undefined && body.length > truncate) body = body.subarray(0, truncate);
  const text = body.toString('utf8');
  const asString = encoding === 'auto' && Buffer.from(text, 'utf8').equals(body) && !hasControlBytes(body);
  return {
    payload_bytes: size,
    redelivered,
    exchange: msg.exchange,
    routing_key: msg.routingKey,
    message_count: remaining,
    properties: propertiesToJson(msg.properties()),
    payload: asString ? text : body.toString('base64'),
    payload_encoding: asString ? 'string' : 'base64',
  };
}

/** NUL and other C0 controls except tab, newline and carriage return mark binary payloads. */
function hasControlBytes(b: Buffer): boolean {
  for (const c of b) if (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return true;
  return false;
}
