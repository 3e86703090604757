// Small wrappers around amqplib that keep tests short and every wait bounded.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import amqp from 'amqplib';
import type { Channel, ChannelModel, ConfirmChannel, ConsumeMessage, Options } from 'amqplib';

export const DEFAULT_TIMEOUT_MS = 5000;

/** amqplib errors carry the AMQP reply code when the server closed a channel or connection. */
export interface AmqpError extends Error {
  code?: number;
  classId?: number;
  methodId?: number;
}

export function withTimeout<T>(p: Promise<T>, ms = DEFAULT_TIMEOUT_MS, what = 'operation'): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms}ms: ${what}`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

let counter = 0;
/** A queue/exchange name no other test (or earlier run against the same broker) uses. */
export function uniqueName(prefix: string): string {
  counter += 1;
  return `test-${prefix}-${process.pid}-${counter}-${randomBytes(3).toString('hex')}`;
}

// amqplib emits 'error' on channels and connections that the server closes; an unhandled 'error'
// event would crash the test process, so every object we hand out gets a listener that records it.
const closeErrors = new WeakMap<object, Promise<AmqpError | undefined>>();

function track(emitter: Channel | ChannelModel): void {
  let first: AmqpError | undefined;
  emitter.on('error', (err: AmqpError) => {
    first ??= err;
  });
  closeErrors.set(
    emitter,
    new Promise((resolve) => emitter.once('close', () => resolve(first))),
  );
}

export async function connect(url: string, socketOptions?: Record<string, unknown>): Promise<ChannelModel> {
  const conn = await withTimeout(amqp.connect(url, socketOptions), DEFAULT_TIMEOUT_MS, `connect ${url}`);
  track(conn);
  return conn;
}

export async function openChannel(conn: ChannelModel): Promise<Channel> {
  const ch = await withTimeout(conn.createChannel(), DEFAULT_TIMEOUT_MS, 'channel.open');
  track(ch);
  return ch;
}

export async function openConfirmChannel(conn: ChannelModel): Promise<ConfirmChannel> {
  const ch = await withTimeout(conn.createConfirmChannel(), DEFAULT_TIMEOUT_MS, 'confirm channel open');
  track(ch);
  return ch;
}

/** Resolves when the channel/connection closes, with the server error that closed it (if any). */
export function closedWith(x: Channel | ChannelModel, ms = DEFAULT_TIMEOUT_MS): Promise<AmqpError | undefined> {
  const p = closeErrors.get(x);
  if (!p) throw new Error('object was not opened through the test helpers');
  return withTimeout(p, ms, 'channel/connection close');
}

/**
 * amqplib mostly rejects with an Error carrying `.code`, but some RPCs (basic.get) reject with the raw
 * channel.close frame instead; both are normalised to an AmqpError.
 */
function normalise(err: unknown): AmqpError {
  if (err instanceof Error) return err as AmqpError;
  const f = err as { fields?: { replyCode?: number; replyText?: string; classId?: number; methodId?: number } };
  if (f && typeof f === 'object' && f.fields && typeof f.fields.replyCode === 'number') {
    const e: AmqpError = new Error(`Channel closed by server: ${f.fields.replyCode} ${f.fields.replyText ?? ''}`);
    e.code = f.fields.replyCode;
    e.classId = f.fields.classId;
    e.methodId = f.fields.methodId;
    return e;
  }
  assert.fail(`expected an AMQP error, got ${String(err)}`);
}

function checkError(err: unknown, code: number, text?: RegExp): AmqpError {
  const e = normalise(err);
  assert.equal(e.code, code, `expected reply code ${code}, got ${e.code}: ${e.message}`);
  if (text) assert.match(e.message, text);
  return e;
}

/** Asserts that an RPC fails because the server closed the channel with `code` (and text matching). */
export async function expectChannelError(p: Promise<unknown>, code: number, text?: RegExp): Promise<AmqpError> {
  let err: unknown;
  try {
    await withTimeout(p, DEFAULT_TIMEOUT_MS, `expecting channel error ${code}`);
  } catch (e) {
    err = e;
  }
  assert.ok(err !== undefined, `expected the server to fail with ${code}, but it succeeded`);
  return checkError(err, code, text);
}

/** Asserts that the channel gets closed by the server with `code` (for async failures such as publish). */
export async function expectChannelClosed(ch: Channel, code: number, text?: RegExp): Promise<AmqpError> {
  const err = await closedWith(ch);
  assert.ok(err !== undefined, `channel closed without a server error, expected ${code}`);
  return checkError(err, code, text);
}

/** Asserts that the connection gets closed by the server with `code`. */
export async function expectConnectionClosed(conn: ChannelModel, code: number, text?: RegExp): Promise<AmqpError> {
  const err = await closedWith(conn);
  assert.ok(err !== undefined, `connection closed without a server error, expected ${code}`);
  return checkError(err, code, text);
}

/** Closes quietly: a connection the server already closed is fine. */
export async function safeClose(x: Channel | ChannelModel | undefined): Promise<void> {
  if (!x) return;
  try {
    await withTimeout(x.close(), DEFAULT_TIMEOUT_MS, 'close');
  } catch {
    // already closed
  }
}

/** Collects the deliveries of one consumer so tests can await them one by one. */
export class Inbox {
  readonly messages: ConsumeMessage[] = [];
  consumerTag = '';
  /** Set when the server cancelled the consumer (amqplib passes null to the callback). */
  cancelledByServer = false;
  private waiters: Array<() => void> = [];
  private taken = 0;

  push(msg: ConsumeMessage | null): void {
    if (msg === null) this.cancelledByServer = true;
    else this.messages.push(msg);
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w();
  }

  private async waitUntil(cond: () => boolean, ms: number, what: string): Promise<void> {
    const deadline = Date.now() + ms;
    while (!cond()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${ms}ms waiting for ${what} (have ${this.messages.length})`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** The next delivery not yet returned by next(). */
  async next(ms = DEFAULT_TIMEOUT_MS): Promise<ConsumeMessage> {
    await this.waitUntil(() => this.messages.length > this.taken, ms, 'a delivery');
    return this.messages[this.taken++]!;
  }

  /** Waits until at least n deliveries have arrived in total. */
  async waitForCount(n: number, ms = DEFAULT_TIMEOUT_MS): Promise<ConsumeMessage[]> {
    await this.waitUntil(() => this.messages.length >= n, ms, `${n} deliveries`);
    return this.messages;
  }

  async waitForCancel(ms = DEFAULT_TIMEOUT_MS): Promise<void> {
    await this.waitUntil(() => this.cancelledByServer, ms, 'server-sent basic.cancel');
  }
}

/** Starts a consumer; pass `inbox` to collect several consumers' deliveries in one place. */
export async function consume(
  ch: Channel,
  queue: string,
  opts: Options.Consume = {},
  inbox: Inbox = new Inbox(),
): Promise<Inbox> {
  const ok = await withTimeout(
    ch.consume(queue, (m) => inbox.push(m), opts),
    DEFAULT_TIMEOUT_MS,
    `basic.consume ${queue}`,
  );
  inbox.consumerTag = ok.consumerTag;
  return inbox;
}

/** Publishes on a confirm channel and waits until the broker has taken responsibility for every message. */
export async function publishConfirmed(
  ch: ConfirmChannel,
  exchange: string,
  routingKey: string,
  bodies: Array<string | Buffer>,
  opts: Options.Publish = {},
): Promise<void> {
  for (const b of bodies) ch.publish(exchange, routingKey, Buffer.isBuffer(b) ? b : Buffer.from(b), opts);
  await withTimeout(ch.waitForConfirms(), DEFAULT_TIMEOUT_MS, 'publisher confirms');
}

export const bodies = (msgs: ConsumeMessage[]): string[] => msgs.map((m) => m.content.toString());

/** basic.get with a bound; false means get-empty. */
export function getOne(ch: Channel, queue: string, opts: Options.Get = {}): ReturnType<Channel['get']> {
  return withTimeout(ch.get(queue, opts), DEFAULT_TIMEOUT_MS, `basic.get ${queue}`);
}

/** Ready-message and consumer counts via a passive declare. */
export function queueCounts(ch: Channel, queue: string): Promise<{ messageCount: number; consumerCount: number }> {
  return withTimeout(ch.checkQueue(queue), DEFAULT_TIMEOUT_MS, `passive declare ${queue}`);
}

/**
 * Waits (bounded, polling with passive declares) until the queue reports `n` ready messages.
 * Needed where the broker moves messages asynchronously, e.g. requeue on channel close.
 */
export async function waitForReady(ch: Channel, queue: string, n: number, ms = DEFAULT_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + ms;
  let last = -1;
  for (let i = 0; i < 10_000; i++) {
    last = (await queueCounts(ch, queue)).messageCount;
    if (last === n) return;
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`queue ${queue} has ${last} ready messages, expected ${n}`);
}

/** Runs `fn` with a fresh connection and channel and always closes both. */
export async function withChannel<T>(url: string, fn: (ch: Channel, conn: ChannelModel) => Promise<T>): Promise<T> {
  const conn = await connect(url);
  try {
    const ch = await openChannel(conn);
    return await fn(ch, conn);
  } finally {
    await safeClose(conn);
  }
}

/** Deletes queues/exchanges on a scratch channel (ignores the ones already gone). */
export async function cleanup(url: string, names: { queues?: string[]; exchanges?: string[] }): Promise<void> {
  const conn = await connect(url);
  try {
    for (const q of names.queues ?? []) {
      const ch = await openChannel(conn);
      await withTimeout(ch.deleteQueue(q), DEFAULT_TIMEOUT_MS, 'queue.delete').catch(() => undefined);
      await safeClose(ch);
    }
    for (const x of names.exchanges ?? []) {
      const ch = await openChannel(conn);
      await withTimeout(ch.deleteExchange(x), DEFAULT_TIMEOUT_MS, 'exchange.delete').catch(() => undefined);
      await safeClose(ch);
    }
  } finally {
    await safeClose(conn);
  }
}

/** Empties a queue with basic.get (no-ack) and returns the bodies in order (bounded). */
export async function getAll(ch: Channel, queue: string, max = 1000): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < max; i++) {
    const m = await getOne(ch, queue, { noAck: true });
    if (m === false) return out;
    out.push(m.content.toString());
  }
  throw new Error(`queue ${queue} still not empty after ${max} gets`);
}

/**
 * One connection with a confirm channel, plus the queue/exchange names a test created so they can be
 * deleted afterwards. Extra channels (e.g. ones a test expects the server to close) come from channel().
 */
export class Session {
  readonly queues: string[] = [];
  readonly exchanges: string[] = [];

  private constructor(
    readonly url: string,
    readonly conn: ChannelModel,
    readonly ch: ConfirmChannel,
  ) {}

  static async open(url: string): Promise<Session> {
    const conn = await connect(url);
    const ch = await openConfirmChannel(conn);
    return new Session(url, conn, ch);
  }

  /** Opens a session that is closed (and its queues/exchanges deleted) when test `t` ends. */
  static async forTest(t: { after(fn: () => Promise<void>): void }, url: string): Promise<Session> {
    const s = await Session.open(url);
    t.after(() => s.close());
    return s;
  }

  /** A fresh unique queue name, deleted when the session closes. */
  queueName(prefix = 'q'): string {
    const n = uniqueName(prefix);
    this.queues.push(n);
    return n;
  }

  /** A fresh unique exchange name, deleted when the session closes. */
  exchangeName(prefix = 'x'): string {
    const n = uniqueName(prefix);
    this.exchanges.push(n);
    return n;
  }

  /** Declares a fresh non-durable queue and returns its name. */
  async queue(prefix = 'q', opts: Options.AssertQueue = {}): Promise<string> {
    const name = this.queueName(prefix);
    await withTimeout(this.ch.assertQueue(name, { durable: false, ...opts }), DEFAULT_TIMEOUT_MS, 'queue.declare');
    return name;
  }

  /** Declares a fresh non-durable exchange and returns its name. */
  async exchange(type: string, prefix = 'x', opts: Options.AssertExchange = {}): Promise<string> {
    const name = this.exchangeName(prefix);
    await withTimeout(
      this.ch.assertExchange(name, type, { durable: false, ...opts }),
      DEFAULT_TIMEOUT_MS,
      'exchange.declare',
    );
    return name;
  }

  channel(): Promise<Channel> {
    return openChannel(this.conn);
  }

  confirmChannel(): Promise<ConfirmChannel> {
    return openConfirmChannel(this.conn);
  }

  publish(exchange: string, routingKey: string, bodies: Array<string | Buffer>, opts: Options.Publish = {}): Promise<void> {
    return publishConfirmed(this.ch, exchange, routingKey, bodies, opts);
  }

  async close(): Promise<void> {
    await safeClose(this.conn);
    await cleanup(this.url, { queues: this.queues, exchanges: this.exchanges });
  }
}
