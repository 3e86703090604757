// amqps:// (through a TLS-terminating proxy in front of the broker, with a throw-away self-signed
// certificate) and heartbeats (a proxy that stops forwarding: the client must notice and reconnect)
// — against Warren and RabbitMQ.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createTcpServer, connect as netConnect, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, Queue } from '../src/index.js';
import { forEachBroker, uniqueName, until } from './helpers/brokers.js';

let certDir: string;
let cert: Buffer;
let key: Buffer;

before(() => {
  certDir = mkdtempSync(join(tmpdir(), 'warren-client-tls-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(certDir, 'key.pem'), '-out', join(certDir, 'cert.pem')], { stdio: 'ignore' });
  cert = readFileSync(join(certDir, 'cert.pem'));
  key = readFileSync(join(certDir, 'key.pem'));
});
after(() => rmSync(certDir, { recursive: true, force: true }));

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    const a = server.address();
    resolve(typeof a === 'object' && a !== null ? a.port : 0);
  }));
}

/** Forwards each accepted connection to the broker; `freeze()` stops forwarding on the current ones. */
function forwardingProxy(targetPort: number, tls: boolean): { server: Server; freeze(): void; sockets: Set<Socket> } {
  const sockets = new Set<Socket>();
  const frozen = new WeakSet<Socket>();
  const handle = (client: Socket): void => {
    const upstream = netConnect({ host: '127.0.0.1', port: targetPort });
    sockets.add(client);
    sockets.add(upstream);
    client.on('data', (d: Buffer) => { if (!frozen.has(client)) upstream.write(d); });
    upstream.on('data', (d: Buffer) => { if (!frozen.has(client)) client.write(d); });
    const end = (): void => { client.destroy(); upstream.destroy(); sockets.delete(client); sockets.delete(upstream); };
    // A frozen link is a black hole: the broker also misses heartbeats and drops its side, and
    // passing that close on would let the client see an EOF before its own heartbeat check fires.
    const upstreamEnd = (): void => { if (frozen.has(client)) upstream.destroy(); else end(); };
    client.on('close', end);
    upstream.on('close', upstreamEnd);
    client.on('error', end);
    upstream.on('error', upstreamEnd);
  };
  const server = tls ? createTlsServer({ cert, key }, handle) : createTcpServer(handle);
  return {
    server,
    sockets,
    freeze() {
      for (const s of sockets) frozen.add(s);
    },
  };
}

function closeProxy(p: { server: Server; sockets: Set<Socket> }): Promise<void> {
  for (const s of p.sockets) s.destroy();
  return new Promise((r) => p.server.close(() => r()));
}

forEachBroker((broker) => {
  test('amqps:// with the CA in the tls option; an untrusted certificate is refused', async () => {
    const proxy = forwardingProxy(broker().port, true);
    const port = await listen(proxy.server);
    try {
      await assert.rejects(connect(`amqps://guest:guest@127.0.0.1:${port}/`, { connectionTimeout: 5000 }), /self[- ]signed certificate/);
      const conn = await connect(`amqps://guest:guest@127.0.0.1:${port}/`, { tls: { ca: [cert] } });
      try {
        const q = new Queue(uniqueName('tls'), { durable: false });
        const got: unknown[] = [];
        await conn.consume(q, (b) => { got.push(b); });
        await conn.publish({ over: 'tls' }, { routingKey: q.name });
        await until(() => got.length === 1, 10_000, 'delivery over TLS');
        assert.deepEqual(got, [{ over: 'tls' }]);
        await conn.deleteQueue(q);
      } finally {
        await conn.close();
      }
    } finally {
      await closeProxy(proxy);
    }
  });

  test('missed heartbeats: the client drops the silent connection and reconnects', async () => {
    const proxy = forwardingProxy(broker().port, false);
    const port = await listen(proxy.server);
    const conn = await connect(`amqp://guest:guest@127.0.0.1:${port}/?heartbeat=1`, { reconnect: { initialDelay: 20, maxDelay: 100 } });
    try {
      const errors: Error[] = [];
      conn.on('disconnect', (e) => errors.push(e));
      const recovered = new Promise<void>((r) => conn.once('recovered', () => r()));
      proxy.freeze();
      await recovered;
      assert.equal(errors.length, 1);
      assert.match(errors[0]!.message, /missed heartbeats from the broker \(1 s interval\)/);
      const q = new Queue(uniqueName('hb'), { durable: false });
      await conn.declare(q);
      await conn.deleteQueue(q);
    } finally {
      await conn.close();
      await closeProxy(proxy);
    }
  });
});
