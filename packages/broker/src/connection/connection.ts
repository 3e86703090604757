import { Buffer } from 'node:buffer';
import type { Duplex } from 'node:stream';

/** What a connection needs of its transport: a TCP or TLS socket, or an in-process stream (memory://). */
export type ConnectionStream = Duplex & {
  remoteAddress?: string; remotePort?: number; localAddress?: string; localPort?: number; encrypted?: boolean;
  setNoDelay?(noDelay?: boolean): unknown;
};
import { ChannelTable, decodeMethod, encodeMethod, FrameReader, FrameWriter, ProtocolError, type FieldTable, type FrameSink, type Method } from '@warren/protocol';
import type { Logger } from 'pino';
import type { AccessControl } from '../auth/access-control.js';
import { Channel } from '../channel/channel.js';
import type { ChannelConnection } from '../channel/channel-connection.js';
import type { DirectReplyToRegistry } from '../channel/direct-reply-to.js';
import type { Durability } from '../durability/durability.js';
import { AmqpError, connectionError } from '../errors.js';
import type { Queue, ThrottledPublisher } from '../queue/queue.js';
import type { VirtualHost } from '../vhost/vhost.js';
import type { FlushScheduler, Flushable } from './flush-scheduler.js';
import { decodeSaslResponse, SUPPORTED_MECHANISMS } from './sasl.js';
import { serverProperties } from './server-properties.js';
import type { MessageCounters } from '../stats/counters.js';
import type { AuthBackoff } from './auth-backoff.js';
import type { TopicAuthorizer } from '../auth/topic-authorizer.js';

export interface ConnectionLimits {
  heartbeat: number;
  frameMax: number;
  channelMax: number;
  handshakeTimeoutMs: number;
}

/** What a connection needs from the broker. */
export interface ConnectionHost {
  readonly access: AccessControl;
  readonly directReplyTo: DirectReplyToRegistry;
  readonly durability: Durability | undefined;
  readonly scheduler: FlushScheduler;
  readonly limits: ConnectionLimits;
  readonly logger: Logger;
  readonly clusterName: string;
  vhost(name: string): VirtualHost | undefined;
  connectionClosed(c: Connection): void;
  /** Whether a resource alarm blocks publishers now. */
  readonly publishingBlocked: boolean;
  /** Whether channels keep message counters. */
  readonly statsEnabled: boolean;
  /** Slows down repeated failed logins per source address. */
  readonly authBackoff: AuthBackoff | undefined;
  /** A vhost's limit, when one is set. */
  vhostLimit(vhost: string, key: 'max-connections' | 'max-queues'): number | undefined;
  readonly topics: TopicAuthorizer;
  connectionsIn(vhost: string): number;
  /** Totals of a closed channel, kept in its vhost's figures. */
  retireStats(vhost: string, c: MessageCounters): void;
}

const PROTOCOL_HEADER = Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 0, 9, 1]);
/** Deliveries stop for this turn once this much output is waiting in the buffer. */
const OUTPUT_BATCH_LIMIT = 256 * 1024;
/** Deliveries pause while the socket holds more than this unsent; resume on 'drain'. */
const SOCKET_HIGH_WATER = 1024 * 1024;
/** A fresh output buffer starts small: idle connections must stay cheap. */
const INITIAL_OUTPUT = 2048;
const CLOSE_OK_TIMEOUT_MS = 3000;
const FRAME_MIN_SIZE = 4096;

type State = 'header' | 'start-ok' | 'tune-ok' | 'open' | 'opened' | 'closing' | 'closed';

let nextConnectionId = 1;

/** Decodes method arguments; like RabbitMQ, an undecodable method is a 501 frame error. */
function decode(classId: number, methodId: number, buf: Buffer, start: number, end: number): Method {
  try {
    return decodeMethod(classId, methodId, buf, start + 4, end);
  } catch (e) {
    if (e instanceof ProtocolError && e.code === 502) {
      throw new ProtocolError(501, e.message.replace(/^SYNTAX_ERROR/, 'FRAME_ERROR'), classId, methodId);
    }
    throw e;
  }
}

/**
 * One AMQP connection: protocol header, handshake, frame dispatch to channels, the output
 * buffer (flushed once per event-loop turn), heartbeats, and the close handshakes.
 */
export class Connection implements FrameSink, ChannelConnection, Flushable, ThrottledPublisher {
  readonly id = nextConnectionId++;
  private state: State = 'header';
  private readonly reader: FrameReader;
  private out = new FrameWriter(INITIAL_OUTPUT);
  /** Output buffers handed to the socket, oldest first, until their write callback returns them. */
  private readonly inFlight: FrameWriter[] = [];
  private spare: FrameWriter | undefined;
  private readonly onWritten = (): void => {
    const w = this.inFlight.shift();
    if (w !== undefined && this.spare === undefined) {
      w.reset();
      this.spare = w;
    }
  };
  private readonly channels = new ChannelTable<Channel>();
  private headerBytes: Buffer | undefined;
  user = '';
  isImpersonator = false;
  vhost!: VirtualHost;
  frameMax: number;
  channelMax: number;
  heartbeat = 0;
  clientProperties: FieldTable = {};
  readonly capabilities = { consumerCancelNotify: false, authenticationFailureClose: false, connectionBlocked: false };
  flushScheduled = false;
  private congested = false;
  private wantDispatch = false;
  private readonly confirmChannels: Channel[] = [];
  private readonly consumerQueues = new Map<Queue, number>();
  private throttledBy: Set<Queue> | undefined;
  private paused = false;
  /** This connection has published (alarms block only publishers, as in RabbitMQ). */
  private publisher = false;
  /** Blocked by a resource alarm (connection.blocked sent when the client supports it). */
  private alarmBlocked = false;
  private lastRecv = Date.now();
  private lastSend = Date.now();
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private handshakeTimer: NodeJS.Timeout | undefined;
  private closeTimer: NodeJS.Timeout | undefined;
  private authDelayTimer: NodeJS.Timeout | undefined;
  /** The client closed the connection (close-ok sent): waiting for it to close the socket. */
  private clientClosed = false;
  readonly connectedAt = Date.now();
  /** Bytes and socket reads/writes, for the management API (per read event / flush, not per message). */
  recvOct = 0;
  recvCnt = 0;
  sendOct = 0;
  sendCnt = 0;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  /** Whether the transport is TLS (amqps). */
  readonly tls: boolean;
  authMechanism = '';

  constructor(private readonly socket: ConnectionStream, private readonly host: ConnectionHost) {
    this.frameMax = host.limits.frameMax;
    this.channelMax = host.limits.channelMax;
    this.reader = new FrameReader(this, host.limits.frameMax);
    this.remoteAddress = socket.remoteAddress ?? '';
    this.remotePort = socket.remotePort ?? 0;
    this.localAddress = socket.localAddress ?? '';
    this.localPort = socket.localPort ?? 0;
    this.tls = socket.encrypted === true;
    socket.setNoDelay?.(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => this.onDrain());
    socket.on('error', () => { /* 'close' follows and cleans up */ });
    socket.on('close', () => this.onSocketClosed());
    this.handshakeTimer = setTimeout(() => {
      if (this.state !== 'opened' && this.state !== 'closed') {
        this.host.logger.warn({ conn: this.id, remote: this.remoteAddress }, 'handshake timeout, closing connection');
        this.socket.destroy();
      }
    }, host.limits.handshakeTimeoutMs);
    this.handshakeTimer.unref();
  }

  get access(): AccessControl { return this.host.access; }
  get topics(): TopicAuthorizer { return this.host.topics; }
  get directReplyTo(): DirectReplyToRegistry { return this.host.directReplyTo; }
  get durability(): Durability | undefined { return this.host.durability; }
  get isOpen(): boolean { return this.state === 'opened'; }
  get channelCount(): number { return this.channels.size; }
  /** Whether this connection has published (RabbitMQ counts publishers). */
  get isPublisher(): boolean { return this.publisher; }
  get channelList(): IterableIterator<Channel> { return this.channels.values(); }
  get statsEnabled(): boolean { return this.host.statsEnabled; }
  /** 'starting' | 'tuning' | 'opening' | 'running' | 'closing' | 'closed', as RabbitMQ reports state. */
  get stateName(): string {
    switch (this.state) {
      case 'header': case 'start-ok': return 'starting';
      case 'tune-ok': return 'tuning';
      case 'open': return 'opening';
      case 'opened': return this.paused ? (this.alarmBlocked ? 'blocked' : 'flow') : 'running';
      default: return this.state;
    }
  }

  vhostLimit(key: 'max-connections' | 'max-queues'): number | undefined {
    return this.vhost === undefined ? undefined : this.host.vhostLimit(this.vhost.name, key);
  }

  retireStats(c: MessageCounters): void {
    if (this.vhost !== undefined) this.host.retireStats(this.vhost.name, c);
  }

  // ---- input ---------------------------------------------------------------------------

  private onData(chunk: Buffer): void {
    this.lastRecv = Date.now();
    this.recvOct += chunk.length;
    this.recvCnt++;
    if (this.state === 'header') {
      const rest = this.readProtocolHeader(chunk);
      if (rest === undefined || rest.length === 0) return;
      chunk = rest;
    }
    if (this.state === 'closed') return;
    try {
      this.reader.push(chunk);
    } catch (e) {
      this.fail(e, 0);
    }
    // Output produced by this read (replies, and deliveries to consumers on other
    // connections) goes out at the end of the read event: one write per socket per read.
    this.host.scheduler.flushAll();
  }

  /** Collects the 8-byte protocol header; returns bytes after it, or undefined to wait. */
  private readProtocolHeader(chunk: Buffer): Buffer | undefined {
    const have = this.headerBytes ? Buffer.concat([this.headerBytes, chunk]) : chunk;
    if (have.length < 8) {
      // A mismatch can be decided early (e.g. an HTTP request): only wait while it could be AMQP.
      if (PROTOCOL_HEADER.subarray(0, have.length).equals(have)) {
        this.headerBytes = have;
        return undefined;
      }
    }
    this.headerBytes = undefined;
    if (have.length < 8 || !have.subarray(0, 8).equals(PROTOCOL_HEADER)) {
      this.state = 'closed';
      this.socket.end(PROTOCOL_HEADER);
      return undefined;
    }
    this.state = 'start-ok';
    this.send(0, {
      name: 'connection.start', versionMajor: 0, versionMinor: 9,
      serverProperties: serverProperties(this.host.clusterName),
      mechanisms: Buffer.from(SUPPORTED_MECHANISMS.join(' ')), locales: Buffer.from('en_US'),
    });
    return have.subarray(8);
  }

  /** FrameSink: one complete frame (the payload region is valid only during this call). */
  onFrame(type: number, channel: number, buf: Buffer, start: number, end: number): void {
    // The method a failure is reported against (connection.close / channel.close class-id, method-id).
    let classId = 0;
    let methodId = 0;
    try {
      if (this.state === 'closing') return this.onFrameWhileClosing(type, channel, buf, start, end);
      if (type === 8) {
        if (end !== start) throw connectionError(501, 'heartbeat frame with a payload');
        if (channel !== 0) throw connectionError(505, `heartbeat frame on channel ${channel}`);
        return;
      }
      if (type === 1) {
        if (end - start < 4) throw connectionError(501, 'method frame too short');
        classId = (buf[start]! << 8) | buf[start + 1]!;
        methodId = (buf[start + 2]! << 8) | buf[start + 3]!;
      }
      if (this.state !== 'opened') return this.onHandshakeFrame(type, channel, classId, methodId, buf, start, end);
      if (channel === 0) return this.onConnectionFrame(type, classId, methodId, buf, start, end);
      const ch = this.channels.get(channel);
      if (type === 1) {
        if (ch === undefined) return this.onChannelOpen(channel, classId, methodId, buf, start, end);
        if (ch.closing) return this.onMethodWhileChannelClosing(ch, classId, methodId);
        if (ch.publish.active) {
          classId = 60;
          methodId = 40;
          throw connectionError(505, 'expected content header for class 60, got non content header frame instead');
        }
        if (classId === 60 && methodId === 40) {
          ch.publish.begin(buf, start + 4, end);
          return;
        }
        const m = decode(classId, methodId, buf, start, end);
        if (classId === 20) return this.onChannelMethod(ch, m);
        ch.handleMethod(m);
        return;
      }
      if (ch === undefined) throw connectionError(504, `expected 'channel.open' on channel ${channel}`);
      classId = 60;
      methodId = 40;
      if (type === 2) {
        if (ch.closing) return;
        if (!ch.publish.active || !ch.publish.awaitingHeader) throw connectionError(505, 'content header without a content method');
        const msg = ch.publish.header(buf, start, end);
        if (msg !== undefined) {
          ch.published(msg);
          if (!this.publisher) this.published();
        }
        return;
      }
      if (type === 3) {
        if (ch.closing && !ch.publish.discarding) return;
        if (!ch.publish.active || ch.publish.awaitingHeader) throw connectionError(505, 'content body without a content header');
        const msg = ch.publish.body(buf, start, end);
        if (msg !== undefined) {
          ch.published(msg);
          if (!this.publisher) this.published();
        }
        return;
      }
      throw connectionError(501, `unexpected frame type ${type}`);
    } catch (e) {
      if (e instanceof AmqpError && e.classId === 0) {
        e.classId = classId;
        e.methodId = methodId;
      }
      this.fail(e, channel);
    }
  }

  private onHandshakeFrame(type: number, channel: number, classId: number, methodId: number, buf: Buffer, start: number, end: number): void {
    if (type !== 1 || channel !== 0) throw connectionError(505, `frame type ${type} on channel ${channel} during the handshake`);
    const m = decode(classId, methodId, buf, start, end);
    if (this.state === 'start-ok' && m.name === 'connection.start-ok') return this.onStartOk(m.clientProperties, m.mechanism, m.response);
    if (this.state === 'tune-ok' && m.name === 'connection.tune-ok') return this.onTuneOk(m.channelMax, m.frameMax, m.heartbeat);
    if (this.state === 'open' && m.name === 'connection.open') return this.onOpen(m.virtualHost);
    if (m.name === 'connection.close') {
      this.send(0, { name: 'connection.close-ok' });
      return this.awaitClientClose();
    }
    throw connectionError(503, `unexpected ${m.name} during the handshake`);
  }

  private onStartOk(clientProperties: FieldTable, mechanism: string, response: Buffer): void {
    this.clientProperties = clientProperties;
    const caps = clientProperties['capabilities'];
    if (caps !== null && typeof caps === 'object' && !Array.isArray(caps) && !Buffer.isBuffer(caps)) {
      const c = caps as FieldTable;
      this.capabilities.consumerCancelNotify = c['consumer_cancel_notify'] === true;
      this.capabilities.authenticationFailureClose = c['authentication_failure_close'] === true;
      this.capabilities.connectionBlocked = c['connection.blocked'] === true;
    }
    if (!SUPPORTED_MECHANISMS.includes(mechanism)) {
      throw connectionError(503, `unknown authentication mechanism '${mechanism}'`);
    }
    // A source with repeated failures waits before its attempt is even checked (brute force).
    const delay = this.host.authBackoff?.delayFor(this.remoteAddress) ?? 0;
    if (delay > 0) {
      const saved = Buffer.from(response);
      this.socket.pause();
      this.authDelayTimer = setTimeout(() => {
        this.authDelayTimer = undefined;
        if (this.state !== 'start-ok') return;
        this.socket.resume();
        try {
          this.authenticate(mechanism, saved);
        } catch (e) {
          this.fail(e, 0);
        }
        this.host.scheduler.flushAll();
      }, delay);
      return;
    }
    this.authenticate(mechanism, response);
  }

  private authenticate(mechanism: string, response: Buffer): void {
    const creds = decodeSaslResponse(mechanism, response);
    const user = creds && this.host.access.authenticate(creds.username, creds.password);
    if (!user || !this.host.access.mayConnectFrom(user, this.remoteAddress)) {
      this.host.authBackoff?.failed(this.remoteAddress, creds?.username);
      this.host.logger.warn({ conn: this.id, user: creds?.username, remote: this.remoteAddress }, 'login refused');
      const text = `ACCESS_REFUSED - Login was refused using authentication mechanism ${mechanism}. For details see the broker logfile.`;
      if (this.capabilities.authenticationFailureClose) {
        this.send(0, { name: 'connection.close', replyCode: 403, replyText: text, classId: 0, methodId: 0 });
      }
      return this.endAfterFlush();
    }
    this.host.authBackoff?.succeeded(this.remoteAddress);
    this.user = user.name;
    this.authMechanism = mechanism;
    this.isImpersonator = user.tags.includes('impersonator');
    this.state = 'tune-ok';
    const l = this.host.limits;
    this.send(0, { name: 'connection.tune', channelMax: l.channelMax, frameMax: l.frameMax, heartbeat: l.heartbeat });
  }

  private onTuneOk(channelMax: number, frameMax: number, heartbeat: number): void {
    const l = this.host.limits;
    if (frameMax !== 0 && frameMax < FRAME_MIN_SIZE) throw connectionError(530, `frame_max=${frameMax} < ${FRAME_MIN_SIZE} min size`);
    if (frameMax > l.frameMax) throw connectionError(530, `frame_max=${frameMax} > ${l.frameMax} max size`);
    if (channelMax > l.channelMax) throw connectionError(530, `channel_max=${channelMax} > ${l.channelMax} max size`);
    this.frameMax = frameMax === 0 ? l.frameMax : frameMax;
    this.channelMax = channelMax === 0 ? l.channelMax : channelMax;
    this.reader.maxFrameSize = this.frameMax;
    this.heartbeat = heartbeat;
    this.state = 'open';
    if (heartbeat > 0) this.startHeartbeats(heartbeat);
  }

  private onOpen(vhostName: string): void {
    const vhost = this.host.vhost(vhostName);
    if (vhost === undefined) throw connectionError(530, `vhost ${vhostName} not found`);
    if (!this.host.access.canAccessVhost(this.user, vhostName)) {
      throw connectionError(530, `access to vhost '${vhostName}' refused for user '${this.user}'`);
    }
    const max = this.host.vhostLimit(vhostName, 'max-connections');
    if (max !== undefined && this.host.connectionsIn(vhostName) >= max) {
      throw connectionError(530, `access to vhost '${vhostName}' refused for user '${this.user}': connection limit (${max}) is reached`);
    }
    this.vhost = vhost;
    this.state = 'opened';
    clearTimeout(this.handshakeTimer);
    this.send(0, { name: 'connection.open-ok' });
    this.host.logger.info({ conn: this.id, user: this.user, vhost: vhostName, remote: `${this.remoteAddress}:${this.remotePort}` }, 'connection opened');
  }

  private onConnectionFrame(type: number, classId: number, methodId: number, buf: Buffer, start: number, end: number): void {
    if (type !== 1) throw connectionError(505, `frame type ${type} on channel 0`);
    if (classId !== 10) throw connectionError(504, `class ${classId} methods are not allowed on channel 0`);
    const m = decode(classId, methodId, buf, start, end);
    switch (m.name) {
      case 'connection.close':
        this.teardownChannels();
        this.send(0, { name: 'connection.close-ok' });
        this.awaitClientClose();
        return;
      case 'connection.close-ok':
      case 'connection.blocked':
      case 'connection.unblocked':
        return;
      case 'connection.update-secret':
        // OAuth 2 token refresh; Warren authenticates by password, so the new secret is acknowledged.
        this.send(0, { name: 'connection.update-secret-ok' });
        return;
      default:
        throw connectionError(503, `${m.name} is not allowed on channel 0`);
    }
  }

  private onChannelOpen(channel: number, classId: number, methodId: number, buf: Buffer, start: number, end: number): void {
    // Both sides closed the channel at once: the client's close-ok for our close arrives after its
    // own close was answered and the channel forgotten.
    if (classId === 20 && methodId === 41) return;
    if (classId !== 20 || methodId !== 10) {
      throw connectionError(504, `expected 'channel.open' on channel ${channel}`);
    }
    decode(classId, methodId, buf, start, end);
    if (this.channels.size >= this.channelMax) {
      throw connectionError(530, `number of channels opened (${this.channels.size}) has reached the negotiated channel_max (${this.channelMax})`);
    }
    this.channels.set(channel, new Channel(channel, this));
    this.send(channel, { name: 'channel.open-ok' });
  }

  private onChannelMethod(ch: Channel, m: Method): void {
    switch (m.name) {
      case 'channel.open':
        throw connectionError(504, `second 'channel.open' seen on channel ${ch.id}`);
      case 'channel.close':
        ch.teardown();
        this.channels.delete(ch.id);
        this.send(ch.id, { name: 'channel.close-ok' });
        return;
      case 'channel.close-ok':
        return;
      default:
        ch.handleMethod(m);
    }
  }

  /** After the broker closed a channel, only close/close-ok matter until close-ok arrives. */
  private onMethodWhileChannelClosing(ch: Channel, classId: number, methodId: number): void {
    if (classId !== 20) return;
    if (methodId === 41) {
      this.channels.delete(ch.id);
    } else if (methodId === 40) {
      this.channels.delete(ch.id);
      this.send(ch.id, { name: 'channel.close-ok' });
    }
  }

  private onFrameWhileClosing(type: number, channel: number, buf: Buffer, start: number, end: number): void {
    if (type !== 1 || channel !== 0 || end - start < 4) return;
    const classId = buf.readUInt16BE(start);
    const methodId = buf.readUInt16BE(start + 2);
    if (classId === 10 && methodId === 51) this.destroy();
    else if (classId === 10 && methodId === 50) {
      this.send(0, { name: 'connection.close-ok' });
      if (this.clientClosed) this.flush();
      else this.endAfterFlush();
    }
  }

  // ---- errors and closing --------------------------------------------------------------

  /** Routes an error to the right level: channel close (soft) or connection close (hard). */
  private fail(e: unknown, channel: number): void {
    if (this.state === 'closed') return;
    if (e instanceof AmqpError && !e.connection && channel !== 0) {
      const ch = this.channels.get(channel);
      if (ch !== undefined && !ch.closing) {
        ch.teardown();
        this.send(channel, { name: 'channel.close', replyCode: e.code, replyText: e.text, classId: e.classId, methodId: e.methodId });
        return;
      }
    }
    if (e instanceof AmqpError) return this.closeWithError(e.code, e.text, e.classId, e.methodId);
    if (e instanceof ProtocolError) return this.closeWithError(e.code, e.message, e.classId, e.methodId);
    this.host.logger.error({ conn: this.id, err: e }, 'internal error while handling a frame');
    this.closeWithError(541, 'INTERNAL_ERROR - ' + (e instanceof Error ? e.message : String(e)), 0, 0);
  }

  /** Server-initiated connection.close; the socket closes on close-ok or after a timeout. */
  closeWithError(code: number, text: string, classId = 0, methodId = 0): void {
    if (this.state === 'closing' || this.state === 'closed') return;
    if (code !== 320) this.host.logger.warn({ conn: this.id, code, text }, 'closing connection with an error');
    this.state = 'closing';
    this.teardownChannels();
    this.send(0, { name: 'connection.close', replyCode: code, replyText: text.slice(0, 255), classId, methodId });
    this.flush();
    this.closeTimer = setTimeout(() => this.destroy(), CLOSE_OK_TIMEOUT_MS);
    this.closeTimer.unref();
  }

  /**
   * After close-ok for the client's connection.close: as RabbitMQ, the client closes the socket
   * (ending it here would race with a client still reading close-ok, e.g. one that sent close
   * from several threads: each gets its close-ok); destroyed after a timeout if it does not.
   */
  private awaitClientClose(): void {
    this.flush();
    this.state = 'closing';
    this.clientClosed = true;
    this.closeTimer = setTimeout(() => this.destroy(), CLOSE_OK_TIMEOUT_MS);
    this.closeTimer.unref();
  }

  /** Writes what is buffered, then ends the socket. */
  private endAfterFlush(): void {
    clearTimeout(this.closeTimer);
    this.flush();
    this.state = 'closed';
    this.reader.stop();
    this.socket.end();
    this.closeTimer = setTimeout(() => this.destroy(), CLOSE_OK_TIMEOUT_MS);
    this.closeTimer.unref();
  }

  destroy(): void {
    this.reader.stop();
    this.socket.destroy();
  }

  private teardownChannels(): void {
    for (const ch of this.channels.values()) ch.teardown();
    this.channels.clear();
  }

  private onSocketClosed(): void {
    const wasOpen = this.vhost !== undefined;
    this.state = 'closed';
    this.reader.stop();
    clearTimeout(this.handshakeTimer);
    clearTimeout(this.closeTimer);
    clearTimeout(this.authDelayTimer);
    clearInterval(this.heartbeatTimer);
    this.teardownChannels();
    if (this.throttledBy !== undefined) for (const q of this.throttledBy) q.forgetPublisher(this);
    if (wasOpen) this.vhost.connectionClosed(this.id);
    this.host.connectionClosed(this);
  }

  // ---- output --------------------------------------------------------------------------

  output(): FrameWriter {
    if (!this.flushScheduled) this.host.scheduler.mark(this);
    return this.out;
  }

  send(channel: number, m: Method): void {
    encodeMethod(this.output(), channel, m);
  }

  confirmPending(ch: Channel): void {
    this.confirmChannels.push(ch);
    this.output();
  }

  writable(): boolean {
    if (this.congested) return false;
    if (this.out.pos >= OUTPUT_BATCH_LIMIT) {
      this.wantDispatch = true;
      this.output();
      return false;
    }
    return true;
  }

  /** Writes the buffered output in one socket write. */
  flush(): void {
    for (let i = 0; i < this.confirmChannels.length; i++) this.confirmChannels[i]!.flushConfirms();
    this.confirmChannels.length = 0;
    const out = this.out;
    if (out.pos > 0 && this.state !== 'closed') {
      // The socket keeps a reference to the bytes until the write callback: switch buffers
      // (two alternate in steady state, so no allocation per flush).
      this.inFlight.push(out);
      this.out = this.spare ?? new FrameWriter(INITIAL_OUTPUT);
      this.spare = undefined;
      this.sendOct += out.pos;
      this.sendCnt++;
      this.socket.write(out.buf.subarray(0, out.pos), this.onWritten);
      this.lastSend = Date.now();
      if (this.socket.writableLength > SOCKET_HIGH_WATER) this.congested = true;
    } else {
      out.reset();
    }
    if (this.wantDispatch && !this.congested) {
      this.wantDispatch = false;
      this.redispatch();
    }
  }

  private onDrain(): void {
    if (!this.congested) return;
    this.congested = false;
    this.redispatch();
  }

  private redispatch(): void {
    for (const q of this.consumerQueues.keys()) q.dispatch();
  }

  consumerAdded(q: Queue): void {
    this.consumerQueues.set(q, (this.consumerQueues.get(q) ?? 0) + 1);
  }

  consumerRemoved(q: Queue): void {
    const n = (this.consumerQueues.get(q) ?? 0) - 1;
    if (n <= 0) this.consumerQueues.delete(q);
    else this.consumerQueues.set(q, n);
  }

  // ---- publisher flow control ----------------------------------------------------------

  throttleBy(q: Queue): void {
    if (this.state === 'closed') return;
    this.throttledBy ??= new Set();
    if (!this.throttledBy.has(q)) {
      this.throttledBy.add(q);
      q.throttle(this);
    }
    this.updatePaused();
  }

  unthrottle(q: Queue): void {
    this.throttledBy?.delete(q);
    this.updatePaused();
  }

  /** Reading pauses while a queue throttles this publisher or a resource alarm blocks it. */
  private updatePaused(): void {
    const pause = this.state !== 'closed' && (this.alarmBlocked || (this.throttledBy !== undefined && this.throttledBy.size > 0));
    if (pause === this.paused) return;
    this.paused = pause;
    if (pause) this.socket.pause();
    else this.socket.resume();
  }

  /** Called for every publish: marks the connection as a publisher and applies an active alarm. */
  published(): void {
    if (this.publisher) return;
    this.publisher = true;
    if (this.host.publishingBlocked) this.setAlarmBlocked(true);
  }

  /** A resource alarm changed: block or release this connection if it publishes. */
  setAlarmBlocked(on: boolean): void {
    if (on === this.alarmBlocked || this.state !== 'opened' || (on && !this.publisher)) return;
    this.alarmBlocked = on;
    if (this.capabilities.connectionBlocked) {
      this.send(0, on ? { name: 'connection.blocked', reason: 'low on memory or disk' } : { name: 'connection.unblocked' });
      this.flush();
    }
    this.updatePaused();
  }

  // ---- heartbeats ----------------------------------------------------------------------

  private startHeartbeats(seconds: number): void {
    const intervalMs = (seconds * 1000) / 2;
    this.heartbeatTimer = setInterval(() => {
      const now = Date.now();
      // While reading is paused (flow control, alarms) the peer's heartbeats sit unread.
      if (this.paused) this.lastRecv = now;
      // Two missed intervals of silence: the peer is gone (RabbitMQ drops the socket).
      if (now - this.lastRecv > seconds * 2000) {
        this.host.logger.warn({ conn: this.id, timeout: seconds }, 'missed heartbeats from client, closing connection');
        this.destroy();
        return;
      }
      if (now - this.lastSend >= intervalMs && this.state !== 'closed') {
        this.output().heartbeat();
        this.flush();
      }
    }, intervalMs);
    this.heartbeatTimer.unref();
  }

  /** Broker shutdown: connection.close 320, as RabbitMQ does. */
  forceClose(reason: string): void {
    if (this.state === 'opened') {
      this.closeWithError(320, `CONNECTION_FORCED - ${reason}`);
    } else {
      this.destroy();
    }
  }
}
