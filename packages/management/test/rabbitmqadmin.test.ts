// RabbitMQ's own command-line tool, rabbitmqadmin (shipped by Debian's rabbitmq-server, which
// .ci/run installs), driven against Warren's management API: every verb it has, checked through
// the API and an AMQP client.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import amqp from 'amqplib';
import { startMgmt, type Mgmt } from './helpers/mgmt.js';

const run = promisify(execFile);
const RABBITMQADMIN = '/usr/bin/rabbitmqadmin';

describe('rabbitmqadmin against the management API', () => {
  let m: Mgmt;
  let dir: string;
  let admin: (...args: string[]) => Promise<string>;
  before(async () => {
    m = await startMgmt();
    dir = mkdtempSync(join(tmpdir(), 'warren-rabbitmqadmin-'));
    const port = new URL(m.base).port;
    admin = async (...args) => (await run('/usr/bin/python3', [RABBITMQADMIN, '-H', '127.0.0.1', '-P', port, '-u', 'guest', '-p', 'guest', ...args], { timeout: 30_000 })).stdout;
  });
  after(async () => {
    await m.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('show overview and list every listable type', async () => {
    const overview = JSON.parse(await admin('-f', 'raw_json', 'show', 'overview')) as Array<Record<string, unknown>>;
    assert.equal(overview[0]!['rabbitmq_version'], '3.10.8');
    for (const t of ['connections', 'channels', 'consumers', 'exchanges', 'queues', 'bindings', 'users', 'vhosts', 'permissions', 'nodes', 'parameters', 'policies', 'operator_policies', 'vhost_limits']) {
      const rows = JSON.parse(await admin('-f', 'raw_json', 'list', t)) as unknown[];
      assert.ok(Array.isArray(rows), t);
    }
    const exchanges = await admin('-f', 'tsv', '-q', 'list', 'exchanges', 'name', 'type');
    assert.match(exchanges, /^amq\.topic\ttopic$/m);
  });

  it('declare, publish, get, purge and delete topology; users, permissions, policies, parameters, limits', async () => {
    await admin('declare', 'vhost', 'name=v2');
    await admin('declare', 'user', 'name=alice', 'password=secret', 'tags=monitoring');
    await admin('declare', 'permission', 'vhost=v2', 'user=alice', 'configure=.*', 'write=.*', 'read=.*');
    await admin('declare', 'exchange', 'name=ex1', 'type=topic');
    await admin('declare', 'queue', 'name=q1', 'durable=false', 'arguments={"x-max-length":100}');
    await admin('declare', 'queue', 'name=qq', 'queue_type=quorum');
    await admin('declare', 'binding', 'source=ex1', 'destination=q1', 'routing_key=a.*');
    assert.deepEqual((await m.api('GET', '/api/queues/%2F/q1')).body.arguments, { 'x-max-length': 100 });
    assert.equal((await m.api('GET', '/api/queues/%2F/qq')).body.arguments['x-queue-type'], 'quorum');
    assert.deepEqual((await m.api('GET', '/api/users/alice')).body.tags, ['monitoring']);
    assert.equal((await m.api('GET', '/api/permissions/v2/alice')).body.read, '.*');

    assert.match(await admin('publish', 'exchange=ex1', 'routing_key=a.b', 'payload=hello world', 'properties={"content_type":"text/plain"}'), /Message published/);
    const got = JSON.parse(await admin('-f', 'raw_json', 'get', 'queue=q1', 'ackmode=ack_requeue_false')) as Array<Record<string, unknown>>;
    assert.deepEqual([got[0]!['payload'], got[0]!['routing_key'], got[0]!['exchange']], ['hello world', 'a.b', 'ex1']);
    await admin('publish', 'routing_key=q1', 'payload=again');
    assert.equal((await m.api('GET', '/api/queues/%2F/q1')).body.messages, 1);
    await admin('purge', 'queue', 'name=q1');
    assert.equal((await m.api('GET', '/api/queues/%2F/q1')).body.messages, 0);

    await admin('declare', 'policy', 'name=p1', 'pattern=^q', 'definition={"max-length":5}', 'apply-to=queues');
    await admin('declare', 'operator_policy', 'name=op1', 'pattern=^q', 'definition={"max-length":50}');
    await admin('declare', 'parameter', 'component=federation-upstream', 'name=up1', 'value={"uri":"amqp://localhost"}');
    await admin('declare', 'vhost_limit', 'vhost=v2', 'name=max-connections', 'value=10');
    assert.deepEqual((await m.api('GET', '/api/policies/%2F/p1')).body.definition, { 'max-length': 5 });
    assert.deepEqual((await m.api('GET', '/api/operator-policies/%2F/op1')).body.definition, { 'max-length': 50 });
    assert.deepEqual((await m.api('GET', '/api/parameters/federation-upstream/%2F/up1')).body.value, { uri: 'amqp://localhost' });
    assert.deepEqual((await m.api('GET', '/api/vhost-limits/v2')).body[0].value, { 'max-connections': 10 });

    await admin('delete', 'binding', 'source=ex1', 'destination_type=queue', 'destination=q1', 'properties_key=a.*');
    assert.deepEqual((await m.api('GET', '/api/bindings/%2F/e/ex1/q/q1')).body, []);
    for (const args of [['queue', 'name=q1'], ['queue', 'name=qq'], ['exchange', 'name=ex1'], ['policy', 'name=p1'], ['operator_policy', 'name=op1'],
      ['parameter', 'component=federation-upstream', 'name=up1'], ['vhost_limit', 'vhost=v2', 'name=max-connections'],
      ['permission', 'vhost=v2', 'user=alice'], ['user', 'name=alice'], ['vhost', 'name=v2']]) {
      await admin('delete', ...args);
    }
    assert.equal((await m.api('GET', '/api/queues/%2F/q1')).status, 404);
    assert.equal((await m.api('GET', '/api/exchanges/%2F/ex1')).status, 404);
    assert.equal((await m.api('GET', '/api/users/alice')).status, 404);
    assert.equal((await m.api('GET', '/api/vhosts/v2')).status, 404);
  });

  it('export and import definitions round-trip', async () => {
    await admin('declare', 'exchange', 'name=keep-ex', 'type=fanout');
    await admin('declare', 'queue', 'name=keep-q');
    await admin('declare', 'binding', 'source=keep-ex', 'destination=keep-q');
    const file = join(dir, 'defs.json');
    await admin('export', file);
    const defs = JSON.parse(readFileSync(file, 'utf8')) as { queues: Array<{ name: string }> };
    assert.ok(defs.queues.some((q) => q.name === 'keep-q'));
    await admin('delete', 'queue', 'name=keep-q');
    await admin('delete', 'exchange', 'name=keep-ex');
    await admin('import', file);
    assert.equal((await m.api('GET', '/api/queues/%2F/keep-q')).status, 200);
    assert.equal((await m.api('GET', '/api/bindings/%2F/e/keep-ex/q/keep-q')).body.length, 1);
  });

  it('lists a live connection and its consumer, then closes the connection', async () => {
    const conn = await amqp.connect(m.amqpUrl);
    // amqplib reports a 320 from the broker as the close event's error
    const closed = new Promise<Error | undefined>((resolve) => conn.on('close', resolve));
    const ch = await conn.createChannel();
    await ch.assertQueue('admin-consumed', { durable: false });
    await ch.consume('admin-consumed', () => undefined, { consumerTag: 'admin-ctag' });
    const consumers = JSON.parse(await admin('-f', 'raw_json', 'list', 'consumers')) as Array<Record<string, unknown>>;
    assert.ok(consumers.some((c) => c['consumer_tag'] === 'admin-ctag'));
    const conns = JSON.parse(await admin('-f', 'raw_json', 'list', 'connections', 'name')) as Array<{ name: string }>;
    assert.equal(conns.length, 1);
    await admin('close', 'connection', `name=${conns[0]!.name}`);
    assert.match(String((await closed)?.message), /320 \(CONNECTION-FORCED\)/);
  });
});
