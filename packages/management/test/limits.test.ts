// vhost limits: set over HTTP, enforced on AMQP connections and queue declarations.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import amqp from 'amqplib';
import { startMgmt, type Mgmt } from './helpers/mgmt.js';

describe('vhost limits', () => {
  let m: Mgmt;
  before(async () => {
    m = await startMgmt();
    await m.api('PUT', '/api/vhosts/lim', {});
  });
  after(() => m.close());

  it('are set, listed, validated and exported as RabbitMQ does', async () => {
    assert.equal((await m.api('PUT', '/api/vhost-limits/lim/max-queues', { value: 1 })).status, 204);
    assert.equal((await m.api('PUT', '/api/vhost-limits/lim/max-connections', { value: 1 })).status, 204);
    assert.deepEqual((await m.api('GET', '/api/vhost-limits')).body, [{ vhost: 'lim', value: { 'max-queues': 1, 'max-connections': 1 } }]);
    assert.deepEqual((await m.api('GET', '/api/vhost-limits/lim')).body, [{ vhost: 'lim', value: { 'max-queues': 1, 'max-connections': 1 } }]);
    const bad = await m.api('PUT', '/api/vhost-limits/lim/max-queues', { value: 'x' });
    assert.equal(bad.status, 400);
    assert.match(bad.body.reason, /max-queues should be a number/);
    assert.equal((await m.api('PUT', '/api/vhost-limits/lim/bogus', { value: 1 })).status, 400);
    assert.equal((await m.api('PUT', '/api/vhost-limits/nowhere/max-queues', { value: 1 })).status, 404);
    const defs = (await m.api('GET', '/api/definitions')).body;
    assert.ok(defs.parameters.some((p: { component: string; vhost: string }) => p.component === 'vhost-limits' && p.vhost === 'lim'));
  });

  it('max-queues refuses one queue too many over AMQP (406) and HTTP (400)', async () => {
    const conn = await amqp.connect(m.amqpUrlFor('guest', 'guest', 'lim'));
    try {
      const ch = await conn.createChannel();
      await ch.assertQueue('first', { durable: false });
      await ch.assertQueue('first', { durable: false }); // redeclaring is fine
      const closed = new Promise((resolve) => ch.on('error', resolve));
      await assert.rejects(ch.assertQueue('second', { durable: false }), /PRECONDITION_FAILED - cannot declare queue 'second': queue limit in vhost 'lim' \(1\) is reached/);
      await closed;
      const http = await m.api('PUT', '/api/queues/lim/third', { durable: false });
      assert.equal(http.status, 400);
      assert.match(http.body.reason, /queue limit in vhost 'lim' \(1\) is reached/);
    } finally {
      await conn.close();
    }
  });

  it('max-connections refuses one connection too many with 530', async () => {
    const first = await amqp.connect(m.amqpUrlFor('guest', 'guest', 'lim'));
    try {
      // amqplib does not show the reply text of a close during the handshake; pika does.
      await assert.rejects(amqp.connect(m.amqpUrlFor('guest', 'guest', 'lim')), /ConnectionClose/);
      const script = `
import pika, sys
try:
    pika.BlockingConnection(pika.URLParameters(sys.argv[1]))
    print('connected')
except Exception as e:
    print(repr(e))
`;
      const out = await new Promise<string>((resolve, reject) => {
        execFile('/usr/bin/python3', ['-c', script, m.amqpUrlFor('guest', 'guest', 'lim')], { timeout: 30_000 }, (err, stdout) => (err ? reject(err) : resolve(String(stdout))));
      });
      // (pika's repr escapes the quotes)
      assert.match(out, /\(530\) "NOT_ALLOWED - access to vhost \\?'lim\\?' refused for user \\?'guest\\?': connection limit \(1\) is reached"/);
    } finally {
      await first.close();
    }
    assert.equal((await m.api('DELETE', '/api/vhost-limits/lim/max-connections')).status, 204);
    const a = await amqp.connect(m.amqpUrlFor('guest', 'guest', 'lim'));
    const b = await amqp.connect(m.amqpUrlFor('guest', 'guest', 'lim'));
    await a.close();
    await b.close();
    assert.equal((await m.api('DELETE', '/api/vhost-limits/lim/max-connections')).status, 404);
    assert.equal((await m.api('DELETE', '/api/vhost-limits/lim/max-queues')).status, 204);
    assert.deepEqual((await m.api('GET', '/api/vhost-limits')).body, []);
  });
});
