// amqplib has no API for the tx class (nor for confirm.select on a plain channel); its generic
// channel.rpc does the round trip given method ids ((class << 16) | method).
import type { Channel } from 'amqplib';
import { withTimeout } from './amqp.js';

const id = (classId: number, methodId: number): number => (classId << 16) | methodId;

type RpcChannel = Channel & { rpc(method: number, fields: object, expect: number): Promise<unknown> };

function rpc(ch: Channel, method: number, fields: object, expect: number, what: string): Promise<unknown> {
  return withTimeout((ch as RpcChannel).rpc(method, fields, expect), 5000, what);
}

export const txSelect = (ch: Channel): Promise<unknown> => rpc(ch, id(90, 10), {}, id(90, 11), 'tx.select');
export const txCommit = (ch: Channel): Promise<unknown> => rpc(ch, id(90, 20), {}, id(90, 21), 'tx.commit');
export const txRollback = (ch: Channel): Promise<unknown> => rpc(ch, id(90, 30), {}, id(90, 31), 'tx.rollback');
export const confirmSelect = (ch: Channel): Promise<unknown> =>
  rpc(ch, id(85, 10), { nowait: false }, id(85, 11), 'confirm.select');
