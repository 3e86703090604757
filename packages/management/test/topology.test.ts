// Queues, exchanges, bindings, publish and get over HTTP, checked against AMQP clients.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import amqp from 'amqplib';
import { eventually, startMgmt, type Mgmt } from './helpers/mgmt.js';

describe('management API: queues, exchanges, bindings', () => {
  let m: Mgmt;
  before(async () => {
    m = await startMgmt();
  });
  after(() => m.close());

  it('PUT declares a queue (201), again equivalently (204), inequivalently (400)', async () => {
    assert.equal((await m.api('PUT', '/api/queues/%2F/q1', { durable: true, arguments: { 'x-max-length': 10 } })).status, 201);
    assert.equal((await m.api('PUT', '/api/queues/%2F/q1', { durable: true, arguments: { 'x-max-length': 10 } })).status, 204);
    const bad = await m.api('PUT', '/api/queues/%2F/q1', { durable: false });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error, 'bad_request');
    assert.match(bad.body.reason, /inequivalent arg 'durable' for queue 'q1' in vhost '\/'/);
    const q = await m.api('GET', '/api/queues/%2F/q1');
    assert.equal(q.status, 200);
    assert.equal(q.body.name, 'q1');
    assert.equal(q.body.vhost, '/');
    assert.equal(q.body.durable, true);
    assert.deepEqual(q.body.arguments, { 'x-max-length': 10 });
    assert.equal(q.body.messages, 0);
    // The queue is real: an AMQP client sees it.
    const conn = await amqp.connect(m.amqpUrl);
    try {
      const ch = await conn.createChannel();
      const ok = await ch.checkQueue('q1');
      assert.equal(ok.queue, 'q1');
    } finally {
      await conn.close();
    }
  });

  it('PUT into a missing vhost is 404 vhost_not_found', async () => {
    const r = await m.api('PUT', '/api/queues/nope/q', { durable: true });
    assert.deepEqual([r.status, r.body], [404, { error: 'not_found', reason: 'vhost_not_found' }]);
  });

  it('rejects malformed JSON, unknown fields and wrong types with 400 and changes nothing', async () => {
    const cases: [unknown, RegExp][] = [
      ['{bad json', /not_json/],
      [{ durable: true, bogus: 1 }, /unknown field 'bogus'/],
      [{ durable: 'yes' }, /durable must be boolean/],
      [{ arguments: [] }, /arguments/],
    ];
    for (const [body, reason] of cases) {
      const r = await m.api('PUT', '/api/queues/%2F/never', body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(r.body.error, 'bad_request');
      assert.match(JSON.stringify(r.body.reason), reason);
    }
    assert.equal((await m.api('GET', '/api/queues/%2F/never')).status, 404);
    const badArg = await m.api('PUT', '/api/queues/%2F/never', { arguments: { 'x-max-length': 'lots' } });
    assert.equal(badArg.status, 400);
    assert.equal((await m.api('GET', '/api/queues/%2F/never')).status, 404);
  });

  it('publishes through exchanges and gets messages back in every ackmode', async () => {
    await m.api('PUT', '/api/queues/%2F/work', { durable: false });
    const pub = await m.api('POST', '/api/exchanges/%2F/amq.default/publish', {
      routing_key: 'work', payload: 'hello', payload_encoding: 'string', properties: { delivery_mode: 2, headers: { n: 1 }, content_type: 'text/plain' },
    });
    assert.deepEqual([pub.status, pub.body], [200, { routed: true }]);
    const unrouted = await m.api('POST', '/api/exchanges/%2F/amq.default/publish', { routing_key: 'nowhere', payload: 'x', payload_encoding: 'string', properties: {} });
    assert.deepEqual(unrouted.body, { routed: false });
    const bin = await m.api('POST', '/api/exchanges/%2F/amq.default/publish', { routing_key: 'work', payload: Buffer.from([0, 1, 2, 255]).toString('base64'), payload_encoding: 'base64', properties: {} });
    assert.deepEqual(bin.body, { routed: true });

    // requeue: the messages stay, now redelivered
    const peek = await m.api('POST', '/api/queues/%2F/work/get', { count: 5, ackmode: 'ack_requeue_true', encoding: 'auto', truncate: 50000 });
    assert.equal(peek.status, 200);
    assert.equal(peek.body.length, 2);
    assert.deepEqual(peek.body[0], {
      payload_bytes: 5, redelivered: false, exchange: '', routing_key: 'work', message_count: 1,
      properties: { content_type: 'text/plain', delivery_mode: 2, headers: { n: 1 } }, payload: 'hello', payload_encoding: 'string',
    });
    assert.equal(peek.body[1].payload_encoding, 'base64');
    assert.equal(peek.body[1].payload, Buffer.from([0, 1, 2, 255]).toString('base64'));
    assert.deepEqual(peek.body[1].properties, []);
    const again = await m.api('POST', '/api/queues/%2F/work/get', { count: 1, ackmode: 'ack_requeue_true', encoding: 'base64', truncate: 2 });
    assert.equal(again.body[0].redelivered, true);
    assert.equal(again.body[0].payload, Buffer.from('he').toString('base64'));
    assert.equal(again.body[0].payload_bytes, 5);

    // ack_requeue_false consumes
    const take = await m.api('POST', '/api/queues/%2F/work/get', { count: 10, ackmode: 'ack_requeue_false', encoding: 'auto' });
    assert.equal(take.body.length, 2);
    assert.equal((await m.api('GET', '/api/queues/%2F/work')).body.messages, 0);
    const bad = await m.api('POST', '/api/queues/%2F/work/get', { count: 1, ackmode: 'whatever', encoding: 'auto' });
    assert.equal(bad.status, 400);
  });

  it('publish follows basic.publish rules: CC and BCC copies without the BCC header; a delayed exchange holds the message', async () => {
    for (const [q, key] of [['pub-main', 'main'], ['pub-cc', 'cc'], ['pub-bcc', 'bcc']] as const) {
      assert.equal((await m.api('PUT', `/api/queues/%2F/${q}`, { durable: false })).status, 201);
      assert.equal((await m.api('POST', `/api/bindings/%2F/e/amq.direct/q/${q}`, { routing_key: key })).status, 201);
    }
    const pub = await m.api('POST', '/api/exchanges/%2F/amq.direct/publish', {
      routing_key: 'main', payload: 'copies', payload_encoding: 'string', properties: { headers: { CC: ['cc'], BCC: ['bcc'] } },
    });
    assert.deepEqual(pub.body, { routed: true });
    for (const q of ['pub-main', 'pub-cc', 'pub-bcc']) {
      const [msg] = (await m.api('POST', `/api/queues/%2F/${q}/get`, { count: 1, ackmode: 'ack_requeue_false', encoding: 'auto' })).body;
      assert.equal(msg.payload, 'copies', q);
      assert.deepEqual(msg.properties.headers, { CC: ['cc'] }, q);
    }
    assert.equal((await m.api('PUT', '/api/exchanges/%2F/pub-delayed', { type: 'x-delayed-message', durable: false, arguments: { 'x-delayed-type': 'direct' } })).status, 201);
    assert.equal((await m.api('POST', '/api/bindings/%2F/e/pub-delayed/q/pub-main', { routing_key: 'main' })).status, 201);
    const held = await m.api('POST', '/api/exchanges/%2F/pub-delayed/publish', {
      routing_key: 'main', payload: 'later', payload_encoding: 'string', properties: { headers: { 'x-delay': 1500 } },
    });
    assert.deepEqual(held.body, { routed: true });
    assert.equal((await m.api('GET', '/api/queues/%2F/pub-main')).body.messages, 0, 'held, not in the queue yet');
    await eventually(async () => (await m.api('GET', '/api/queues/%2F/pub-main')).body.messages === 1, 'delivered once due');
  });

  it('reject_requeue_false dead-letters', async () => {
    await m.api('PUT', '/api/exchanges/%2F/dlx', { type: 'fanout', durable: false });
    await m.api('PUT', '/api/queues/%2F/dead', { durable: false });
    await m.api('POST', '/api/bindings/%2F/e/dlx/q/dead', {});
    await m.api('PUT', '/api/queues/%2F/src', { durable: false, arguments: { 'x-dead-letter-exchange': 'dlx' } });
    await m.api('POST', '/api/exchanges/%2F/amq.default/publish', { routing_key: 'src', payload: 'bye', payload_encoding: 'string', properties: {} });
    const r = await m.api('POST', '/api/queues/%2F/src/get', { count: 1, ackmode: 'reject_requeue_false', encoding: 'auto' });
    assert.equal(r.body[0].payload, 'bye');
    const dead = await m.api('POST', '/api/queues/%2F/dead/get', { count: 1, ackmode: 'ack_requeue_false', encoding: 'auto' });
    assert.equal(dead.body[0].payload, 'bye');
    assert.equal(dead.body[0].properties.headers['x-death'][0].reason, 'rejected');
  });

  it('purges contents, deletes with if-empty / if-unused', async () => {
    await m.api('PUT', '/api/queues/%2F/p', { durable: false });
    for (let i = 0; i < 3; i++) await m.api('POST', '/api/exchanges/%2F/amq.default/publish', { routing_key: 'p', payload: String(i), payload_encoding: 'string', properties: {} });
    const ifEmpty = await m.api('DELETE', '/api/queues/%2F/p?if-empty=true');
    assert.equal(ifEmpty.status, 400);
    assert.match(ifEmpty.body.reason, /not empty/);
    assert.equal((await m.api('DELETE', '/api/queues/%2F/p/contents')).status, 204);
    assert.equal((await m.api('GET', '/api/queues/%2F/p')).body.messages, 0);
    assert.equal((await m.api('DELETE', '/api/queues/%2F/p?if-empty=true')).status, 204);
    assert.equal((await m.api('DELETE', '/api/queues/%2F/p')).status, 404);
  });

  it('exchanges: list, get, PUT, DELETE, amq.default, reserved names', async () => {
    assert.equal((await m.api('PUT', '/api/exchanges/%2F/ex1', { type: 'topic', durable: true, arguments: { 'alternate-exchange': 'ae' } })).status, 201);
    assert.equal((await m.api('PUT', '/api/exchanges/%2F/ex1', { type: 'topic', durable: true, arguments: { 'alternate-exchange': 'ae' } })).status, 204);
    assert.equal((await m.api('PUT', '/api/exchanges/%2F/ex1', { type: 'direct' })).status, 400);
    const unknownType = await m.api('PUT', '/api/exchanges/%2F/ex2', { type: 'nope' });
    assert.equal(unknownType.status, 400);
    assert.match(unknownType.body.reason, /unknown exchange type 'nope'/);
    assert.equal((await m.api('PUT', '/api/exchanges/%2F/amq.custom', { type: 'direct' })).status, 401);
    const e = await m.api('GET', '/api/exchanges/%2F/ex1');
    assert.deepEqual(
      { name: e.body.name, vhost: e.body.vhost, type: e.body.type, durable: e.body.durable, auto_delete: e.body.auto_delete, internal: e.body.internal, arguments: e.body.arguments },
      { name: 'ex1', vhost: '/', type: 'topic', durable: true, auto_delete: false, internal: false, arguments: { 'alternate-exchange': 'ae' } },
    );
    const def = await m.api('GET', '/api/exchanges/%2F/amq.default');
    assert.equal(def.body.name, '');
    const names = (await m.api('GET', '/api/exchanges/%2F')).body.map((x: { name: string }) => x.name);
    for (const n of ['', 'amq.direct', 'amq.topic', 'amq.fanout', 'amq.headers', 'amq.match', 'ex1']) assert.ok(names.includes(n), n);
    assert.equal((await m.api('DELETE', '/api/exchanges/%2F/amq.direct')).status, 401);
    assert.equal((await m.api('DELETE', '/api/exchanges/%2F/ex1')).status, 204);
    assert.equal((await m.api('GET', '/api/exchanges/%2F/ex1')).status, 404);
  });

  it('bindings: every form, properties keys, source/destination listings, deletion', async () => {
    await m.api('PUT', '/api/exchanges/%2F/bx', { type: 'topic', durable: false });
    await m.api('PUT', '/api/exchanges/%2F/bx2', { type: 'fanout', durable: false });
    await m.api('PUT', '/api/queues/%2F/bq', { durable: false });
    const created = await m.api('POST', '/api/bindings/%2F/e/bx/q/bq', { routing_key: 'a.*', arguments: { x: 1 } });
    assert.equal(created.status, 201);
    const location = created.headers.get('location') ?? '';
    assert.match(location, /^\/api\/bindings\/%2F\/e\/bx\/q\/bq\/a\.%252A~/);
    assert.equal((await m.api('POST', '/api/bindings/%2F/e/bx/q/bq', { routing_key: 'plain' })).status, 201);
    assert.equal((await m.api('POST', '/api/bindings/%2F/e/bx/e/bx2', { routing_key: 'k.#' })).status, 201);

    const list = await m.api('GET', '/api/bindings/%2F/e/bx/q/bq');
    assert.equal(list.body.length, 2);
    const withArgs = list.body.find((b: { routing_key: string }) => b.routing_key === 'a.*');
    assert.deepEqual(withArgs.arguments, { x: 1 });
    assert.equal(withArgs.destination_type, 'queue');
    assert.equal(location, `/api/bindings/%2F/e/bx/q/bq/${encodeURIComponent(withArgs.properties_key)}`);
    const one = await m.api('GET', location);
    assert.equal(one.body.routing_key, 'a.*');
    assert.equal((await m.api('GET', '/api/bindings/%2F/e/bx/q/bq/plain')).body.routing_key, 'plain');

    const src = await m.api('GET', '/api/exchanges/%2F/bx/bindings/source');
    assert.equal(src.body.length, 3);
    const dst = await m.api('GET', '/api/exchanges/%2F/bx2/bindings/destination');
    assert.deepEqual(dst.body.map((b: { source: string; destination_type: string }) => [b.source, b.destination_type]), [['bx', 'exchange']]);
    const qb = await m.api('GET', '/api/queues/%2F/bq/bindings');
    assert.deepEqual(qb.body.map((b: { source: string }) => b.source).sort(), ['', 'bx', 'bx']);
    const all = await m.api('GET', '/api/bindings');
    assert.ok(all.body.some((b: { source: string; destination: string }) => b.source === 'bx' && b.destination === 'bx2'));
    assert.equal((await m.api('GET', '/api/bindings/%2F/e/bx/e/bx2')).body.length, 1);

    // The binding routes: publish via HTTP to the topic exchange lands in the queue.
    assert.deepEqual((await m.api('POST', '/api/exchanges/%2F/bx/publish', { routing_key: 'plain', payload: 'p', payload_encoding: 'string', properties: {} })).body, { routed: true });

    assert.equal((await m.api('DELETE', location)).status, 204);
    assert.equal((await m.api('GET', location)).status, 404);
    assert.equal((await m.api('DELETE', `/api/bindings/%2F/e/bx/e/bx2/${encodeURIComponent('k.%23')}`)).status, 204);
    assert.equal((await m.api('GET', '/api/bindings/%2F/e/bx/e/bx2')).body.length, 0);
    assert.equal((await m.api('POST', '/api/bindings/%2F/e/missing/q/bq', {})).status, 404);
  });

  it('list parameters: columns, sort, sort_reverse, pagination with name filter and regex', async () => {
    for (const n of ['pg-a', 'pg-b', 'pg-c', 'other']) await m.api('PUT', `/api/vhosts/pv`, {}).then(() => m.api('PUT', `/api/queues/pv/${n}`, { durable: false }));
    const cols = await m.api('GET', '/api/queues/pv?columns=name,vhost');
    assert.deepEqual(cols.body, [{ name: 'other', vhost: 'pv' }, { name: 'pg-a', vhost: 'pv' }, { name: 'pg-b', vhost: 'pv' }, { name: 'pg-c', vhost: 'pv' }]);
    const rev = await m.api('GET', '/api/queues/pv?columns=name&sort=name&sort_reverse=true');
    assert.deepEqual(rev.body.map((q: { name: string }) => q.name), ['pg-c', 'pg-b', 'pg-a', 'other']);
    const page = await m.api('GET', '/api/queues/pv?page=2&page_size=2&columns=name&name=pg');
    assert.deepEqual(page.body, { filtered_count: 3, item_count: 1, items: [{ name: 'pg-c' }], page: 2, page_count: 2, page_size: 2, total_count: 4 });
    const re = await m.api('GET', '/api/queues/pv?page=1&page_size=10&columns=name&name=%5Epg-%5Bab%5D%24&use_regex=true');
    assert.deepEqual(re.body.items, [{ name: 'pg-a' }, { name: 'pg-b' }]);
    const out = await m.api('GET', '/api/queues/pv?page=9&page_size=2');
    assert.equal(out.status, 400);
    assert.equal(out.body.error, 'page_out_of_range');
    assert.equal((await m.api('GET', '/api/queues/pv?page=0')).status, 400);
    const nested = await m.api('GET', '/api/queues/pv?columns=name,message_stats.publish&sort=name');
    assert.deepEqual(nested.body[0], { name: 'other', message_stats: { publish: 0 } });
  });

  it('accepts bodies the way rabbitmqadmin sends them (string booleans and counts, path fields repeated)', async () => {
    assert.equal((await m.api('PUT', '/api/queues/%2F/adm-q', { vhost: '/', name: 'adm-q', durable: 'false', auto_delete: 'false', arguments: {}, queue_type: 'classic' })).status, 201);
    assert.equal((await m.api('GET', '/api/queues/%2F/adm-q')).body.durable, false);
    assert.equal((await m.api('PUT', '/api/exchanges/%2F/adm-x', { vhost: '/', name: 'adm-x', type: 'fanout', durable: 'true', internal: 'false', auto_delete: 'false', arguments: {} })).status, 201);
    assert.equal((await m.api('POST', '/api/bindings/%2F/e/adm-x/q/adm-q', { vhost: '/', source: 'adm-x', destination: 'adm-q', destination_type: 'queue', routing_key: '', arguments: {} })).status, 201);
    const pub = await m.api('POST', '/api/exchanges/%2F/adm-x/publish', { vhost: '/', exchange: 'adm-x', routing_key: '', payload: 'p', properties: {}, payload_encoding: 'string' });
    assert.deepEqual(pub.body, { routed: true });
    const got = await m.api('POST', '/api/queues/%2F/adm-q/get', { vhost: '/', queue: 'adm-q', count: '1', ackmode: 'ack_requeue_false', encoding: 'auto' });
    assert.equal(got.body[0].payload, 'p');
    assert.equal((await m.api('PUT', '/api/vhosts/adm-v', { vhost: '/', name: 'adm-v' })).status, 201);
    assert.equal((await m.api('PUT', '/api/users/adm-u', { vhost: '/', name: 'adm-u', password: 'x', tags: 'management' })).status, 201);
    assert.equal((await m.api('PUT', '/api/queues/%2F/adm-q2', { durable: 'maybe' })).status, 400);
    assert.equal((await m.api('POST', '/api/queues/%2F/adm-q/get', { count: 'many', ackmode: 'ack_requeue_false' })).status, 400);
  });

  it('enforces vhost permissions for HTTP operations', async () => {
    await m.api('PUT', '/api/users/limited', { password: 'pw', tags: 'management' });
    await m.api('PUT', '/api/permissions/%2F/limited', { configure: '^mine-', write: '^mine-', read: '^mine-' });
    const as: [string, string] = ['limited', 'pw'];
    assert.equal((await m.api('PUT', '/api/queues/%2F/mine-q', { durable: false }, as)).status, 201);
    const refused = await m.api('PUT', '/api/queues/%2F/other-q', { durable: false }, as);
    assert.equal(refused.status, 401);
    assert.match(refused.body.reason, /access to queue 'other-q' in vhost '\/' refused for user 'limited'/);
    assert.equal((await m.api('POST', '/api/exchanges/%2F/amq.default/publish', { routing_key: 'mine-q', payload: 'x', properties: {} }, as)).status, 401);
    assert.equal((await m.api('POST', '/api/queues/%2F/q1/get', { count: 1, ackmode: 'ack_requeue_true' }, as)).status, 401);
  });
});
