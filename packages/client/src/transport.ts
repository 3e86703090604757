import { connect as netConnect, isIP } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions as TlsOptions } from 'node:tls';
import type { Duplex } from 'node:stream';
import type { BrokerAddress } from './url.js';
import { memoryStream } from './memory-transport.js';

/** Opens the byte stream to one broker address; resolves once it is connected. */
export async function openTransport(addr: BrokerAddress, tls: TlsOptions | undefined, timeoutMs: number): Promise<Duplex> {
  if (addr.protocol === 'memory') return memoryStream(addr.host);
  return new Promise<Duplex>((resolve, reject) => {
    const sock = addr.protocol === 'amqps'
      ? // SNI carries host names only (RFC 6066), never IP addresses
      tlsConnect({ host: addr.host, port: addr.port, ...(isIP(addr.host) === 0 ? { servername: addr.host } : {}), ...tls })
      : netConnect({ host: addr.host, port: addr.port, noDelay: true });
    const connectedEvent = addr.protocol === 'amqps' ? 'secureConnect' : 'connect';
    const timer = setTimeout(() => {
      sock.destroy();
      reject(Object.assign(new Error(`connect to ${addr.display} timed out after ${timeoutMs} ms`), { code: 'ETIMEDOUT' }));
    }, timeoutMs);
    const onError = (e: Error): void => {
      clearTimeout(timer);
      reject(e);
    };
    sock.once('error', onError);
    sock.once(connectedEvent, () => {
      clearTimeout(timer);
      sock.off('error', onError);
      if ('setNoDelay' in sock) sock.setNoDelay(true);
      resolve(sock);
    });
  });
}
