import { Buffer } from 'node:buffer';
import { AmqpTimestamp, Typed, type BasicProperties, type FieldTable, type FieldValue } from '@warren/protocol';
import type { Message } from '../message/message.js';
import type { DeadLetterReason } from './queue.js';

function asString(v: FieldValue | undefined): string | undefined {
  if (typeof v === 'string') return v;
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  return undefined;
}

/** The routing keys a message was published with: its routing key plus CC (RabbitMQ records both). */
export function originalRoutingKeys(msg: Message): string[] {
  const keys = [msg.routingKey];
  const cc = msg.headers()?.['CC'];
  if (Array.isArray(cc)) for (const k of cc) { const s = asString(k); if (s !== undefined) keys.push(s); }
  return keys;
}

/**
 * Properties of a dead-lettered copy, with the x-death history updated exactly as RabbitMQ
 * writes it: newest first, one entry per (queue, reason) with a count, original expiration
 * moved into the entry, and the x-first-death-* / x-last-death-* headers.
 */
export function deadLetterProperties(msg: Message, queueName: string, reason: DeadLetterReason, now: number): BasicProperties {
  const props: BasicProperties = { ...msg.properties() };
  const headers: FieldTable = { ...(props.headers ?? {}) };
  const previous = Array.isArray(headers['x-death']) ? (headers['x-death'] as FieldValue[]) : [];
  const deaths: FieldTable[] = [];
  let existing: FieldTable | undefined;
  for (const d of previous) {
    if (d === null || typeof d !== 'object' || Array.isArray(d) || Buffer.isBuffer(d)) continue;
    const t = d as FieldTable;
    if (existing === undefined && asString(t['queue']) === queueName && asString(t['reason']) === reason) existing = t;
    else deaths.push(t);
  }
  const count = existing !== undefined ? Number((existing['count'] instanceof Typed ? existing['count'].value : existing['count']) ?? 0) + 1 : 1;
  const entry: FieldTable = {
    count: new Typed('l', count),
    reason,
    queue: queueName,
    time: new AmqpTimestamp(Math.floor(now / 1000)),
    exchange: msg.exchange,
    'routing-keys': originalRoutingKeys(msg),
  };
  if (props.expiration !== undefined) entry['original-expiration'] = props.expiration;
  else if (existing?.['original-expiration'] !== undefined) entry['original-expiration'] = existing['original-expiration'];
  deaths.unshift(entry);
  headers['x-death'] = deaths;
  if (headers['x-first-death-reason'] === undefined) {
    headers['x-first-death-reason'] = reason;
    headers['x-first-death-queue'] = queueName;
    headers['x-first-death-exchange'] = msg.exchange;
  }
  headers['x-last-death-reason'] = reason;
  headers['x-last-death-queue'] = queueName;
  headers['x-last-death-exchange'] = msg.exchange;
  props.headers = headers;
  delete props.expiration;
  return props;
}

/**
 * RabbitMQ drops a dead-lettered message that would return to a queue it already died in,
 * unless a client rejected it somewhere on that cycle (then the cycle is under client control).
 */
export function isDeadLetterCycle(props: BasicProperties, targetQueue: string): boolean {
  const deaths = props.headers?.['x-death'];
  if (!Array.isArray(deaths)) return false;
  for (const d of deaths) {
    if (d === null || typeof d !== 'object' || Array.isArray(d) || Buffer.isBuffer(d)) continue;
    const t = d as FieldTable;
    if (asString(t['reason']) === 'rejected') return false;
    if (asString(t['queue']) === targetQueue) return true;
  }
  return false;
}
