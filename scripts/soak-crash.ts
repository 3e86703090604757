// npm run soak:crash — many cycles of: start a broker process on one data directory, publish
// persistent messages with confirms, kill -9 it at a random moment, restart, drain the queue,
// and check that every confirmed message came back exactly once. CYCLES (default 20).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import amqp from 'amqplib';

const child = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'packages', 'broker', 'test', 'durability', 'broker-child.ts');
const cycles = Number(process.env.CYCLES ?? 20);

async function start(dataDir: string): Promise<{ proc: ChildProcess; port: number }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', child, dataDir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('broker did not start in 60 s')), 60_000);
    let buf = '';
    proc.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const line = buf.split('\n').find((l) => l.startsWith('{'));
      if (line !== undefined) { clearTimeout(timer); resolve((JSON.parse(line) as { port: number }).port); }
    });
    proc.once('exit', (code) => reject(new Error(`broker exited early (${code})`)));
  });
  return { proc, port };
}

const kill = (p: ChildProcess): Promise<void> => new Promise((r) => { if (p.exitCode !== null || p.signalCode !== null) return r(); p.once('exit', () => r()); p.kill('SIGKILL'); });

async function main(): Promise<number> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'warren-soak-'));
  let nextId = 0;
  let totalConfirmed = 0;
  let totalRecovered = 0;
  let totalUnconfirmedRecovered = 0;
  let failures = 0;
  const started = Date.now();
  try {
    for (let cycle = 1; cycle <= cycles; cycle++) {
      const b = await start(dataDir);
      const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${b.port}/`);
      conn.on('error', () => {});
      const ch = await conn.createConfirmChannel();
      ch.on('error', () => {});
      await ch.assertQueue('soak', { durable: true });
      const confirmed = new Set<number>();
      const firstId = nextId;
      const killAfterMs = 50 + Math.floor(Math.random() * 1500);
      const deadline = Date.now() + killAfterMs;
      await new Promise<void>((resolve) => {
        const pump = (): void => {
          for (let i = 0; i < 100; i++) {
            const id = nextId++;
            ch.sendToQueue('soak', Buffer.alloc(256 + (id % 1024), id % 251), { persistent: true, messageId: String(id) }, (err) => { if (!err) confirmed.add(id); });
          }
          if (Date.now() >= deadline) resolve(); else setImmediate(pump);
        };
        pump();
      });
      await kill(b.proc);
      const sent = nextId - firstId;
      const r = await start(dataDir);
      const conn2 = await amqp.connect(`amqp://guest:guest@127.0.0.1:${r.port}/`);
      const ch2 = await conn2.createChannel();
      const seen = new Set<number>();
      let dup = 0;
      for (let i = 0; i < 5_000_000; i++) {
        const m = await ch2.get('soak', { noAck: true });
        if (m === false) break;
        const id = Number(m.properties.messageId);
        if (seen.has(id)) dup++;
        seen.add(id);
      }
      const lost = [...confirmed].filter((id) => !seen.has(id)).length;
      const extra = [...seen].filter((id) => !confirmed.has(id)).length;
      totalConfirmed += confirmed.size;
      totalRecovered += seen.size;
      totalUnconfirmedRecovered += extra;
      const ok = lost === 0 && dup === 0;
      if (!ok) failures++;
      console.log(`cycle ${cycle}: killed after ${killAfterMs} ms; sent ${sent}, confirmed ${confirmed.size}, recovered ${seen.size} (${extra} unconfirmed but stored), lost ${lost}, duplicates ${dup} ${ok ? 'OK' : 'FAIL'}`);
      await conn2.close();
      // Let the drain's removals reach the disk (group commit) before the next kill, so the
      // next cycle counts only its own messages.
      await new Promise((res) => setTimeout(res, 200));
      await kill(r.proc);
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
  console.log(`soak: ${cycles} kill -9 cycles in ${((Date.now() - started) / 1000).toFixed(1)} s; ${totalConfirmed} confirmed, ${totalRecovered} recovered (${totalUnconfirmedRecovered} of them unconfirmed at the kill), ${failures} failed cycles`);
  return failures === 0 ? 0 : 1;
}

process.exitCode = await main();
