// `warren server` with the operations endpoints: management API (HTTPS when TLS is configured),
// Prometheus, and the amqps listener — the real binary in a child process.
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import amqp from 'amqplib';

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));

/** A port that was free a moment ago (the OS picks it; the server binds it right after). */
async function freePort(): Promise<number> {
  const s = createServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function httpsJson(port: number, path: string, ca: Buffer): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, ca, servername: 'localhost', auth: 'guest:guest', timeout: 10_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c: string) => (text += c)).on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('warren server with management, Prometheus and TLS', () => {
  let dir: string;
  let child: ChildProcess;
  let stdout = '';
  const ports = { amqp: 0, amqps: 0, mgmt: 0, prom: 0 };
  let cert: Buffer;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'warren-ops-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    cert = readFileSync(join(dir, 'cert.pem'));
    for (const k of ['amqp', 'amqps', 'mgmt', 'prom'] as const) ports[k] = await freePort();
    child = spawn(process.execPath, [MAIN, 'server', '--bind', '127.0.0.1', '--data-dir', join(dir, 'data'),
      '--port', String(ports.amqp), '--tls-port', String(ports.amqps), '--tls-cert', join(dir, 'cert.pem'), '--tls-key', join(dir, 'key.pem'),
      '--management-port', String(ports.mgmt), '--prometheus-port', String(ports.prom)], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    for (let i = 0; i < 300 && !/\bready\b/.test(stdout); i++) {
      if (child.exitCode !== null) throw new Error(`warren exited: ${stdout}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.match(stdout, /\bready\b/);
  });
  after(async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves amqps, the HTTPS management API and Prometheus; logs where', async () => {
    assert.match(stdout, new RegExp(`management API listening on 127\\.0\\.0\\.1:${ports.mgmt}`));
    assert.match(stdout, new RegExp(`Prometheus metrics on 127\\.0\\.0\\.1:${ports.prom}/metrics`));
    const conn = await amqp.connect(`amqps://guest:guest@localhost:${ports.amqps}/`, { ca: [cert] });
    try {
      const ch = await conn.createChannel();
      await ch.assertQueue('ops-q', { durable: false });
      const overview = await httpsJson(ports.mgmt, '/api/overview', cert);
      assert.equal(overview.status, 200);
      assert.equal((overview.body['object_totals'] as { queues: number }).queues, 1);
      const conns = await httpsJson(ports.mgmt, '/api/connections', cert);
      assert.equal(conns.status, 200);
      const metrics = await (await fetch(`http://127.0.0.1:${ports.prom}/metrics`)).text();
      assert.match(metrics, /^rabbitmq_queues 1$/m);
      assert.match(metrics, /^rabbitmq_connections 1$/m);
    } finally {
      await conn.close();
    }
  });

  it('refuses --tls-cert without --tls-key', async () => {
    const r = spawn(process.execPath, [MAIN, 'server', '--tls-cert', join(dir, 'cert.pem')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    r.stderr!.setEncoding('utf8').on('data', (c: string) => (err += c));
    const [code] = await once(r, 'exit');
    assert.equal(code, 2);
    assert.match(err, /--tls-cert and --tls-key go together/);
  });
});
