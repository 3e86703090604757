// Connection lifecycle: handshake, server properties, tuning, authentication, and how the broker
// reacts to protocol violations at the connection level (raw sockets, byte-exact).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { withBroker, isExternal, type TestBroker } from './helpers/broker.js';
import {
  connect,
  openChannel,
  openConfirmChannel,
  publishConfirmed,
  getOne,
  safeClose,
  uniqueName,
  withTimeout,
  cleanup,
} from './helpers/amqp.js';
import {
  RawClient,
  PROTOCOL_HEADER,
  FRAME_HEARTBEAT,
  frame,
  methodFrame,
  methods,
  methodOf,
  shortstr,
  u16,
} from './helpers/raw-amqp.js';

const CAPABILITIES = [
  'publisher_confirms',
  'exchange_exchange_bindings',
  'basic.nack',
  'consumer_cancel_notify',
  'connection.blocked',
  'consumer_priorities',
  'authentication_failure_close',
  'per_consumer_qos',
  'direct_reply_to',
];

let broker: TestBroker;
before(async () => {
  broker = await withBroker();
});
after(async () => {
  await broker.close();
});

async function rawConnected(opts: Parameters<RawClient['handshake']>[0] = {}): Promise<RawClient> {
  const c = await RawClient.connect(broker.port, broker.host);
  await c.handshake(opts);
  return c;
}

describe('opening and closing', () => {
  test('amqplib connects, opens a channel and closes cleanly', async () => {
    const conn = await connect(broker.url);
    const ch = await openChannel(conn);
    const q = await ch.assertQueue('', { exclusive: true });
    assert.match(q.queue, /^amq\.gen-/);
    await withTimeout(ch.close(), 5000, 'channel.close');
    await withTimeout(conn.close(), 5000, 'connection.close');
  });

  test('server properties name the product and advertise every capability', async () => {
    const conn = await connect(broker.url);
    try {
      const props = conn.connection.serverProperties as unknown as Record<string, unknown>;
      // Only Warren calls itself Warren; the suite is validated against RabbitMQ too.
      if (!isExternal) assert.equal(props.product, 'Warren');
      assert.equal(typeof props.product, 'string');
      assert.equal(typeof props.version, 'string');
      const caps = props.capabilities as Record<string, unknown>;
      for (const cap of CAPABILITIES) assert.equal(caps[cap], true, `capability ${cap}`);
    } finally {
      await safeClose(conn);
    }
  });

  test('connection.start offers AMQP 0-9, PLAIN and en_US', async () => {
    const c = await RawClient.connect(broker.port, broker.host);
    try {
      const { start } = await c.handshake();
      assert.equal(start.versionMajor, 0);
      assert.equal(start.versionMinor, 9);
      assert.ok(start.mechanisms.split(' ').includes('PLAIN'), start.mechanisms);
      assert.ok(start.locales.split(' ').includes('en_US'), start.locales);
    } finally {
      c.destroy();
    }
  });

  test('connection.tune proposes channel_max 2047, frame_max 131072, heartbeat 60', async () => {
    const c = await RawClient.connect(broker.port, broker.host);
    try {
      const { tune } = await c.handshake({ heartbeat: 0 });
      assert.deepEqual(tune, { channelMax: 2047, frameMax: 131072, heartbeat: 60 });
    } finally {
      c.destroy();
    }
  });

  test('amqplib ends up with the negotiated frame_max and channel_max', async () => {
    const conn = await connect(broker.url);
    try {
      const inner = conn.connection as unknown as { frameMax: number; channelMax: number };
      assert.equal(inner.frameMax, 131072);
      assert.equal(inner.channelMax, 2047);
    } finally {
      await safeClose(conn);
    }
  });

  test('a client-initiated connection.close is answered with close-ok', async () => {
    const c = await rawConnected();
    try {
      c.send(methods.close());
      const f = await c.readUntil((x) => x.type !== FRAME_HEARTBEAT);
      assert.ok(f, 'socket closed before close-ok');
      assert.deepEqual(methodOf(f), { classId: 10, methodId: 51 });
    } finally {
      c.destroy();
    }
  });
});

describe('authentication and vhosts', () => {
  test('wrong password: amqplib sees 403 ACCESS_REFUSED', async () => {
    const url = broker.urlFor('guest', 'definitely-wrong');
    await assert.rejects(connect(url), (err: Error) => {
      assert.match(err.message, /403/);
      assert.match(err.message, /ACCESS_REFUSED/);
      return true;
    });
  });

  test('wrong password: connection.close 403 ACCESS_REFUSED on the wire', async () => {
    const c = await RawClient.connect(broker.port, broker.host);
    try {
      c.send(PROTOCOL_HEADER);
      await c.readMethod(10, 10);
      c.send(methods.startOk('guest', 'definitely-wrong'));
      const close = await c.expectConnectionClose();
      assert.equal(close.replyCode, 403);
      assert.match(close.replyText, /^ACCESS_REFUSED - /);
      assert.match(close.replyText, /PLAIN/);
    } finally {
      c.destroy();
    }
  });

  test('unknown user: 403 ACCESS_REFUSED', async () => {
    await assert.rejects(connect(broker.urlFor('nobody-such-user', 'guest')), /403.*ACCESS_REFUSED/s);
  });

  test('unknown vhost: connection.close 530 NOT_ALLOWED naming the vhost', async () => {
    const c = await RawClient.connect(broker.port, broker.host);
    try {
      c.send(PROTOCOL_HEADER);
      await c.readMethod(10, 10);
      c.send(methods.startOk('guest', 'guest'));
      await c.readMethod(10, 30);
      c.send(methods.tuneOk(2047, 131072, 0));
      c.send(methods.open('no-such-vhost'));
      const close = await c.expectConnectionClose();
      assert.equal(close.replyCode, 530);
      assert.match(close.replyText, /^NOT_ALLOWED - vhost no-such-vhost not found$/);
      assert.deepEqual([close.classId, close.methodId], [10, 40]);
    } finally {
      c.destroy();
    }
  });

  test('unknown vhost: amqplib connect fails with a connection.close instead of open-ok', async () => {
    // amqplib does not surface the reply code of a close received in place of open-ok.
    await assert.rejects(connect(broker.urlFor('guest', 'guest', 'no-such-vhost')), /ConnectionClose/);
  });
});

describe('protocol header', () => {
  for (const [name, header] of [
    ['AMQP 0-9-0', Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 0, 9, 0])],
    ['AMQP 1.0', Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 1, 0, 0])],
    ['HTTP', Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')],
  ] as const) {
    test(`a ${name} header gets AMQP\\x00\\x00\\x09\\x01 back and the socket closed`, async () => {
      const c = await RawClient.connect(broker.port, broker.host);
      try {
        c.send(header);
        const reply = await c.readBytes(8);
        assert.deepEqual(reply, PROTOCOL_HEADER);
        await c.waitClosed();
        assert.equal(c.pending.length, 0, 'nothing after the protocol header');
      } finally {
        c.destroy();
      }
    });
  }

  test('a method frame instead of a protocol header gets the protocol header back', async () => {
    const c = await RawClient.connect(broker.port, broker.host);
    try {
      c.send(methods.channelOpen(1));
      assert.deepEqual(await c.readBytes(8), PROTOCOL_HEADER);
      await c.waitClosed();
    } finally {
      c.destroy();
    }
  });
});

describe('frame-level errors close the connection', () => {
  test('an unknown frame type → 501 FRAME_ERROR, other connections unaffected', async () => {
    const q = uniqueName('bystander');
    const bystander = await connect(broker.url);
    try {
      const ch = await openConfirmChannel(bystander);
      await ch.assertQueue(q, { autoDelete: false });
      const c = await rawConnected();
      try {
        c.send(frame(99, 0, Buffer.from('hello')));
        const close = await c.expectConnectionClose();
        assert.equal(close.replyCode, 501);
        assert.match(close.replyText, /^FRAME_ERROR/);
      } finally {
        c.destroy();
      }
      await publishConfirmed(ch, '', q, ['still fine']);
      const got = await getOne(ch, q, { noAck: true });
      assert.ok(got);
      assert.equal(got.content.toString(), 'still fine');
    } finally {
      await safeClose(bystander);
      await cleanup(broker.url, { queues: [q] });
    }
  });

  test('a bad frame-end octet → 501 FRAME_ERROR', async () => {
    const c = await rawConnected();
    try {
      const f = methods.channelOpen(1);
      f[f.length - 1] = 0x00;
      c.send(f);
      const close = await c.expectConnectionClose();
      assert.equal(close.replyCode, 501);
      assert.match(close.replyText, /^FRAME_ERROR/);
    } finally {
      c.destroy();
    }
  });

  test('a body frame larger than the negotiated frame_max → 501 FRAME_ERROR', async () => {
    const c = await rawConnected({ frameMax: 4096 });
    try {
      await c.openChannel(1);
      c.send(methods.basicPublish(1, '', 'nowhere'));
      c.send(methods.contentHeader(1, 10_000));
      c.send(methods.body(1, Buffer.alloc(10_000, 0x61)));
      const close = await c.expectConnectionClose();
      assert.equal(close.replyCode, 501);
      assert.match(close.replyText, /^FRAME_ERROR/);
    } finally {
      c.destroy();
    }
  });

  test('a method frame larger than frame_max → 501 FRAME_ERROR', async () => {
    const c = await rawConnected({ frameMax: 4096 });
    try {
      c.send(methodFrame(1, 20, 10, shortstr(''), Buffer.alloc(5000)));
      const close = await c.expectConnectionClose();
      assert.equal(close.replyCode, 501);
    } finally {
      c.destroy();
    }
  });

  test('method arguments cut short → 501 FRAME_ERROR', async () => {
    const c = await rawConnected();
    try {
      await c.openChannel(1);
      c.send(methodFrame(1, 50, 10, u16(0))); // queue.declare with only reserved-1
      const close = await c.expectConnectionClose();
      assert.equal(close.replyCode, 501);
      assert.deepEqual([close.classId, close.methodId], [50, 10]);
    } finally {
      c.destroy();
    }
  });

  test('a heartbeat with a payload → 501 FRAME_ERROR', async () => {
    const c = await rawConnected();
    try {
      c.send(frame(FRAME_HEARTBEAT, 0, Buffer.from('x')));
      assert.equal((await c.expectConnectionClose()).replyCode, 501);
    } finally {
      c.destroy();
    }
  });

  test('a heartbeat on a non-zero channel → 505 UNEXPECTED_FRAME', async () => {
    const c = await rawConnected();
    try {
      await c.openChannel(1);
      c.send(frame(FRAME_HEARTBEAT, 1, Buffer.alloc(0)));
      const close = await c.expectConnectionClose();
      assert.equal(close.replyCode, 505);
      assert.match(close.replyText, /^UNEXPECTED_FRAME/);
    } finally {
      c.destroy();
    }
  });

  test('a content header with no publish before it → 505 UNEXPECTED_FRAME', async () => {
    const c = await rawConnected();
    try {
      await c.openChannel(1);
      c.send(methods.contentHeader(1, 5));
      const close = await c.expectConnectionClose();
      assert.equal(close.replyCode, 505);
      assert.match(close.replyText, /^UNEXPECTED_FRAME/);
    } finally {
      c.destroy();
    }
  });

  test('a method where the content header should be → 505 UNEXPECTED_FRAME', async () => {
    const c = await rawConnected();
    try {
      await c.openChannel(1);
      c.send(methods.basicPublish(1, '', 'nowhere'));
      c.send(methods.queueDeclare(1, uniqueName('never')));
      const close = await c.expectConnectionClose();
      assert.equal(close.replyCode, 505);
      assert.deepEqual([close.classId, close.methodId], [60, 40]);
    } finally {
      c.destroy();
    }
  });

  test('a body frame with no content header before it → 505 UNEXPECTED_FRAME', async () => {
    const c = await rawConnected();
    try {
      await c.openChannel(1);
      c.send(methods.basicPublish(1, '', 'nowhere'));
      c.send(methods.body(1, Buffer.from('abc')));
      assert.equal((await c.expectConnectionClose()).replyCode, 505);
    } finally {
      c.destroy();
    }
  });

  test('an unknown class id ends the connection', async () => {
    // RabbitMQ 3.10 just drops the socket here; a connection.close with an error code is also fine.
    const c = await rawConnected();
    try {
      await c.openChannel(1);
      c.send(methodFrame(1, 99, 1));
      const ending = await c.expectEnding();
      if (ending.kind === 'connection.close') assert.ok(ending.close.replyCode >= 500, String(ending.close.replyCode));
      await c.waitClosed();
    } finally {
      c.destroy();
    }
  });
});

describe('channel-level misuse that is a connection error', () => {
  test('a method on a channel that was never opened → 504 CHANNEL_ERROR', async () => {
    const c = await rawConnected();
    try {
      c.send(methods.queueDeclare(5, uniqueName('never')));
      const close = await c.expectConnectionClose();
      assert.equal(close.replyCode, 504);
      assert.match(close.replyText, /^CHANNEL_ERROR - expected 'channel\.open'/);
      assert.deepEqual([close.classId, close.methodId], [50, 10]);
    } finally {
      c.destroy();
    }
  });

  test('channel.open on channel 0 → 504 CHANNEL_ERROR', async () => {
    const c = await rawConnected();
    try {
      c.send(methods.channelOpen(0));
      const close = await c.expectConnectionClose();
      assert.equal(close.replyCode, 504);
      assert.deepEqual([close.classId, close.methodId], [20, 10]);
    } finally {
      c.destroy();
    }
  });

  test('a channel-class method on channel 0 → 504 CHANNEL_ERROR', async () => {
    const c = await rawConnected();
    try {
      c.send(methods.queueDeclare(0, uniqueName('never')));
      assert.equal((await c.expectConnectionClose()).replyCode, 504);
    } finally {
      c.destroy();
    }
  });

  test('opening an already open channel → 504 CHANNEL_ERROR', async () => {
    const c = await rawConnected();
    try {
      await c.openChannel(1);
      c.send(methods.channelOpen(1));
      const close = await c.expectConnectionClose();
      assert.equal(close.replyCode, 504);
      assert.match(close.replyText, /channel\.open/);
    } finally {
      c.destroy();
    }
  });

  test('opening more channels than the negotiated channel_max → 530 NOT_ALLOWED', async () => {
    // RabbitMQ 3.10 counts open channels against channel_max (it accepts a channel *number* above it).
    const c = await rawConnected({ channelMax: 2 });
    try {
      await c.openChannel(1);
      await c.openChannel(2);
      c.send(methods.channelOpen(3));
      const close = await c.expectConnectionClose();
      assert.equal(close.replyCode, 530);
      assert.match(close.replyText, /^NOT_ALLOWED - /);
      assert.match(close.replyText, /channel_max/);
    } finally {
      c.destroy();
    }
  });
});

describe('heartbeats', () => {
  test('with heartbeat=1 the broker sends heartbeats and drops a silent client, but keeps a beating one', async () => {
    const silent = await rawConnected({ heartbeat: 1 });
    const beating = await rawConnected({ heartbeat: 1 });
    const beat = setInterval(() => beating.send(frame(FRAME_HEARTBEAT, 0, Buffer.alloc(0))), 250);
    try {
      // The silent client sees heartbeats, then the socket closes (RabbitMQ: ~2-3 intervals).
      let heartbeats = 0;
      const deadline = Date.now() + 10_000; // generous: RabbitMQ drops it after ~3 s
      for (let i = 0; i < 100; i++) {
        const f = await silent.readFrame(Math.max(1, deadline - Date.now()));
        if (f === undefined) break;
        assert.equal(f.type, FRAME_HEARTBEAT, 'only heartbeats expected on an idle connection');
        assert.equal(f.channel, 0);
        assert.equal(f.payload.length, 0);
        heartbeats++;
      }
      assert.ok(silent.isEnded, 'silent client was never dropped');
      assert.ok(heartbeats >= 1, 'broker sent no heartbeats');

      // The beating client outlived the silent one and still works.
      assert.equal(beating.isEnded, false);
      await beating.openChannel(1);
    } finally {
      clearInterval(beat);
      silent.destroy();
      beating.destroy();
    }
  });
});
