// `warren ctl` end to end: the real CLI binary (dist/main.js) in a child process against an
// in-process broker with its management API on a free port.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import amqp from 'amqplib';
import { pino } from 'pino';
import { startBroker, type WarrenBroker } from '@warren/broker';
import { startManagement } from '@warren/management';

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));

interface Run { code: number; stdout: string; stderr: string }

function ctl(url: string, args: string[], stdin?: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [MAIN, 'ctl', '--url', url, ...args], { timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
    if (stdin !== undefined) child.stdin?.end(stdin);
  });
}

describe('warren ctl', () => {
  let broker: WarrenBroker;
  let url: string;
  let close: () => Promise<void>;
  let dir: string;
  const run = (...args: string[]) => ctl(url, args);

  before(async () => {
    broker = await startBroker({ port: 0, host: '127.0.0.1', logger: pino({ level: 'silent' }) });
    const m = await startManagement({ broker, port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${m.port}`;
    close = async () => {
      await m.close();
      await broker.close();
    };
    dir = mkdtempSync(join(tmpdir(), 'warren-ctl-'));
  });
  after(async () => {
    await close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('status shows the node in a table and as JSON', async () => {
    const r = await run('status');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Status of node warren@localhost/m);
    assert.match(r.stdout, new RegExp(`amqp 127\\.0\\.0\\.1:${broker.port}`));
    const j = await run('status', '--json');
    assert.equal(JSON.parse(j.stdout).overview.product_name, 'Warren');
  });

  it('users: add, duplicate, tags, password, list, delete', async () => {
    assert.equal((await run('add_user', 'ops', 'pw1')).code, 0);
    const dup = await run('add_user', 'ops', 'pw1');
    assert.equal(dup.code, 65);
    assert.match(dup.stderr, /user "ops" already exists/);
    assert.equal((await run('set_user_tags', 'ops', 'administrator', 'monitoring')).code, 0);
    assert.equal((await run('change_password', 'ops', 'pw2')).code, 0);
    const who = await ctl(url, ['--user', 'ops', '--password', 'pw2', 'list_users']);
    assert.equal(who.code, 0, who.stderr);
    assert.match(who.stdout, /^ops\s+\["administrator","monitoring"\]$/m);
    const old = await ctl(url, ['--user', 'ops', '--password', 'pw1', 'list_users']);
    assert.equal(old.code, 77);
    assert.match(old.stderr, /access refused: Login failed/);
    const json = JSON.parse((await run('list_users', '--json')).stdout) as { user: string; tags: string[] }[];
    assert.deepEqual(json.find((u) => u.user === 'ops')?.tags, ['administrator', 'monitoring']);
    assert.equal((await run('delete_user', 'ops')).code, 0);
    const gone = await run('delete_user', 'ops');
    assert.equal(gone.code, 65);
    assert.match(gone.stderr, /user "ops" does not exist/);
  });

  it('vhosts and permissions', async () => {
    assert.equal((await run('add_vhost', 'ctl-vh')).code, 0);
    assert.equal((await run('add_user', 'app', 'secret')).code, 0);
    assert.equal((await run('set_permissions', '-p', 'ctl-vh', 'app', '^app-', '^app-', '.*')).code, 0);
    const perms = await run('list_permissions', '-p', 'ctl-vh');
    assert.match(perms.stdout, /^app\s+\^app-\s+\^app-\s+\.\*$/m);
    assert.match((await run('list_vhosts')).stdout, /^ctl-vh$/m);
    const conn = await amqp.connect(`amqp://app:secret@127.0.0.1:${broker.port}/ctl-vh`);
    await conn.close();
    assert.equal((await run('delete_vhost', 'ctl-vh')).code, 0);
    assert.equal((await run('delete_vhost', 'ctl-vh')).code, 65);
    const bad = await run('set_permissions', 'app', '(', '.*', '.*');
    assert.equal(bad.code, 65);
    assert.match(bad.stderr, /^Error: .*pattern/m);
  });

  it('lists queues, exchanges, bindings, connections, consumers; purges and deletes queues; closes connections', async () => {
    const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${broker.port}/`);
    const closed = new Promise<Error & { code?: number }>((resolve) => conn.on('close', resolve));
    const ch = await conn.createChannel();
    await ch.assertExchange('ctl-x', 'topic', { durable: false });
    await ch.assertQueue('ctl-q', { durable: false });
    await ch.bindQueue('ctl-q', 'ctl-x', 'a.#');
    for (let i = 0; i < 3; i++) ch.sendToQueue('ctl-q', Buffer.from('m'));
    await ch.assertQueue('ctl-c', { durable: false });
    await ch.consume('ctl-c', () => undefined, { consumerTag: 'ctl-tag' });
    await ch.checkQueue('ctl-q'); // round trip: the publishes are in

    const q = await run('list_queues', 'name', 'messages', 'consumers');
    assert.equal(q.code, 0, q.stderr);
    assert.match(q.stdout, /^Listing queues for vhost \/ \.\.\.$/m);
    assert.match(q.stdout, /^name\s+messages\s+consumers$/m);
    assert.match(q.stdout, /^ctl-q\s+3\s+0$/m);
    const quiet = await run('list_queues', '-q', 'name');
    assert.doesNotMatch(quiet.stdout, /Listing/);
    assert.match(quiet.stdout, /^name\n/);
    const qf = JSON.parse((await run('list_queues', '--formatter', 'json', 'name')).stdout) as { name: string }[];
    assert.ok(qf.some((x) => x.name === 'ctl-q'));
    assert.equal((await run('list_queues', '--formatter', 'xml')).code, 64);
    const qj = JSON.parse((await run('list_queues', '--json', 'name', 'messages')).stdout) as { name: string; messages: number }[];
    assert.deepEqual(qj.find((x) => x.name === 'ctl-q'), { name: 'ctl-q', messages: 3 });
    assert.match((await run('list_exchanges')).stdout, /^ctl-x\s+topic$/m);
    assert.match((await run('list_bindings')).stdout, /^ctl-x\s+exchange\s+ctl-q\s+queue\s+a\.#\s+\{\}$/m);
    assert.match((await run('list_consumers')).stdout, /^ctl-c\s+.*ctl-tag\s+true\s+0\s+true\s+\{\}$/m);
    const conns = JSON.parse((await run('list_connections', '--json')).stdout) as { name: string; user: string }[];
    assert.equal(conns.length, 1);
    assert.equal(conns[0]!.user, 'guest');

    assert.equal((await run('purge_queue', 'ctl-q')).code, 0);
    assert.match((await run('list_queues')).stdout, /^ctl-q\s+0$/m);
    assert.equal((await run('delete_queue', 'ctl-q')).code, 0);
    assert.doesNotMatch((await run('list_queues')).stdout, /ctl-q/);
    assert.equal((await run('delete_queue', 'ctl-q')).code, 65);

    assert.equal((await run('close_connection', conns[0]!.name, 'go away')).code, 0);
    const err = await closed;
    assert.equal(err.code, 320);
    assert.match(err.message, /CONNECTION_FORCED - go away/);
  });

  it('exports and imports definitions (file and stdin); bad files fail with 65', async () => {
    const file = join(dir, 'defs.json');
    await run('add_vhost', 'exported');
    assert.equal((await run('export_definitions', file)).code, 0);
    const defs = JSON.parse(readFileSync(file, 'utf8')) as { vhosts: { name: string }[] };
    assert.ok(defs.vhosts.some((v) => v.name === 'exported'));
    assert.equal((await run('delete_vhost', 'exported')).code, 0);
    const imp = await run('import_definitions', file);
    assert.equal(imp.code, 0, imp.stderr);
    assert.match((await run('list_vhosts')).stdout, /^exported$/m);
    const viaStdin = await ctl(url, ['import_definitions', '-'], JSON.stringify({ vhosts: [{ name: 'from-stdin' }] }));
    assert.equal(viaStdin.code, 0, viaStdin.stderr);
    assert.match((await run('list_vhosts')).stdout, /^from-stdin$/m);
    const stdout = await run('export_definitions', '-');
    assert.ok(Array.isArray(JSON.parse(stdout.stdout).users));

    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ bindings: [{ source: 'nope', destination: 'nope', destination_type: 'queue', vhost: '/' }] }));
    const r = await run('import_definitions', bad);
    assert.equal(r.code, 65);
    assert.match(r.stderr, /^Error: definitions: bindings\[0\]/m);
    assert.equal((await run('import_definitions', join(dir, 'missing.json'))).code, 65);
  });

  it('set_policy, list_policies, clear_policy', async () => {
    const set = await run('set_policy', '--priority', '3', '--apply-to', 'queues', 'ttl', '^ttl\\.', '{"message-ttl":60000}');
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stdout, /Setting policy "ttl" for pattern "\^ttl\\\." to "\{"message-ttl":60000\}" with priority "3"/);
    const list = await run('list_policies');
    assert.match(list.stdout, /^\/\s+ttl\s+\^ttl\\\.\s+queues\s+\{"message-ttl":60000\}\s+3$/m);
    const bad = await run('set_policy', 'bad', '.*', '{"message-ttl":"soon"}');
    assert.equal(bad.code, 65);
    assert.match(bad.stderr, /^Error: Validation failed/m);
    assert.equal((await run('set_policy', 'bad', '.*', 'not json')).code, 64);
    assert.equal((await run('clear_policy', 'ttl')).code, 0);
    assert.equal((await run('clear_policy', 'ttl')).code, 65);
  });

  it('usage errors, unknown commands and an unreachable broker', async () => {
    const unknown = await run('frobnicate');
    assert.equal(unknown.code, 64);
    assert.match(unknown.stderr, /unknown command 'frobnicate'/);
    const args = await run('add_user', 'only-one');
    assert.equal(args.code, 64);
    assert.match(args.stderr, /Usage: warren ctl add_user USER PASSWORD/);
    const help = await run('help');
    assert.equal(help.code, 0);
    assert.match(help.stdout, /list_queues \[-p VHOST\] \[COLUMN \.\.\.\]/);
    const down = await ctl('http://127.0.0.1:1', ['status']);
    assert.equal(down.code, 69);
    assert.match(down.stderr, /cannot reach the management API at http:\/\/127\.0\.0\.1:1/);
    const json = await ctl('http://127.0.0.1:1', ['status', '--json']);
    assert.equal(JSON.parse(json.stderr).result, 'error');
  });
});
