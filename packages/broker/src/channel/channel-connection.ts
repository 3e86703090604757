import type { FrameWriter, Method } from '@warren/protocol';
import type { AccessControl } from '../auth/access-control.js';
import type { Queue } from '../queue/queue.js';
import type { VirtualHost } from '../vhost/vhost.js';
import type { Channel } from './channel.js';
import type { DirectReplyToRegistry } from './direct-reply-to.js';
import type { Durability } from '../durability/durability.js';
import type { MessageCounters } from '../stats/counters.js';
import type { TopicAuthorizer } from '../auth/topic-authorizer.js';

/** What a channel needs from its connection (kept narrow so channels are testable alone). */
export interface ChannelConnection {
  readonly id: number;
  readonly user: string;
  readonly isImpersonator: boolean;
  readonly vhost: VirtualHost;
  readonly access: AccessControl;
  readonly frameMax: number;
  readonly capabilities: { consumerCancelNotify: boolean };
  readonly directReplyTo: DirectReplyToRegistry;
  /** Present when the broker has a data directory. */
  readonly durability: Durability | undefined;
  /** The output buffer to encode into (marks the connection for the next flush). */
  output(): FrameWriter;
  send(channel: number, m: Method): void;
  /** Whether more deliveries may be written now (output backlog under its limit). */
  writable(): boolean;
  confirmPending(ch: Channel): void;
  throttleBy(q: Queue): void;
  consumerAdded(q: Queue): void;
  consumerRemoved(q: Queue): void;
  /** Whether channels keep message counters (the broker's stats option). */
  readonly statsEnabled: boolean;
  /** Topic permissions of the broker's users. */
  readonly topics: TopicAuthorizer;
  /** The connection's vhost's limit, when one is set. */
  vhostLimit(key: 'max-connections' | 'max-queues'): number | undefined;
  /** A closing channel hands its counters over, so vhost totals survive it. */
  retireStats(c: MessageCounters): void;
}
