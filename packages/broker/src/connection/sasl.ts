import { Buffer } from 'node:buffer';
import { decodeTable } from '@warren/protocol';

export interface Credentials { username: string; password: string }

/** Decodes a SASL response for PLAIN ("\0user\0pass") or AMQPLAIN (a field table without length). */
export function decodeSaslResponse(mechanism: string, response: Buffer): Credentials | undefined {
  if (mechanism === 'PLAIN') {
    const first = response.indexOf(0);
    const second = first < 0 ? -1 : response.indexOf(0, first + 1);
    if (first < 0 || second < 0) return undefined;
    return { username: response.toString('utf8', first + 1, second), password: response.toString('utf8', second + 1) };
  }
  if (mechanism === 'AMQPLAIN') {
    // The response is the body of a field table (no leading length).
    const framed = Buffer.allocUnsafe(4 + response.length);
    framed.writeUInt32BE(response.length, 0);
    response.copy(framed, 4);
    const t = decodeTable(framed, 0, framed.length);
    const login = t['LOGIN'];
    const password = t['PASSWORD'];
    const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : Buffer.isBuffer(v) ? v.toString('utf8') : undefined);
    const u = str(login);
    const p = str(password);
    if (u === undefined || p === undefined) return undefined;
    return { username: u, password: p };
  }
  return undefined;
}

export const SUPPORTED_MECHANISMS = ['PLAIN', 'AMQPLAIN'];
