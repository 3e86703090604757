import { Buffer } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import type { Message } from '../message/message.js';
import type { Channel } from './channel.js';

/** The pseudo-queue of RabbitMQ's direct reply-to. */
export const DIRECT_REPLY_TO = 'amq.rabbitmq.reply-to';

/** One channel's reply consumer. */
export class DirectReplyTo {
  readonly address: string;
  readonly tagBytes: Buffer;

  constructor(private readonly registry: DirectReplyToRegistry, readonly channel: Channel, readonly consumerTag: string, key: string) {
    this.address = `${DIRECT_REPLY_TO}.${key}`;
    const len = Buffer.byteLength(consumerTag);
    this.tagBytes = Buffer.allocUnsafe(1 + len);
    this.tagBytes[0] = len;
    this.tagBytes.write(consumerTag, 1, 'utf8');
  }

  unregister(): void {
    this.registry.remove(this.address);
  }
}

/**
 * Broker-wide map of reply addresses ("amq.rabbitmq.reply-to.<key>") to the channel that
 * consumes them. Replies go straight to that channel, bypassing queues, as in RabbitMQ.
 */
export class DirectReplyToRegistry {
  private readonly byAddress = new Map<string, DirectReplyTo>();

  register(channel: Channel, consumerTag: string): DirectReplyTo {
    const r = new DirectReplyTo(this, channel, consumerTag, randomBytes(18).toString('base64url'));
    this.byAddress.set(r.address, r);
    return r;
  }

  remove(address: string): void {
    this.byAddress.delete(address);
  }

  /** Delivers a reply; false when the requester is gone (the reply is unroutable). */
  deliver(address: string, msg: Message): boolean {
    const r = this.byAddress.get(address);
    if (r === undefined || r.channel.closing) return false;
    r.channel.deliverReply(r.tagBytes, msg);
    return true;
  }
}
