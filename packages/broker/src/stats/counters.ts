// Message counters kept by queues, channels and virtual hosts: plain integer fields incremented
// on the hot path (no allocation, no closures). Rates are derived later by the stats sampler.
// An object's counters are `undefined` when the broker runs with stats disabled.

/** The message_stats counters of RabbitMQ's management API, as monotonic totals. */
export class MessageCounters {
  publish = 0;
  confirm = 0;
  returnUnroutable = 0;
  dropUnroutable = 0;
  /** Deliveries to consumers that acknowledge. */
  deliver = 0;
  deliverNoAck = 0;
  get = 0;
  getNoAck = 0;
  getEmpty = 0;
  redeliver = 0;
  ack = 0;

  /** Adds another object's totals (a closed channel's counts retire into its vhost). */
  add(o: MessageCounters): void {
    this.publish += o.publish;
    this.confirm += o.confirm;
    this.returnUnroutable += o.returnUnroutable;
    this.dropUnroutable += o.dropUnroutable;
    this.deliver += o.deliver;
    this.deliverNoAck += o.deliverNoAck;
    this.get += o.get;
    this.getNoAck += o.getNoAck;
    this.getEmpty += o.getEmpty;
    this.redeliver += o.redeliver;
    this.ack += o.ack;
  }

  copyFrom(o: MessageCounters): void {
    this.publish = o.publish;
    this.confirm = o.confirm;
    this.returnUnroutable = o.returnUnroutable;
    this.dropUnroutable = o.dropUnroutable;
    this.deliver = o.deliver;
    this.deliverNoAck = o.deliverNoAck;
    this.get = o.get;
    this.getNoAck = o.getNoAck;
    this.getEmpty = o.getEmpty;
    this.redeliver = o.redeliver;
    this.ack = o.ack;
  }

  reset(): void {
    this.copyFrom(ZERO);
  }

  /** deliver + deliver_no_ack + get + get_no_ack, as RabbitMQ's deliver_get. */
  get deliverGet(): number {
    return this.deliver + this.deliverNoAck + this.get + this.getNoAck;
  }
}

const ZERO = new MessageCounters();

/**
 * An exchange's message_stats: messages published to it (publish_in) and the queue copies it
 * routed them to (publish_out, counted per queue as RabbitMQ does).
 */
export class ExchangeCounters {
  publishIn = 0;
  publishOut = 0;

  /** Counts one publish routed to `routedTo` queues. */
  published(routedTo: number): void {
    this.publishIn++;
    this.publishOut += routedTo;
  }
}

/** The counter names in RabbitMQ's message_stats, with the field that holds each. */
export const MESSAGE_STATS_FIELDS: readonly (readonly [string, (c: MessageCounters) => number])[] = [
  ['publish', (c) => c.publish],
  ['confirm', (c) => c.confirm],
  ['return_unroutable', (c) => c.returnUnroutable],
  ['drop_unroutable', (c) => c.dropUnroutable],
  ['deliver', (c) => c.deliver],
  ['deliver_no_ack', (c) => c.deliverNoAck],
  ['get', (c) => c.get],
  ['get_no_ack', (c) => c.getNoAck],
  ['get_empty', (c) => c.getEmpty],
  ['redeliver', (c) => c.redeliver],
  ['ack', (c) => c.ack],
  ['deliver_get', (c) => c.deliverGet],
];
