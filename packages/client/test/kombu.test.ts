// Serialization interop with Python Kombu (Debian python3-kombu): Kombu's json messages decode to the
// same value here and ours decode to the same value in Kombu — on Warren and on RabbitMQ.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect, Queue } from '../src/index.js';
import { forEachBroker, uniqueName, until } from './helpers/brokers.js';

const script = join(dirname(fileURLToPath(import.meta.url)), 'python', 'kombu_interop.py');

function kombu(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('/usr/bin/python3', [script, ...args], { timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`kombu_interop.py ${args[0]} failed: ${err.message}\n${String(stderr)}`));
      else resolve(String(stdout));
    });
  });
}

/** Kombu spells the default vhost "/" as a trailing "//". */
function kombuUrl(url: string): string {
  return url.replace(/\/$/, '//');
}

const value = {
  text: 'zażółć gęślą jaźń ✓',
  int: 42,
  big: 9007199254740991,
  float: 3.25,
  yes: true,
  nothing: null,
  list: [1, 'two', { three: 3 }],
  nested: { deep: { deeper: ['x'] } },
};

forEachBroker((broker) => {
  test('a json message published by Kombu decodes to the same value (also with Kombu zlib compression)', async () => {
    const conn = await connect(broker().url);
    try {
      const q = new Queue(uniqueName('from-kombu'), { durable: false });
      const got: Array<{ body: unknown; type: string | undefined }> = [];
      await conn.consume(q, (body, msg) => { got.push({ body, type: msg.contentType }); });
      await kombu(['publish', kombuUrl(broker().url), q.name, JSON.stringify(value)]);
      await kombu(['publish', kombuUrl(broker().url), q.name, JSON.stringify(value), 'zlib']);
      await until(() => got.length === 2, 15_000, 'the Kombu messages');
      assert.deepEqual(got[0], { body: value, type: 'application/json' });
      assert.deepEqual(got[1], { body: value, type: 'application/json' });
      await conn.deleteQueue(q);
    } finally {
      await conn.close();
    }
  });

  test('a json message published here decodes to the same value in Kombu', async () => {
    const conn = await connect(broker().url);
    try {
      const q = new Queue(uniqueName('to-kombu'), { durable: false });
      await conn.declare(q);
      await conn.publish(value, { routingKey: q.name });
      const out = JSON.parse(await kombu(['get', kombuUrl(broker().url), q.name])) as Record<string, unknown>;
      assert.deepEqual(out, { payload: value, content_type: 'application/json', content_encoding: 'utf-8' });
      await conn.deleteQueue(q);
    } finally {
      await conn.close();
    }
  });
});
