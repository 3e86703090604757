import { Duplex } from 'node:stream';

/** What memory:// needs from @warren/broker (loaded lazily so amqp:// users never load the broker). */
interface EmbeddedBroker {
  attachStream(stream: Duplex): void;
  close(reason?: string): Promise<void>;
  readonly connections: Set<{ forceClose(reason: string): void }>;
}

const brokers = new Map<string, Promise<EmbeddedBroker>>();

/** The in-process broker behind memory://NAME, started on first use and shared by every connection to that name. */
export function memoryBroker(name: string): Promise<EmbeddedBroker> {
  let b = brokers.get(name);
  if (b === undefined) {
    // A variable specifier keeps bundlers and the type checker from pulling the broker into amqp:// builds.
    const specifier = '@warren/broker';
    b = (import(specifier) as Promise<{ startEmbeddedBroker(o?: object): Promise<EmbeddedBroker> }>).then((m) => m.startEmbeddedBroker());
    brokers.set(name, b);
    b.catch(() => brokers.delete(name));
  }
  return b;
}

/** Stops the in-process broker behind memory://NAME (its connections see 320 CONNECTION_FORCED). */
export async function closeMemoryBroker(name = 'default'): Promise<void> {
  const b = brokers.get(name);
  if (b === undefined) return;
  brokers.delete(name);
  await (await b).close();
}

/** Two cross-wired in-process streams: what one end writes, the other end reads. */
function streamPair(): [Duplex, Duplex] {
  const ends: Duplex[] = [];
  const make = (peer: () => Duplex): Duplex => new Duplex({
    read() { /* the peer pushes */ },
    write(chunk: Buffer, _enc, cb) {
      // A copy: writers (the broker, this client) reuse their output buffer once the write
      // callback has run, while the bytes may still wait in the peer's read buffer.
      peer().push(Buffer.from(chunk));
      cb();
    },
    final(cb) {
      peer().push(null);
      cb();
    },
    destroy(err, cb) {
      const p = peer();
      if (!p.destroyed) p.destroy();
      cb(err);
    },
  });
  ends.push(make(() => ends[1]!), make(() => ends[0]!));
  return [ends[0]!, ends[1]!];
}

export async function memoryStream(name: string): Promise<Duplex> {
  const broker = await memoryBroker(name);
  const [client, server] = streamPair();
  // In-process is as local as it gets: loopback-only users (guest) may connect, as over 127.0.0.1.
  Object.assign(server, { remoteAddress: '127.0.0.1', remotePort: 0 });
  broker.attachStream(server);
  return client;
}
