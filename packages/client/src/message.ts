import type { BasicProperties, FieldTable } from '@warren/protocol';
import type { RawDelivery } from './wire/wire-channel.js';

/**
 * A received message: the decoded body plus everything the broker said about it. Consumer
 * handlers need not settle it (resolve = ack); ack/nack/reject are there to decide explicitly.
 */
export class Message<T = unknown> {
  settled: boolean;

  constructor(
    private readonly delivery: RawDelivery,
    readonly body: T,
    noAck: boolean,
  ) {
    this.settled = noAck;
  }

  /** The body bytes as received (before decompression and decoding). */
  get content(): Buffer {
    return this.delivery.body;
  }

  get properties(): BasicProperties {
    return this.delivery.properties;
  }

  get headers(): FieldTable {
    return this.delivery.properties.headers ?? {};
  }

  get redelivered(): boolean {
    return this.delivery.redelivered;
  }

  get exchange(): string {
    return this.delivery.exchange;
  }

  get routingKey(): string {
    return this.delivery.routingKey;
  }

  get deliveryTag(): number {
    return this.delivery.deliveryTag;
  }

  get consumerTag(): string {
    return this.delivery.consumerTag;
  }

  get correlationId(): string | undefined {
    return this.delivery.properties.correlationId;
  }

  get replyTo(): string | undefined {
    return this.delivery.properties.replyTo;
  }

  get contentType(): string | undefined {
    return this.delivery.properties.contentType;
  }

  /** basic.get only: messages left in the queue after this one. */
  get messageCount(): number {
    return this.delivery.messageCount;
  }

  ack(): void {
    if (this.settled) return;
    this.settled = true;
    this.delivery.channel.ack(this.delivery.deliveryTag, false);
  }

  /** basic.nack; requeue defaults to true. */
  nack(requeue = true): void {
    if (this.settled) return;
    this.settled = true;
    this.delivery.channel.nack(this.delivery.deliveryTag, false, requeue);
  }

  /** basic.reject; requeue defaults to false (the queue's dead-letter exchange gets it, if any). */
  reject(requeue = false): void {
    if (this.settled) return;
    this.settled = true;
    this.delivery.channel.reject(this.delivery.deliveryTag, requeue);
  }
}
