import { ChannelClosedError, ClientClosedError } from './errors.js';
import { backoffDelay } from './backoff.js';
import type { ChannelListener, WireChannel } from './wire/wire-channel.js';
import type { WireConnection } from './wire/wire-connection.js';

/** What a managed channel needs from its Connection. */
export interface ChannelHost {
  waitReady(): Promise<WireConnection>;
  readonly isClosing: boolean;
  channelReopenFailed(err: Error): void;
}

export interface ManagedChannelOptions {
  /** Put the channel in publisher-confirm mode. */
  confirm: boolean;
  /** Re-open at once after a reconnect or a channel error (channels with consumers). */
  keepOpen: boolean;
  /** Runs on every fresh channel before it is handed out (qos, basic.consume...). */
  setup?: (ch: WireChannel) => Promise<void>;
  /** Hears that the current channel is gone (to fail or re-send what was in flight on it). */
  lost?: (ch: WireChannel, err: Error) => void;
}

/**
 * A channel that outlives the AMQP channels under it: whenever the current one is lost (the
 * connection dropped, or the broker closed it with an error) the next use opens a fresh one and
 * runs the setup again. Channels with consumers re-open by themselves.
 */
export class ManagedChannel implements ChannelListener {
  current: WireChannel | undefined;
  private opening: Promise<WireChannel> | undefined;
  private closed = false;
  private failures = 0;

  constructor(
    private readonly host: ChannelHost,
    private readonly opts: ManagedChannelOptions,
  ) {}

  /** The open channel, opening (and setting up) a new one when needed. */
  get(): Promise<WireChannel> {
    const ch = this.current;
    if (ch !== undefined && ch.state === 'open') return Promise.resolve(ch);
    if (this.closed) return Promise.reject(new ClientClosedError('channel was closed by the application'));
    this.opening ??= this.open().finally(() => {
      this.opening = undefined;
    });
    return this.opening;
  }

  private async open(): Promise<WireChannel> {
    const wire = await this.host.waitReady();
    const ch = await wire.openChannel();
    ch.listener = this;
    if (this.opts.confirm) await ch.confirmSelect();
    if (this.opts.setup !== undefined) await this.opts.setup(ch);
    if (ch.state !== 'open') throw ch.closeError ?? new ChannelClosedError('channel closed during setup', 0);
    this.current = ch;
    this.failures = 0;
    return ch;
  }

  onChannelClosed(ch: WireChannel, err: Error): void {
    if (this.current === ch) this.current = undefined;
    this.opts.lost?.(ch, err);
    // A broker-side channel error (not a lost connection, which the Connection recovers): reopen
    // with back-off so that a persistent error cannot spin.
    if (this.opts.keepOpen && !this.closed && err instanceof ChannelClosedError && !this.host.isClosing) {
      const delay = backoffDelay({ initialDelay: 50, maxDelay: 5000 }, this.failures++);
      setTimeout(() => this.reopen(), delay).unref();
    }
  }

  /** Re-opens a keep-open channel (after a reconnect or a channel error). */
  reopen(): void {
    if (this.closed || !this.opts.keepOpen) return;
    this.get().catch((e: Error) => {
      if (!(e instanceof ClientClosedError)) this.host.channelReopenFailed(e);
    });
  }

  get keepOpen(): boolean {
    return this.opts.keepOpen;
  }

  async close(): Promise<void> {
    this.closed = true;
    const ch = this.current;
    this.current = undefined;
    if (ch !== undefined) await ch.close();
  }
}
