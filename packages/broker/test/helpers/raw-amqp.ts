// A deliberately tiny AMQP 0-9-1 client over a raw node:net socket, written independently of
// @warren/protocol so that tests can send malformed, oversized or out-of-order frames and see
// exactly what the broker answers byte for byte.
import net from 'node:net';

export const PROTOCOL_HEADER = Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 0, 9, 1]);
export const FRAME_END = 0xce;
export const FRAME_METHOD = 1;
export const FRAME_HEADER = 2;
export const FRAME_BODY = 3;
export const FRAME_HEARTBEAT = 8;

export interface RawFrame {
  type: number;
  channel: number;
  payload: Buffer;
}

export interface CloseInfo {
  replyCode: number;
  replyText: string;
  classId: number;
  methodId: number;
}

export type FieldValue =
  | string
  | number
  | bigint
  | boolean
  | null
  | Buffer
  | Date
  | FieldValue[]
  | { [key: string]: FieldValue };

// ---------------------------------------------------------------- encoding

export function shortstr(s: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  if (b.length > 255) throw new RangeError('shortstr too long');
  return Buffer.concat([Buffer.from([b.length]), b]);
}

export function longstr(s: string | Buffer): Buffer {
  const b = typeof s === 'string' ? Buffer.from(s, 'utf8') : s;
  const len = Buffer.alloc(4);
  len.writeUInt32BE(b.length);
  return Buffer.concat([len, b]);
}

export function u8(n: number): Buffer {
  return Buffer.from([n & 0xff]);
}

export function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

export function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

export function u64(n: number | bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
}

/** Encodes a field table holding only strings, booleans and nested tables (enough for client properties). */
export function table(fields: Record<string, string | boolean | Record<string, boolean>>): Buffer {
  const parts: Buffer[] = [];
  for (const [k, v] of Object.entries(fields)) {
    parts.push(shortstr(k));
    if (typeof v === 'string') parts.push(Buffer.from('S'), longstr(v));
    else if (typeof v === 'boolean') parts.push(Buffer.from('t'), u8(v ? 1 : 0));
    else parts.push(Buffer.from('F'), table(v));
  }
  const body = Buffer.concat(parts);
  return Buffer.concat([u32(body.length), body]);
}

export function frame(type: number, channel: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(7);
  head.writeUInt8(type, 0);
  head.writeUInt16BE(channel, 1);
  head.writeUInt32BE(payload.length, 3);
  return Buffer.concat([head, payload, Buffer.from([FRAME_END])]);
}

export function methodFrame(channel: number, classId: number, methodId: number, ...args: Buffer[]): Buffer {
  return frame(FRAME_METHOD, channel, Buffer.concat([u16(classId), u16(methodId), ...args]));
}

export const heartbeatFrame = (): Buffer => frame(FRAME_HEARTBEAT, 0, Buffer.alloc(0));

// Ready-made methods the tests need.
export const methods = {
  startOk: (user: string, pass: string): Buffer =>
    methodFrame(
      0, 10, 11,
      table({ product: 'warren-raw-test', capabilities: { authentication_failure_close: true } }),
      shortstr('PLAIN'),
      longstr(`\u0000${user}\u0000${pass}`),
      shortstr('en_US'),
    ),
  tuneOk: (channelMax: number, frameMax: number, heartbeat: number): Buffer =>
    methodFrame(0, 10, 31, u16(channelMax), u32(frameMax), u16(heartbeat)),
  open: (vhost: string): Buffer => methodFrame(0, 10, 40, shortstr(vhost), shortstr(''), u8(0)),
  close: (): Buffer => methodFrame(0, 10, 50, u16(200), shortstr('bye'), u16(0), u16(0)),
  closeOk: (): Buffer => methodFrame(0, 10, 51),
  channelOpen: (ch: number): Buffer => methodFrame(ch, 20, 10, shortstr('')),
  channelCloseOk: (ch: number): Buffer => methodFrame(ch, 20, 41),
  queueDeclare: (ch: number, name: string, bits = 0): Buffer =>
    methodFrame(ch, 50, 10, u16(0), shortstr(name), u8(bits), u32(0)),
  basicPublish: (ch: number, exchange: string, routingKey: string): Buffer =>
    methodFrame(ch, 60, 40, u16(0), shortstr(exchange), shortstr(routingKey), u8(0)),
  /** A content header with no properties. */
  contentHeader: (ch: number, bodySize: number): Buffer =>
    frame(FRAME_HEADER, ch, Buffer.concat([u16(60), u16(0), u64(bodySize), u16(0)])),
  body: (ch: number, body: Buffer): Buffer => frame(FRAME_BODY, ch, body),
};

// ---------------------------------------------------------------- decoding

class Reader {
  pos = 0;
  constructor(readonly buf: Buffer) {}
  u8(): number {
    return this.buf.readUInt8(this.pos++);
  }
  u16(): number {
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  u32(): number {
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  bytes(n: number): Buffer {
    const v = this.buf.subarray(this.pos, this.pos + n);
    if (v.length !== n) throw new RangeError('truncated');
    this.pos += n;
    return v;
  }
  shortstr(): string {
    return this.bytes(this.u8()).toString('utf8');
  }
  longstr(): Buffer {
    return this.bytes(this.u32());
  }
  table(): Record<string, FieldValue> {
    const end = this.u32() + this.pos;
    const out: Record<string, FieldValue> = {};
    while (this.pos < end) {
      const key = this.shortstr();
      out[key] = this.value();
    }
    return out;
  }
  value(): FieldValue {
    const t = String.fromCharCode(this.u8());
    switch (t) {
      case 't': return this.u8() !== 0;
      case 'b': { const v = this.buf.readInt8(this.pos); this.pos += 1; return v; }
      case 'B': return this.u8();
      case 's': { const v = this.buf.readInt16BE(this.pos); this.pos += 2; return v; }
      case 'u': return this.u16();
      case 'I': { const v = this.buf.readInt32BE(this.pos); this.pos += 4; return v; }
      case 'i': return this.u32();
      case 'l': { const v = this.buf.readBigInt64BE(this.pos); this.pos += 8; return v; }
      case 'L': { const v = this.buf.readBigUInt64BE(this.pos); this.pos += 8; return v; }
      case 'f': { const v = this.buf.readFloatBE(this.pos); this.pos += 4; return v; }
      case 'd': { const v = this.buf.readDoubleBE(this.pos); this.pos += 8; return v; }
      case 'D': { const scale = this.u8(); const v = this.buf.readInt32BE(this.pos); this.pos += 4; return v / 10 ** scale; }
      case 'S': return this.longstr().toString('utf8');
      case 'x': return Buffer.from(this.longstr());
      case 'T': { const v = this.buf.readBigUInt64BE(this.pos); this.pos += 8; return new Date(Number(v) * 1000); }
      case 'F': return this.table();
      case 'V': return null;
      case 'A': {
        const end = this.u32() + this.pos;
        const arr: FieldValue[] = [];
        while (this.pos < end) arr.push(this.value());
        return arr;
      }
      default: throw new Error(`unknown field type ${JSON.stringify(t)}`);
    }
  }
}

export interface MethodId {
  classId: number;
  methodId: number;
}

export function methodOf(f: RawFrame): MethodId | undefined {
  if (f.type !== FRAME_METHOD || f.payload.length < 4) return undefined;
  return { classId: f.payload.readUInt16BE(0), methodId: f.payload.readUInt16BE(2) };
}

export function isMethod(f: RawFrame, classId: number, methodId: number): boolean {
  const m = methodOf(f);
  return m !== undefined && m.classId === classId && m.methodId === methodId;
}

/** Decodes connection.close (10,50) or channel.close (20,40) arguments. */
export function decodeClose(f: RawFrame): CloseInfo {
  const r = new Reader(f.payload);
  r.pos = 4;
  return { replyCode: r.u16(), replyText: r.shortstr(), classId: r.u16(), methodId: r.u16() };
}

export interface StartInfo {
  versionMajor: number;
  versionMinor: number;
  serverProperties: Record<string, FieldValue>;
  mechanisms: string;
  locales: string;
}

export function decodeStart(f: RawFrame): StartInfo {
  const r = new Reader(f.payload);
  r.pos = 4;
  return {
    versionMajor: r.u8(),
    versionMinor: r.u8(),
    serverProperties: r.table(),
    mechanisms: r.longstr().toString('utf8'),
    locales: r.longstr().toString('utf8'),
  };
}

export interface TuneInfo {
  channelMax: number;
  frameMax: number;
  heartbeat: number;
}

export function decodeTune(f: RawFrame): TuneInfo {
  const r = new Reader(f.payload);
  r.pos = 4;
  return { channelMax: r.u16(), frameMax: r.u32(), heartbeat: r.u16() };
}

// ---------------------------------------------------------------- the client

export interface HandshakeOptions {
  user?: string;
  pass?: string;
  vhost?: string;
  channelMax?: number;
  frameMax?: number;
  heartbeat?: number;
}

/** What the broker did in answer to something: a close method, or it just dropped the socket. */
export type Ending =
  | { kind: 'connection.close'; close: CloseInfo; framesBefore: RawFrame[] }
  | { kind: 'socket-closed'; framesBefore: RawFrame[] };

export class RawClient {
  private buf: Buffer = Buffer.alloc(0);
  private ended = false;
  private wake: (() => void) | undefined;
  readonly closed: Promise<void>;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => {
      this.buf = this.buf.length === 0 ? d : Buffer.concat([this.buf, d]);
      this.notify();
    });
    // A reset is an acceptable way for a broker to refuse us; record it as the end of the stream.
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) => {
      socket.once('close', () => {
        this.ended = true;
        this.notify();
        resolve();
      });
    });
  }

  static connect(port: number, host = '127.0.0.1', timeoutMs = 5000): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`raw connect to ${host}:${port} timed out`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.setNoDelay(true);
        resolve(new RawClient(socket));
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  }

  get isEnded(): boolean {
    return this.ended;
  }

  /** Bytes received but not yet consumed. */
  get pending(): Buffer {
    return this.buf;
  }

  send(data: Buffer): void {
    if (!this.socket.destroyed && this.socket.writable) this.socket.write(data);
  }

  /** Half-closes our side: the broker sees EOF. */
  end(): void {
    if (!this.socket.destroyed) this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }

  private notify(): void {
    const w = this.wake;
    this.wake = undefined;
    if (w) w();
  }

  /** Waits until `take` returns something, the socket ends (undefined), or the timeout passes (throws). */
  private async waitFor<T>(take: () => T | undefined, timeoutMs: number, what: string): Promise<T | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const got = take();
      if (got !== undefined) return got;
      if (this.ended) return undefined;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /** Reads exactly n raw bytes (undefined if the socket closed first). */
  readBytes(n: number, timeoutMs = 5000): Promise<Buffer | undefined> {
    return this.waitFor(
      () => {
        if (this.buf.length < n) return undefined;
        const out = this.buf.subarray(0, n);
        this.buf = this.buf.subarray(n);
        return out;
      },
      timeoutMs,
      `${n} bytes`,
    );
  }

  /** Waits for any bytes and takes everything received so far (undefined once the socket closed and all was read). */
  readAvailable(timeoutMs = 5000): Promise<Buffer | undefined> {
    return this.waitFor(
      () => {
        if (this.buf.length === 0) return undefined;
        const out = this.buf;
        this.buf = Buffer.alloc(0);
        return out;
      },
      timeoutMs,
      'any bytes',
    );
  }

  /** Reads the next complete frame (undefined if the socket closed first). Throws on a malformed frame. */
  readFrame(timeoutMs = 5000): Promise<RawFrame | undefined> {
    return this.waitFor(
      () => {
        if (this.buf.length < 7) return undefined;
        const size = this.buf.readUInt32BE(3);
        if (this.buf.length < 8 + size) return undefined;
        if (this.buf[7 + size] !== FRAME_END) throw new Error('broker sent a frame without frame-end');
        const f: RawFrame = {
          type: this.buf[0]!,
          channel: this.buf.readUInt16BE(1),
          payload: Buffer.from(this.buf.subarray(7, 7 + size)),
        };
        this.buf = this.buf.subarray(8 + size);
        return f;
      },
      timeoutMs,
      'a frame',
    );
  }

  /** Reads frames until one satisfies `pred`; heartbeats and other frames are skipped. */
  async readUntil(pred: (f: RawFrame) => boolean, timeoutMs = 5000, maxFrames = 1000): Promise<RawFrame | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (let i = 0; i < maxFrames; i++) {
      const f = await this.readFrame(Math.max(1, deadline - Date.now()));
      if (f === undefined || pred(f)) return f;
    }
    throw new Error(`no matching frame in ${maxFrames} frames`);
  }

  async readMethod(classId: number, methodId: number, timeoutMs = 5000): Promise<RawFrame> {
    const f = await this.readUntil((x) => x.type !== FRAME_HEARTBEAT, timeoutMs);
    if (f === undefined) throw new Error(`socket closed while waiting for method ${classId}.${methodId}`);
    const m = methodOf(f);
    if (!m || m.classId !== classId || m.methodId !== methodId) {
      const extra = m && m.classId === 10 && m.methodId === 50 ? ` ${JSON.stringify(decodeClose(f))}` : '';
      throw new Error(`expected method ${classId}.${methodId}, got type ${f.type} ${m ? `${m.classId}.${m.methodId}` : ''}${extra}`);
    }
    return f;
  }

  /** Full opening handshake; returns what the broker proposed. */
  async handshake(opts: HandshakeOptions = {}): Promise<{ start: StartInfo; tune: TuneInfo }> {
    this.send(PROTOCOL_HEADER);
    const start = decodeStart(await this.readMethod(10, 10));
    this.send(methods.startOk(opts.user ?? 'guest', opts.pass ?? 'guest'));
    const tune = decodeTune(await this.readMethod(10, 30));
    this.send(methods.tuneOk(opts.channelMax ?? tune.channelMax, opts.frameMax ?? tune.frameMax, opts.heartbeat ?? 0));
    this.send(methods.open(opts.vhost ?? '/'));
    await this.readMethod(10, 41);
    return { start, tune };
  }

  async openChannel(ch: number): Promise<void> {
    this.send(methods.channelOpen(ch));
    await this.readMethod(20, 11);
  }

  /**
   * Waits for the broker to end the connection: either a connection.close (which we answer with close-ok,
   * as a polite client does) or the socket closing. Other frames seen on the way are returned too.
   */
  async expectEnding(timeoutMs = 5000): Promise<Ending> {
    const framesBefore: RawFrame[] = [];
    const deadline = Date.now() + timeoutMs;
    for (let i = 0; i < 10000; i++) {
      const f = await this.readFrame(Math.max(1, deadline - Date.now()));
      if (f === undefined) return { kind: 'socket-closed', framesBefore };
      if (isMethod(f, 10, 50)) {
        this.send(methods.closeOk());
        return { kind: 'connection.close', close: decodeClose(f), framesBefore };
      }
      framesBefore.push(f);
    }
    throw new Error('broker kept sending frames');
  }

  /** Like expectEnding but requires a connection.close and returns its arguments. */
  async expectConnectionClose(timeoutMs = 5000): Promise<CloseInfo> {
    const e = await this.expectEnding(timeoutMs);
    if (e.kind !== 'connection.close') throw new Error('broker closed the socket without connection.close');
    return e.close;
  }

  /** Waits for the socket to close (bounded). */
  async waitClosed(timeoutMs = 5000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.closed,
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`socket still open after ${timeoutMs}ms`)), timeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }
}
