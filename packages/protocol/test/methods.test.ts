import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  decodeMethod,
  encodeMethod,
  FrameWriter,
  methodHasContent,
  methodIds,
  methodNameOf,
  ProtocolError,
  FRAME_END,
  FRAME_METHOD,
  NOT_FOUND,
  REPLY_SUCCESS,
  type BasicPublish,
  type ConnectionStart,
  type Method,
  type MethodName,
  type QueueDeclare,
} from '../src/index.js';
import { amqplibDefs, amqplibName, encode, methodArb, roundTrip, specModel } from './helpers.js';

test('constants come from the spec', () => {
  assert.equal(FRAME_METHOD, 1);
  assert.equal(FRAME_END, 206);
  assert.equal(REPLY_SUCCESS, 200);
  assert.equal(NOT_FOUND, 404);
});

test('every method round-trips with random argument values', () => {
  for (const m of specModel.methods) {
    fc.assert(
      fc.property(methodArb(m), fc.integer({ min: 0, max: 65535 }), (method, channel) => {
        assert.deepStrictEqual(roundTrip(channel, method), method);
      }),
      { numRuns: 40 },
    );
  }
});

test('method id lookups agree with the spec', () => {
  for (const m of specModel.methods) {
    const name = m.fullName as MethodName;
    assert.deepEqual(methodIds(name), [m.classId, m.methodId]);
    assert.equal(methodNameOf(m.classId, m.methodId), name);
    assert.equal(methodHasContent(m.classId, m.methodId), m.content);
  }
  assert.deepEqual(
    specModel.methods.filter((m) => methodHasContent(m.classId, m.methodId)).map((m) => m.fullName),
    ['basic.publish', 'basic.return', 'basic.deliver', 'basic.get-ok'],
  );
  assert.equal(methodNameOf(60, 999), undefined);
  assert.equal(methodHasContent(61, 40), false);
  assert.ok(Object.isFrozen(methodIds('basic.ack')));
});

test('connection.tune matches hand-written bytes', () => {
  const bytes = encode(0, { name: 'connection.tune', channelMax: 2047, frameMax: 131072, heartbeat: 60 });
  // type 1, channel 0, size 12, class 10 method 30, 07ff, 00020000, 003c, frame end
  assert.equal(bytes.toString('hex'), '01' + '0000' + '0000000c' + '000a001e' + '07ff' + '00020000' + '003c' + 'ce');
  const decoded = decodeMethod(10, 30, bytes, 11, bytes.length - 1);
  assert.deepEqual(decoded, { name: 'connection.tune', channelMax: 2047, frameMax: 131072, heartbeat: 60 });
});

test('basic.publish matches hand-written bytes (reserved short, two shortstrs, packed bits)', () => {
  const m: BasicPublish = { name: 'basic.publish', exchange: 'ex', routingKey: 'rk', mandatory: true, immediate: false };
  const bytes = encode(1, m);
  assert.equal(bytes.toString('hex'), '01' + '0001' + '0000000d' + '003c0028' + '0000' + '026578' + '02726b' + '01' + 'ce');
  const args = Buffer.from('0000' + '026578' + '02726b' + '02', 'hex');
  assert.deepEqual(decodeMethod(60, 40, args, 0, args.length), { ...m, mandatory: false, immediate: true });
});

test('queue.declare packs its five bits into one octet', () => {
  const m: QueueDeclare = {
    name: 'queue.declare', queue: 'q', passive: false, durable: true, exclusive: false, autoDelete: true, nowait: false,
    arguments: {},
  };
  const bytes = encode(3, m);
  assert.equal(bytes.subarray(7, bytes.length - 1).toString('hex'), '0032000a' + '0000' + '0171' + '0a' + '00000000');
});

test('connection.start carries mechanisms and locales as bytes', () => {
  const m: ConnectionStart = {
    name: 'connection.start', versionMajor: 0, versionMinor: 9,
    serverProperties: { product: 'Warren', capabilities: { publisher_confirms: true } },
    mechanisms: Buffer.from('PLAIN AMQPLAIN'), locales: Buffer.from('en_US'),
  };
  assert.deepStrictEqual(roundTrip(0, m), m);
});

test('our encoding decodes with amqplib, and amqplib encoding decodes with ours', () => {
  let checked = 0;
  for (const spec of specModel.methods) {
    const id = amqplibDefs[amqplibName(spec.fullName)] as number | undefined;
    assert.equal(typeof id, 'number', `amqplib knows ${spec.fullName}`);
    // Tables limited to types (and keys) both codecs map the same way: amqplib's decoder turns a
    // '__proto__' key into a prototype change (ours keeps it as data: field-table.test.ts).
    const tableKey = fc.string({ maxLength: 10 }).filter((k) => k !== '__proto__');
    const simpleTable = fc.dictionary(tableKey, fc.oneof(fc.boolean(), fc.integer({ min: -1000, max: 1000 })), {
      maxKeys: 3, noNullPrototype: true,
    });
    const arb = methodArb(spec).chain((m) => {
      const tables = spec.fields.filter((f) => f.type === 'table' && !f.reserved);
      if (tables.length === 0) return fc.constant(m);
      return fc.tuple(...tables.map(() => simpleTable)).map((ts) => {
        const copy = { ...m } as Record<string, unknown>;
        tables.forEach((f, i) => (copy[f.prop] = ts[i]));
        return copy as unknown as Method;
      });
    });
    fc.assert(
      fc.property(arb, (m) => {
        const ours = encode(7, m);
        const theirs = amqplibDefs.decode(id!, ours.subarray(11, ours.length - 1));
        for (const f of spec.fields) {
          if (f.reserved) continue;
          const mine = (m as unknown as Record<string, unknown>)[f.prop];
          const other = theirs[f.prop];
          if (f.type === 'longstr') assert.deepEqual(Buffer.from(other as Buffer).toString('latin1'), Buffer.from(mine as string | Buffer).toString('latin1'));
          else assert.deepEqual(other, mine, `${spec.fullName}.${f.name}`);
        }
        const back = amqplibDefs.encodeMethod(id!, 7, theirs);
        assert.deepStrictEqual(decodeMethod(spec.classId, spec.methodId, back, 11, back.length - 1), m);
        checked++;
      }),
      { numRuns: 10 },
    );
  }
  assert.equal(checked, specModel.methods.length * 10);
});

test('unknown methods are NOT_IMPLEMENTED (540) with the ids attached', () => {
  const buf = Buffer.alloc(8);
  for (const [c, m] of [[60, 999], [999, 10], [0, 0]] as const) {
    assert.throws(
      () => decodeMethod(c, m, buf, 0, buf.length),
      (e: unknown) => e instanceof ProtocolError && e.code === 540 && e.classId === c && e.methodId === m && /^NOT_IMPLEMENTED/.test(e.message),
    );
  }
});

test('truncated arguments are SYNTAX_ERROR (502) and never read past end', () => {
  const bytes = encode(1, { name: 'basic.deliver', consumerTag: 'ctag', deliveryTag: 42, redelivered: true, exchange: 'x', routingKey: 'k' });
  const args = bytes.subarray(11, bytes.length - 1);
  for (let cut = 0; cut < args.length; cut++) {
    // A longer buffer whose tail would decode fine if the decoder ignored `end`.
    assert.throws(
      () => decodeMethod(60, 60, bytes, 11, 11 + cut),
      (e: unknown) => e instanceof ProtocolError && e.code === 502 && e.classId === 60 && e.methodId === 60 && /^SYNTAX_ERROR/.test(e.message),
      `cut at ${cut}`,
    );
  }
});

test('a malformed table inside method arguments is a 502', () => {
  const bytes = encode(1, { name: 'queue.declare', queue: 'q', passive: false, durable: false, exclusive: false, autoDelete: false, nowait: false, arguments: { a: 1 } });
  const tagAt = bytes.indexOf(0x49, 11); // the 'I' of the single entry
  bytes[tagAt] = 0x3f; // '?' is no field type
  assert.throws(() => decodeMethod(50, 10, bytes, 11, bytes.length - 1), (e: unknown) => e instanceof ProtocolError && e.code === 502);
});

test('longlong arguments carry delivery tags beyond 32 bits', () => {
  const m: Method = { name: 'basic.ack', deliveryTag: 2 ** 40 + 123, multiple: true };
  assert.deepEqual(roundTrip(5, m), m);
});

test('encoding an unknown method name is a TypeError and leaves the writer untouched', () => {
  const w = new FrameWriter(16);
  w.u8(1);
  assert.throws(() => encodeMethod(w, 1, { name: 'basic.bogus' } as unknown as Method), TypeError);
  assert.equal(w.pos, 1);
});
