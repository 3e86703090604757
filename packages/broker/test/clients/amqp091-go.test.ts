// Another client library's own test suite against Warren: the integration tests of amqp091-go
// (RabbitMQ's Go client, Debian's golang-github-rabbitmq-amqp091-go-dev ships its source), run
// with `go test -tags integration` and AMQP_URL pointing at an in-process Warren.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { isExternal, withBroker } from '../helpers/broker.js';

const GOCODE = '/usr/share/gocode';
const SOURCE = path.join(GOCODE, 'src/github.com/rabbitmq/amqp091-go');

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, out }));
  });
}

test('amqp091-go integration test suite passes against Warren', { timeout: 600_000 }, async (t) => {
  assert.ok(existsSync(SOURCE), `${SOURCE} is missing: apt-get install -y golang-go golang-github-rabbitmq-amqp091-go-dev`);
  const gopath = mkdtempSync(path.join(tmpdir(), 'warren-go-'));
  t.after(() => rmSync(gopath, { recursive: true, force: true }));
  const pkg = path.join(gopath, 'src/github.com/rabbitmq/amqp091-go');
  cpSync(SOURCE, pkg, { recursive: true });
  // Two tests check RabbitMQ-specific behaviour only when the server's product is "RabbitMQ"
  // (otherwise they return early, and one leaks its connection). Warren implements that
  // behaviour, so they run for "Warren" too.
  const file = path.join(pkg, 'integration_test.go');
  const src = readFileSync(file, 'utf8');
  const patched = src
    .replace('product.(string) == "RabbitMQ"', '(product.(string) == "RabbitMQ" || product.(string) == "Warren")')
    .replace('server == "RabbitMQ"', '(server == "RabbitMQ" || server == "Warren")');
  assert.notEqual(patched, src);
  writeFileSync(file, patched);

  const broker = await withBroker();
  t.after(() => broker.close());
  const url = isExternal ? broker.url : `amqp://guest:guest@127.0.0.1:${broker.port}/`;
  const env = { ...process.env, GO111MODULE: 'off', GOFLAGS: '', GOPATH: `${gopath}:${GOCODE}`, AMQP_URL: url };
  const { code, out } = await run('go', ['test', '-tags', 'integration', '-count=1', '-timeout', '300s', '-v', '.'], pkg, env);
  const passed = (out.match(/^\s*--- PASS: /gm) ?? []).length;
  const failed = out.split('\n').filter((l) => /--- FAIL: |^FAIL|^panic:|goleak/.test(l));
  assert.deepEqual(failed, [], out.slice(-4000));
  assert.equal(code, 0, out.slice(-4000));
  assert.ok(passed >= 50, `only ${passed} tests passed:\n${out.slice(-2000)}`);
});
