// Robustness: hostile raw-socket clients (random bytes, random frames, truncated frames) must only ever
// get a well-formed answer — a protocol header, frames, a close with an error code — or a closed socket.
// The broker must survive: a well-behaved connection opened before the fuzzing keeps working, and
// messages stored before are still there afterwards.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { withBroker, type TestBroker } from './helpers/broker.js';
import {
  Session,
  consume,
  bodies,
  getAll,
  queueCounts,
} from './helpers/amqp.js';
import {
  RawClient,
  PROTOCOL_HEADER,
  FRAME_METHOD,
  decodeClose,
  frame,
  isMethod,
  methodFrame,
  methods,
  type RawFrame,
} from './helpers/raw-amqp.js';

// RabbitMQ waits ~3 s before closing a connection that failed during the handshake or with a frame
// error, so each case may take that long; cases therefore run in parallel batches.
const CASE_TIMEOUT_MS = 8000;
const BATCH = 25;

let broker: TestBroker;
let bystander: Session;
let storedQueue: string;
const STORED = ['kept-1', 'kept-2', 'kept-3', 'kept-4', 'kept-5'];

before(async () => {
  broker = await withBroker();
  bystander = await Session.open(broker.url);
  storedQueue = await bystander.queue('stored');
  await bystander.publish('', storedQueue, STORED, { deliveryMode: 2 });
});
after(async () => {
  await bystander?.close();
  await broker?.close();
});

/** Reply codes AMQP allows in a close: 200 for a normal close, else the 3xx-5xx error codes. */
function assertCloseCode(f: RawFrame, what: string): void {
  const { replyCode } = decodeClose(f);
  assert.ok(replyCode === 200 || (replyCode >= 300 && replyCode < 600), `${what} with reply code ${replyCode}`);
}

/**
 * Reads everything the broker sends until it closes the socket, checking that it is well formed.
 * We half-closed our side already, so the broker sees EOF and must close within the bound.
 */
async function checkBrokerAnswer(c: RawClient): Promise<void> {
  // A broker that rejects the protocol header answers with its own header and nothing else.
  const head = await c.readBytes(4, CASE_TIMEOUT_MS);
  if (head === undefined) return; // closed without a word: fine
  if (head.toString('latin1') === 'AMQP') {
    const rest = await c.readBytes(4, CASE_TIMEOUT_MS);
    if (rest === undefined) assert.fail('broker sent a truncated protocol header');
    assert.deepEqual(Buffer.concat([head, rest]), PROTOCOL_HEADER);
    await c.waitClosed(CASE_TIMEOUT_MS);
    assert.equal(c.pending.length, 0, 'nothing may follow the protocol header');
    return;
  }
  // Otherwise it must be frames, starting with the 4 bytes already read.
  await checkFrames(c, head);
}

async function checkFrames(c: RawClient, prefix: Buffer): Promise<void> {
  let buf = Buffer.from(prefix);
  const deadline = Date.now() + CASE_TIMEOUT_MS;
  for (let i = 0; i < 10_000; i++) {
    while (buf.length >= 7 && buf.length >= 8 + buf.readUInt32BE(3)) {
      const size = buf.readUInt32BE(3);
      assert.equal(buf[7 + size], 0xce, 'frame-end octet');
      const f: RawFrame = { type: buf[0]!, channel: buf.readUInt16BE(1), payload: buf.subarray(7, 7 + size) };
      assert.ok([1, 2, 3, 8].includes(f.type), `broker sent frame type ${f.type}`);
      if (isMethod(f, 10, 50)) assertCloseCode(f, 'connection.close');
      if (isMethod(f, 20, 40)) assertCloseCode(f, 'channel.close');
      buf = buf.subarray(8 + size);
    }
    const more = await c.readAvailable(Math.max(1, deadline - Date.now()));
    if (more === undefined) {
      assert.equal(buf.length, 0, 'broker closed in the middle of a frame');
      return;
    }
    buf = Buffer.concat([buf, more]);
  }
  assert.fail('broker kept talking');
}

async function withRaw(fn: (c: RawClient) => Promise<void>): Promise<void> {
  const c = await RawClient.connect(broker.port, broker.host);
  try {
    await fn(c);
  } finally {
    c.destroy();
  }
}

// ------------------------------------------------------------------ generators

/** Classes whose random methods cannot create lasting state (no queue/exchange declares). */
const classIds = fc.constantFrom(0, 10, 20, 60, 85, 90, 99, 0xffff);

const randomMethod = fc
  .record({
    channel: fc.constantFrom(0, 1, 2, 0xffff),
    classId: classIds,
    methodId: fc.integer({ min: 0, max: 120 }),
    args: fc.uint8Array({ maxLength: 64 }),
  })
  .map(({ channel, classId, methodId, args }) => methodFrame(channel, classId, methodId, Buffer.from(args)));

const randomFrame = fc
  .record({
    type: fc.oneof(fc.constantFrom(1, 2, 3, 8), fc.integer({ min: 0, max: 255 })),
    channel: fc.constantFrom(0, 1, 2, 7, 0xffff),
    payload: fc.uint8Array({ maxLength: 64 }),
  })
  .map(({ type, channel, payload }) => frame(type, channel, Buffer.from(payload)));

const knownGood = fc.constantFrom(
  methods.channelOpen(1),
  methods.channelOpen(2),
  methods.basicPublish(1, '', 'fuzz-nowhere'),
  methods.contentHeader(1, 3),
  methods.body(1, Buffer.from('abc')),
  frame(8, 0, Buffer.alloc(0)),
);

const chunk = fc.oneof(
  randomMethod,
  randomFrame,
  knownGood,
  fc.uint8Array({ minLength: 1, maxLength: 32 }).map((a) => Buffer.from(a)),
);

/** A run of chunks, possibly cut short at a random point (a truncated frame). */
const hostileStream = fc
  .tuple(fc.array(chunk, { minLength: 1, maxLength: 6 }), fc.option(fc.nat()))
  .map(([chunks, cut]) => {
    const all = Buffer.concat(chunks);
    return cut === null ? all : all.subarray(0, cut % (all.length + 1));
  });

// ------------------------------------------------------------------ tests

describe('hostile clients', () => {
  test('random bytes instead of a protocol header (150 cases)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 200 }), async (bytes) => {
        await withRaw(async (c) => {
          c.send(Buffer.from(bytes));
          c.end();
          await checkBrokerAnswer(c);
        });
      }),
      { numRuns: 150, endOnFailure: true },
    );
  });

  test('a valid header followed by garbage before the handshake completes (100 cases)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(hostileStream, { minLength: BATCH, maxLength: BATCH }), async (batch) => {
        await Promise.all(
          batch.map((bytes) =>
            withRaw(async (c) => {
              c.send(Buffer.concat([PROTOCOL_HEADER, bytes]));
              c.end();
              await checkBrokerAnswer(c);
            }),
          ),
        );
      }),
      { numRuns: 4, endOnFailure: true },
    );
  });

  test('random and truncated frames after a complete handshake (250 cases)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(hostileStream, { minLength: BATCH, maxLength: BATCH }), async (batch) => {
        await Promise.all(
          batch.map((bytes) =>
            withRaw(async (c) => {
              await c.handshake();
              await c.openChannel(1);
              c.send(bytes);
              c.end();
              await checkFrames(c, Buffer.alloc(0));
            }),
          ),
        );
      }),
      { numRuns: 10, endOnFailure: true },
    );
  });

  test('a frame header announcing a huge size, then EOF', async () => {
    await withRaw(async (c) => {
      await c.handshake();
      const head = Buffer.alloc(7);
      head.writeUInt8(FRAME_METHOD, 0);
      head.writeUInt16BE(1, 1);
      head.writeUInt32BE(0xfffffff0, 3);
      c.send(head);
      c.end();
      await checkFrames(c, Buffer.alloc(0));
    });
  });

  test('the socket dropped in the middle of a content body', async () => {
    await withRaw(async (c) => {
      await c.handshake();
      await c.openChannel(1);
      c.send(methods.basicPublish(1, '', storedQueue));
      c.send(methods.contentHeader(1, 100));
      c.send(methods.body(1, Buffer.alloc(40, 0x78)));
      c.destroy();
    });
    // The half-received message must not have been enqueued.
    assert.equal((await queueCounts(bystander.ch, storedQueue)).messageCount, STORED.length);
  });
});

describe('after the fuzzing', () => {
  test('the connection opened before still publishes and consumes', async () => {
    const q = await bystander.queue('after-fuzz');
    await bystander.publish('', q, ['alive-1', 'alive-2']);
    const ch = await bystander.channel();
    const inbox = await consume(ch, q, { noAck: true });
    assert.deepEqual(bodies(await inbox.waitForCount(2)), ['alive-1', 'alive-2']);
  });

  test('messages stored before are all still there, in order', async () => {
    assert.deepEqual(await getAll(bystander.ch, storedQueue), STORED);
  });
});
