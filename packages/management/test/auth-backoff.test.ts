// Brute force: failed logins from one address are slowed down and logged, over HTTP and AMQP;
// authentication_failure_close for AMQP clients that ask for it.
import assert from 'node:assert/strict';
import { connect as netConnect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import amqp from 'amqplib';
import { pino } from 'pino';
import { startBroker, type WarrenBroker } from '@warren/broker';
import { startManagement } from '../src/index.js';

interface LogLine { level: number; msg: string; source?: string; user?: string; failures?: number; delayMs?: number }

describe('authentication back-off', () => {
  const lines: LogLine[] = [];
  let broker: WarrenBroker;
  let base: string;
  let close: () => Promise<void>;
  const backoff = { freeAttempts: 2, baseDelayMs: 20, maxDelayMs: 100 };

  before(async () => {
    const logger = pino({ level: 'warn' }, { write: (s: string) => { lines.push(JSON.parse(s) as LogLine); } });
    broker = await startBroker({ port: 0, host: '127.0.0.1', logger, authBackoff: backoff });
    const m = await startManagement({ broker, port: 0, host: '127.0.0.1', authBackoff: backoff });
    base = `http://127.0.0.1:${m.port}`;
    close = async () => {
      await m.close();
      await broker.close();
    };
  });
  after(() => close());

  const get = (user: string, pass: string) =>
    fetch(`${base}/api/whoami`, { headers: { authorization: 'Basic ' + Buffer.from(`${user}:${pass}`).toString('base64') } });

  it('HTTP: repeated failures from one address are logged with a growing delay; the right password still works', async () => {
    for (let i = 0; i < 5; i++) assert.equal((await get('guest', `wrong${i}`)).status, 401);
    const slowed = lines.filter((l) => l.msg.startsWith('management API: repeated authentication failures'));
    assert.deepEqual(slowed.map((l) => l.failures), [2, 3, 4, 5]);
    assert.ok(slowed.every((l) => l.source === '127.0.0.1' && l.user === 'guest'));
    const delays = slowed.map((l) => l.delayMs ?? 0);
    assert.deepEqual(delays, [20, 40, 80, 100]);
    assert.ok(lines.some((l) => l.msg === 'HTTP access denied: login failed'));
    // the password never reaches the log
    assert.ok(!JSON.stringify(lines).includes('wrong3'));
    assert.equal((await get('guest', 'guest')).status, 200);
    const before = lines.length;
    assert.equal((await get('guest', 'bad')).status, 401);
    // a success reset the streak: one failure is not "repeated"
    assert.ok(!lines.slice(before).some((l) => l.msg.startsWith('management API: repeated')));
  });

  it('AMQP: repeated failed logins are counted per address and logged; a good login resets', async () => {
    for (let i = 0; i < 4; i++) await assert.rejects(amqp.connect(`amqp://guest:bad${i}@127.0.0.1:${broker.port}/`));
    assert.equal(broker.authBackoff?.failures('127.0.0.1'), 4);
    assert.ok(broker.authBackoff!.delayFor('127.0.0.1') > 0);
    const slowed = lines.filter((l) => l.msg.startsWith('AMQP: repeated authentication failures'));
    assert.deepEqual(slowed.map((l) => l.failures), [2, 3, 4]);
    assert.ok(lines.some((l) => l.msg === 'login refused' && l.user === 'guest'));
    const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${broker.port}/`);
    await conn.close();
    assert.equal(broker.authBackoff?.failures('127.0.0.1'), 0);
  });

  it('authentication_failure_close: a client with the capability gets connection.close 403', async () => {
    // amqplib announces authentication_failure_close and reports the close reason
    await assert.rejects(amqp.connect(`amqp://guest:nope@127.0.0.1:${broker.port}/`), /ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN/);
  });

  it('without the capability the socket is just closed, as RabbitMQ does', async () => {
    const received = await new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      const s = netConnect(broker.port, '127.0.0.1', () => s.write(Buffer.from('AMQP\x00\x00\x09\x01', 'latin1')));
      s.on('data', (c: Buffer) => {
        chunks.push(c);
        if (chunks.length === 1) s.write(startOk('guest', 'wrong'));
      });
      s.on('close', () => resolve(Buffer.concat(chunks)));
      s.on('error', reject);
      s.setTimeout(10_000, () => reject(new Error('no close')));
    });
    // only connection.start (class 10, method 10) came back: no connection.close (10, 50)
    assert.equal(received.readUInt16BE(7), 10);
    assert.equal(received.readUInt16BE(9), 10);
    assert.equal(received.length, 8 + received.readUInt32BE(3));
  });
});

/** connection.start-ok with PLAIN credentials and no client capabilities. */
function startOk(user: string, pass: string): Buffer {
  const mech = Buffer.from('PLAIN');
  const resp = Buffer.from(`\0${user}\0${pass}`);
  const locale = Buffer.from('en_US');
  const args = Buffer.concat([
    Buffer.from([0, 0, 0, 0]), // empty client-properties table
    Buffer.from([mech.length]), mech,
    Buffer.alloc(4), resp,
    Buffer.from([locale.length]), locale,
  ]);
  args.writeUInt32BE(resp.length, 4 + 1 + mech.length); // after the table and the mechanism shortstr
  const payload = Buffer.concat([Buffer.from([0, 10, 0, 11]), args]);
  const frame = Buffer.alloc(7 + payload.length + 1);
  frame[0] = 1;
  frame.writeUInt16BE(0, 1);
  frame.writeUInt32BE(payload.length, 3);
  payload.copy(frame, 7);
  frame[frame.length - 1] = 0xce;
  return frame;
}
