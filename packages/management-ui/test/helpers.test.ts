// The UI's pure helpers: API error bodies, hash routes, form JSON and display formats.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError, errorFrom } from '../src/api.js';
import { bytes, count, keyValues, rate, tags } from '../src/format.js';
import { href, parseHash } from '../src/hooks.js';
import { parseJsonObject } from '../src/parse.js';

test('API errors keep RabbitMQ\'s error and reason and the HTTP status', async () => {
  const e = await errorFrom(new Response('{"error":"Object Not Found","reason":"Not Found"}', { status: 404, statusText: 'Not Found' }));
  assert.ok(e instanceof ApiError);
  assert.equal(e.status, 404);
  assert.equal(e.error, 'Object Not Found');
  assert.equal(e.reason, 'Not Found');
  assert.equal(e.message, 'Object Not Found: Not Found');
});

test('API errors without a JSON body fall back to the status text and the body\'s start', async () => {
  const empty = await errorFrom(new Response('', { status: 406, statusText: 'Not Acceptable' }));
  assert.deepEqual([empty.status, empty.error, empty.reason], [406, 'Not Acceptable', '']);
  const html = await errorFrom(new Response('<html>bad gateway</html>', { status: 502, statusText: 'Bad Gateway' }));
  assert.deepEqual([html.error, html.reason], ['Bad Gateway', '<html>bad gateway</html>']);
  const structured = await errorFrom(new Response('{"error":"bad_request","reason":{"field":"durable"}}', { status: 400 }));
  assert.equal(structured.reason, '{"field":"durable"}');
});

test('hash routes decode each segment, so vhost "/" survives as %2F', () => {
  assert.deepEqual(parseHash(''), []);
  assert.deepEqual(parseHash('#/'), []);
  assert.deepEqual(parseHash('#/queues'), ['queues']);
  assert.deepEqual(parseHash('#/queues/%2F/a%20b'), ['queues', '/', 'a b']);
  assert.deepEqual(parseHash('#/queues/%E0%A4%A/x'), ['queues', '%E0%A4%A', 'x']);
  assert.equal(href('queues', '/', 'a/b'), '#/queues/%2F/a%2Fb');
  assert.deepEqual(parseHash(href('exchanges', 'v h', 'x#1')), ['exchanges', 'v h', 'x#1']);
});

test('form JSON must be an object; empty means none', () => {
  assert.deepEqual(parseJsonObject('', 'Arguments'), {});
  assert.deepEqual(parseJsonObject(' {"x-max-length": 10} ', 'Arguments'), { 'x-max-length': 10 });
  assert.throws(() => parseJsonObject('{x', 'Arguments'), /^Error: Arguments is not valid JSON/);
  assert.throws(() => parseJsonObject('[1]', 'Headers'), /Headers must be a JSON object/);
  assert.throws(() => parseJsonObject('null', 'Headers'), /Headers must be a JSON object/);
});

test('display formats', () => {
  assert.equal(count(1234567), '1,234,567');
  assert.equal(count(undefined), '–');
  assert.equal(rate(0), '0.0/s');
  assert.equal(rate(2.345), '2.3/s');
  assert.equal(rate(1234.6), '1,235/s');
  assert.equal(bytes(13.6), '14 B');
  assert.equal(bytes(2048), '2.0 KiB');
  assert.equal(bytes(5 * 1024 ** 3), '5.0 GiB');
  assert.equal(tags(['administrator', 'monitoring']), 'administrator, monitoring');
  assert.equal(tags('administrator,management'), 'administrator, management');
  assert.equal(tags(''), '');
  assert.equal(keyValues({ 'x-max-length': 10, 'x-queue-mode': 'lazy' }), 'x-max-length: 10; x-queue-mode: lazy');
});
