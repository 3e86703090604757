import { Buffer } from 'node:buffer';
import type { Duplex } from 'node:stream';
import {
  ChannelTable,
  FrameReader,
  FrameWriter,
  decodeMethod,
  encodeMethod,
  type FieldTable,
  type FrameSink,
  type Method,
} from '@warren/protocol';
import { ConnectionLostError, ConnectionRefusedError } from '../errors.js';
import { Deque } from '../deque.js';
import { WireChannel, type PublishTicket } from './wire-channel.js';

const PROTOCOL_HEADER = Buffer.from('AMQP\x00\x00\x09\x01', 'latin1');
/** Output above this is written at once instead of waiting for the end of the event-loop turn. */
const FLUSH_THRESHOLD = 256 * 1024;
const CLOSE_OK_TIMEOUT_MS = 2000;
/** Publishes without confirms wait for 'drain' once this much output is queued in the stream. */
const OUTPUT_HIGH_WATER = 1024 * 1024;
/** Written publishes (without confirms) resumed per event-loop turn. */
const SETTLE_PER_TURN = 64;

export interface WireOptions {
  username: string;
  password: string;
  vhost: string;
  /** Requested heartbeat in seconds (0 disables); the smaller non-zero of ours and the broker's wins. */
  heartbeat: number;
  frameMax: number;
  channelMax: number;
  clientProperties: FieldTable;
}

/** What the owner of a wire connection hears about. */
export interface WireListener {
  onWireClosed(wire: WireConnection, err: Error): void;
  onBlocked(reason: string): void;
  onUnblocked(): void;
}

/**
 * One AMQP connection over one byte stream: handshake, frame I/O batched per event-loop turn,
 * heartbeats, and the channels on it. It never reconnects; the Connection above it does.
 */
export class WireConnection implements FrameSink {
  private readonly reader: FrameReader;
  private out = new FrameWriter(64 * 1024);
  /** Output buffers whose writes completed, ready for reuse (a few, as writes may overlap). */
  private readonly spares: FrameWriter[] = [];
  /** Channels with a coalesced delivery ack to write before the next flush. */
  private ackChannels: WireChannel[] = [];
  private readonly writing: FrameWriter[] = [];
  private flushScheduled = false;
  /** Publishes without confirms, settled once their bytes are handed to the stream (after 'drain' when it is full). */
  private readonly afterWrite = new Deque<PublishTicket>();
  /** The stream holds OUTPUT_HIGH_WATER or more: written publishes resume on 'drain'. */
  private awaitingDrain = false;
  private readonly channels = new ChannelTable<WireChannel>();
  private nextChannelId = 1;
  private handshake: { resolve(): void; reject(e: Error): void } | undefined;
  private closeOk: (() => void) | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private lastRecv = Date.now();
  private lastSend = Date.now();
  closed = false;
  opened = false;
  /** Whether received bytes stay untouched once delivered (sockets), so bodies may be views of them. */
  readonly stableInput: boolean;
  frameMax = 131072;
  channelMax = 2047;
  heartbeat = 0;
  serverProperties: FieldTable = {};

  constructor(
    private readonly stream: Duplex,
    private readonly opts: WireOptions,
    private readonly listener: WireListener,
    /**
     * memory://: the in-process broker reuses its output buffers once this side has read them, so
     * bodies must be copied; a socket hands over fresh chunks, and bodies can stay views of them.
     * (Our own output buffers are reused either way: the broker copies what it keeps.)
     */
    inProcess = false,
  ) {
    this.reader = new FrameReader(this, 0);
    this.stableInput = !inProcess;
    this.flush = this.flush.bind(this);
    this.onWritten = this.onWritten.bind(this);
    stream.on('data', (chunk: Buffer) => this.onData(chunk));
    stream.on('error', (e: Error) => this.teardown(new ConnectionLostError(`connection error: ${e.message}`)));
    stream.on('close', () => this.teardown(new ConnectionLostError('connection closed by the peer')));
    stream.on('end', () => this.teardown(new ConnectionLostError('connection closed by the peer')));
    stream.on('drain', () => this.onDrain());
  }

  /** Sends the protocol header and completes the handshake (start, tune, open). */
  open(timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.teardown(new ConnectionLostError(`AMQP handshake not completed within ${timeoutMs} ms`));
      }, timeoutMs);
      this.handshake = {
        resolve: () => { clearTimeout(timer); resolve(); },
        reject: (e) => { clearTimeout(timer); reject(e); },
      };
      this.stream.write(PROTOCOL_HEADER);
    });
  }

  private onData(chunk: Buffer): void {
    this.lastRecv = Date.now();
    try {
      this.reader.push(chunk);
    } catch (e) {
      this.teardown(new ConnectionLostError(`protocol error from broker: ${(e as Error).message}`));
    }
  }

  onFrame(type: number, channel: number, buf: Buffer, start: number, end: number): void {
    if (type === 1) {
      const classId = buf.readUInt16BE(start);
      const methodId = buf.readUInt16BE(start + 2);
      if (channel === 0) {
        this.onConnectionMethod(decodeMethod(classId, methodId, buf, start + 4, end));
        return;
      }
      this.channels.get(channel)?.onMethodFrame(classId, methodId, buf, start + 4, end);
    } else if (type === 2) {
      this.channels.get(channel)?.onHeaderFrame(buf, start, end);
    } else if (type === 3) {
      this.channels.get(channel)?.onBodyFrame(buf, start, end);
    }
    // type 8 (heartbeat): receiving anything already counted as liveness in onData
  }

  private onConnectionMethod(m: Method): void {
    switch (m.name) {
      case 'connection.start': {
        const mechanisms = m.mechanisms.toString('utf8').split(' ');
        if (!mechanisms.includes('PLAIN')) {
          this.teardown(new ConnectionRefusedError(`broker offers no PLAIN authentication (offers: ${mechanisms.join(', ')})`));
          return;
        }
        this.serverProperties = m.serverProperties;
        this.sendMethod(0, {
          name: 'connection.start-ok',
          clientProperties: this.opts.clientProperties,
          mechanism: 'PLAIN',
          response: Buffer.from(`\0${this.opts.username}\0${this.opts.password}`, 'utf8'),
          locale: 'en_US',
        });
        return;
      }
      case 'connection.tune': {
        this.channelMax = negotiate(this.opts.channelMax, m.channelMax) || 2047;
        this.frameMax = negotiate(this.opts.frameMax, m.frameMax) || 131072;
        // 0 from the client means no heartbeats at all (RabbitMQ takes the client's tune-ok value).
        this.heartbeat = this.opts.heartbeat === 0 ? 0 : negotiate(this.opts.heartbeat, m.heartbeat);
        this.reader.maxFrameSize = this.frameMax;
        this.sendMethod(0, { name: 'connection.tune-ok', channelMax: this.channelMax, frameMax: this.frameMax, heartbeat: this.heartbeat });
        this.sendMethod(0, { name: 'connection.open', virtualHost: this.opts.vhost });
        return;
      }
      case 'connection.open-ok':
        this.opened = true;
        this.startHeartbeats();
        this.handshake?.resolve();
        this.handshake = undefined;
        return;
      case 'connection.close': {
        this.sendMethod(0, { name: 'connection.close-ok' });
        this.flush();
        const text = `${m.replyCode} ${m.replyText}`;
        const err = this.opened
          ? new ConnectionLostError(`connection closed by the broker: ${text}`, m.replyCode)
          : new ConnectionRefusedError(`broker refused the connection: ${text}`, m.replyCode);
        this.teardown(err);
        return;
      }
      case 'connection.close-ok':
        this.closeOk?.();
        return;
      case 'connection.blocked':
        this.listener.onBlocked(m.reason);
        return;
      case 'connection.unblocked':
        this.listener.onUnblocked();
        return;
      default:
        return;
    }
  }

  private startHeartbeats(): void {
    if (this.heartbeat <= 0) return;
    const periodMs = (this.heartbeat * 1000) / 2;
    this.heartbeatTimer = setInterval(() => {
      const now = Date.now();
      // RabbitMQ's rule: two missed heartbeat intervals mean the peer is gone.
      if (now - this.lastRecv > this.heartbeat * 2000) {
        this.teardown(new ConnectionLostError(`missed heartbeats from the broker (${this.heartbeat} s interval)`));
        this.stream.destroy();
        return;
      }
      if (now - this.lastSend >= periodMs) {
        this.out.heartbeat();
        this.flush();
      }
    }, periodMs);
    this.heartbeatTimer.unref();
  }

  /** The writer to encode frames into; call scheduleFlush() after writing. */
  get writer(): FrameWriter {
    return this.out;
  }

  sendMethod(channel: number, m: Method): void {
    // Acks issued earlier go out first: a channel.close or connection.close after them must not
    // overtake them (the broker would requeue those messages).
    if (this.ackChannels.length > 0) this.writeAcks();
    encodeMethod(this.out, channel, m);
    this.scheduleFlush();
  }

  scheduleFlush(): void {
    if (this.out.pos >= FLUSH_THRESHOLD) {
      // Write now, but settle the publishes only at the end of the turn: settling here would let
      // a publishing loop refill the buffer from microtasks and starve this process's other I/O
      // (its consumers' deliveries and acks) for as long as the socket takes more.
      this.writeOut();
    }
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(this.flush);
  }

  /** Writes everything buffered in one stream write and resumes publishes that were waiting for it. */
  flush(): void {
    this.flushScheduled = false;
    this.writeOut();
    if (this.afterWrite.length > 0) this.settleWritten();
  }

  /**
   * Settles publishes (without confirms) whose bytes were handed to the stream: while the stream
   * holds less than OUTPUT_HIGH_WATER (its own 16 KB mark is below one burst), at most
   * SETTLE_PER_TURN per event-loop turn, so a publishing loop cannot starve this process's other
   * I/O (consumers' deliveries and acks); beyond the mark they wait for 'drain'.
   */
  private settleWritten(): void {
    if (this.awaitingDrain) return;
    if (this.stream.writableLength >= OUTPUT_HIGH_WATER) {
      this.awaitingDrain = true;
      return;
    }
    const q = this.afterWrite;
    for (let i = 0; i < SETTLE_PER_TURN && q.length > 0; i++) q.shift()!.settle(undefined);
    if (q.length > 0) this.scheduleFlush();
  }

  /** Hands the buffered output to the stream in one write; the buffer is reused once the write completes. */
  private writeOut(): void {
    if (this.ackChannels.length > 0) this.writeAcks();
    const out = this.out;
    if (out.pos === 0) return;
    if (this.closed) {
      out.reset();
      return;
    }
    this.writing.push(out);
    this.out = this.spares.pop() ?? new FrameWriter(64 * 1024);
    this.lastSend = Date.now();
    this.stream.write(out.buf.subarray(0, out.pos), this.onWritten);
  }

  private writeAcks(): void {
    const chans = this.ackChannels;
    this.ackChannels = [];
    for (const ch of chans) ch.writePendingAck();
  }

  /** Registers a channel whose coalesced ack must be written before the next flush. */
  ackPending(ch: WireChannel): void {
    this.ackChannels.push(ch);
    this.scheduleFlush();
  }

  /** Settles `t` once what is buffered now has been written (publishing without confirms). */
  settleAfterWrite(t: PublishTicket): void {
    this.afterWrite.push(t);
  }

  private onDrain(): void {
    if (!this.awaitingDrain) return;
    this.awaitingDrain = false;
    // They resume at the next flush, SETTLE_PER_TURN at a time.
    this.scheduleFlush();
  }

  private onWritten(): void {
    const w = this.writing.shift();
    if (w !== undefined && this.spares.length < 4) {
      w.reset();
      this.spares.push(w);
    }
  }

  /** Bytes waiting in the stream (for publish backpressure). */
  get pendingOutput(): number {
    return this.stream.writableLength + this.out.pos;
  }

  async openChannel(): Promise<WireChannel> {
    if (this.closed) throw new ConnectionLostError('connection is closed');
    const id = this.allocateChannelId();
    const ch = new WireChannel(this, id);
    this.channels.set(id, ch);
    await ch.open();
    return ch;
  }

  private allocateChannelId(): number {
    const max = this.channelMax;
    for (let i = 0; i < max; i++) {
      const id = this.nextChannelId;
      this.nextChannelId = id >= max ? 1 : id + 1;
      if (!this.channels.has(id)) return id;
    }
    throw new ConnectionLostError(`no free channel (channel_max ${max})`);
  }

  channelReleased(id: number): void {
    this.channels.delete(id);
  }

  /** Closes the connection politely (connection.close, wait for close-ok), then the stream. */
  async close(): Promise<void> {
    if (this.closed) return;
    const done = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, CLOSE_OK_TIMEOUT_MS);
      timer.unref();
      this.closeOk = () => { clearTimeout(timer); resolve(); };
    });
    this.sendMethod(0, { name: 'connection.close', replyCode: 200, replyText: 'Goodbye', classId: 0, methodId: 0 });
    this.flush();
    await done;
    this.teardown(new ConnectionLostError('connection closed by the client'));
    this.stream.end();
    this.stream.destroy();
  }

  /** Abandons the connection at once (used by tests and when a heartbeat is missed). */
  destroy(): void {
    this.teardown(new ConnectionLostError('connection destroyed by the client'));
    this.stream.destroy();
  }

  private teardown(err: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.reader.stop();
    if (this.heartbeatTimer !== undefined) clearInterval(this.heartbeatTimer);
    if (this.handshake !== undefined) {
      this.handshake.reject(err);
      this.handshake = undefined;
      this.stream.destroy();
    }
    const unwritten = this.afterWrite.drain();
    for (const t of unwritten) t.settle(err);
    for (const ch of [...this.channels.values()]) ch.connectionLost(err);
    this.channels.clear();
    this.listener.onWireClosed(this, err);
  }
}

/** AMQP tuning rule: 0 means "no limit", otherwise the smaller value wins. */
function negotiate(client: number, server: number): number {
  if (client === 0) return server;
  if (server === 0) return client;
  return Math.min(client, server);
}
