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

/** A Duplex whose write callback can wait until the peer has taken the bytes. */
class PipeEnd extends Duplex {
  peer: PipeEnd | undefined;
  /** The write callback held back until this end's reader has consumed what the peer pushed. */
  heldCallback: ((err?: Error | null) => void) | undefined;

  override _read(): void {
    const cb = this.heldCallback;
    if (cb !== undefined) {
      this.heldCallback = undefined;
      cb();
    }
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    // No copy: the chunk is handed over as it is. The callback (after which a writer may reuse
    // its buffer) runs only once the peer's reader has consumed the chunk.
    const p = this.peer!;
    p.push(chunk);
    if (p.readableLength === 0) cb();
    else p.heldCallback = cb;
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.peer!.push(null);
    cb();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    const p = this.peer!;
    const held = p.heldCallback;
    p.heldCallback = undefined;
    held?.();
    if (!p.destroyed) p.destroy();
    cb(err);
  }
}

/** Two cross-wired in-process streams: what one end writes, the other end reads. */
function streamPair(): [PipeEnd, PipeEnd] {
  const a = new PipeEnd();
  const b = new PipeEnd();
  a.peer = b;
  b.peer = a;
  return [a, b];
}

/**
 * A client stream to the in-process broker. Written chunks are handed over without a copy; the
 * writer gets its callback (and may reuse the bytes) once the broker has read them, and the
 * broker copies whatever it keeps.
 */
export async function memoryStream(name: string): Promise<Duplex> {
  const broker = await memoryBroker(name);
  const [client, server] = streamPair();
  // In-process is as local as it gets: loopback-only users (guest) may connect, as over 127.0.0.1.
  Object.assign(server, { remoteAddress: '127.0.0.1', remotePort: 0 });
  broker.attachStream(server);
  return client;
}
