import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Duplex } from 'node:stream';
import { startEmbeddedBroker } from '../src/index.js';

/** Two cross-wired in-process streams: what one writes, the other reads. */
function streamPair(): [Duplex, Duplex] {
  const ends: Duplex[] = [];
  const make = (peer: () => Duplex) => new Duplex({
    read() { /* data is pushed by the peer's write */ },
    write(chunk: Buffer, _enc, cb) { peer().push(chunk); cb(); },
    final(cb) { peer().push(null); cb(); },
  });
  ends.push(make(() => ends[1]!), make(() => ends[0]!));
  return [ends[0]!, ends[1]!];
}

test('an embedded broker serves AMQP over an in-process stream, with no listener', async () => {
  const broker = await startEmbeddedBroker();
  try {
    assert.equal(broker.port, 0);
    const [client, server] = streamPair();
    broker.attachStream(server);
    const got: Buffer[] = [];
    const start = new Promise<Buffer>((resolve) => client.on('data', (c: Buffer) => { got.push(c); resolve(Buffer.concat(got)); }));
    client.write(Buffer.from('AMQP\x00\x00\x09\x01', 'latin1'));
    const frame = await start;
    // A method frame on channel 0 carrying connection.start (class 10, method 10).
    assert.equal(frame[0], 1);
    assert.equal(frame.readUInt16BE(1), 0);
    assert.equal(frame.readUInt16BE(7), 10);
    assert.equal(frame.readUInt16BE(9), 10);
    assert.equal(broker.connections.size, 1);
    client.destroy();
  } finally {
    await broker.close();
  }
});
