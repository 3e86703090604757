// Request-body field types as RabbitMQ accepts them: booleans may come as "true"/"false"
// strings and integers as decimal strings (rabbitmqadmin sends them so).
import { Type } from 'typebox';

export const Bool = Type.Union([Type.Boolean(), Type.Literal('true'), Type.Literal('false')]);
export const Int = Type.Union([Type.Integer(), Type.String({ pattern: '^-?[0-9]+$' })]);

export function bool(v: boolean | 'true' | 'false' | undefined, fallback: boolean): boolean {
  if (v === undefined) return fallback;
  return v === true || v === 'true';
}

export function int(v: number | string | undefined, fallback: number): number {
  return v === undefined ? fallback : Number(v);
}
