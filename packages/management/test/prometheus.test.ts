// The Prometheus endpoint: rabbitmq_prometheus metric names, aggregated and per object.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import amqp from 'amqplib';
import { pino } from 'pino';
import { startBroker, type WarrenBroker } from '@warren/broker';
import { startPrometheus } from '../src/index.js';

/** Parses the text exposition format into name{labels} → value. */
function parse(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

describe('Prometheus metrics', () => {
  let broker: WarrenBroker;
  let prom: { port: number; close(): Promise<void> };
  const scrape = async (path: string) => {
    const res = await fetch(`http://127.0.0.1:${prom.port}${path}`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    return res.text();
  };

  before(async () => {
    broker = await startBroker({ port: 0, host: '127.0.0.1', logger: pino({ level: 'silent' }) });
    prom = await startPrometheus({ broker, port: 0, host: '127.0.0.1' });
  });
  after(async () => {
    await prom.close();
    await broker.close();
  });

  it('exposes RabbitMQ\'s metric names with the broker\'s figures', async () => {
    const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${broker.port}/`);
    try {
      const ch = await conn.createConfirmChannel();
      await ch.assertQueue('pq', { durable: false });
      await ch.assertQueue('pq2', { durable: false });
      for (let i = 0; i < 5; i++) ch.sendToQueue('pq', Buffer.from('x'));
      await ch.waitForConfirms();
      const m = await ch.get('pq', { noAck: false });
      assert.ok(m !== false);
      await ch.consume('pq2', () => undefined);

      const text = await scrape('/metrics');
      assert.match(text, /# TYPE rabbitmq_queue_messages_ready gauge/);
      assert.match(text, /# TYPE rabbitmq_global_messages_received_total counter/);
      const v = parse(text);
      assert.equal(v.get('rabbitmq_queue_messages_ready'), 4);
      assert.equal(v.get('rabbitmq_queue_messages_unacked'), 1);
      assert.equal(v.get('rabbitmq_queue_messages'), 5);
      assert.equal(v.get('rabbitmq_queue_consumers'), 1);
      assert.equal(v.get('rabbitmq_connections'), 1);
      assert.equal(v.get('rabbitmq_channels'), 1);
      assert.equal(v.get('rabbitmq_consumers'), 1);
      assert.equal(v.get('rabbitmq_queues'), 2);
      assert.equal(v.get('rabbitmq_global_messages_received_total{protocol="amqp091"}'), 5);
      assert.equal(v.get('rabbitmq_global_messages_confirmed_total{protocol="amqp091"}'), 5);
      assert.equal(v.get('rabbitmq_global_messages_delivered_total{protocol="amqp091"}'), 1);
      assert.equal(v.get('rabbitmq_global_messages_delivered_get_manual_ack_total{protocol="amqp091"}'), 1);
      assert.equal(v.get('rabbitmq_global_messages_acknowledged_total{protocol="amqp091"}'), 0);
      assert.equal(v.get('rabbitmq_global_publishers{protocol="amqp091"}'), 1);
      assert.equal(v.get('rabbitmq_global_consumers{protocol="amqp091"}'), 1);
      assert.ok((v.get('rabbitmq_process_resident_memory_bytes') ?? 0) > 0);
      assert.ok([...v.keys()].some((k) => k.startsWith('rabbitmq_identity_info{') && k.includes('rabbitmq_node="warren@localhost"')));
      assert.ok([...v.keys()].some((k) => k.startsWith('rabbitmq_build_info{')));
      ch.ack(m);
      await ch.checkQueue('pq');
      assert.equal(parse(await scrape('/metrics')).get('rabbitmq_global_messages_acknowledged_total{protocol="amqp091"}'), 1);

      const per = parse(await scrape('/metrics/per-object'));
      assert.equal(per.get('rabbitmq_queue_messages_ready{vhost="/",queue="pq"}'), 4);
      assert.equal(per.get('rabbitmq_queue_messages_ready{vhost="/",queue="pq2"}'), 0);
      assert.equal(per.get('rabbitmq_queue_consumers{vhost="/",queue="pq2"}'), 1);
      assert.ok([...per.keys()].some((k) => k.startsWith('rabbitmq_channel_messages_published_total{channel=')));
      assert.equal(per.get('rabbitmq_queue_messages_ready'), undefined);
    } finally {
      await conn.close();
    }
    let after = parse(await scrape('/metrics'));
    for (let i = 0; i < 100 && after.get('rabbitmq_connections') !== 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
      after = parse(await scrape('/metrics'));
    }
    assert.equal(after.get('rabbitmq_connections'), 0);
    assert.equal(after.get('rabbitmq_connections_opened_total'), 1);
    assert.equal(after.get('rabbitmq_connections_closed_total'), 1);
    // a closed channel's counts stay in the global totals
    assert.equal(after.get('rabbitmq_global_messages_received_total{protocol="amqp091"}'), 5);
    const missing = await fetch(`http://127.0.0.1:${prom.port}/nope`);
    assert.equal(missing.status, 404);
  });
});
