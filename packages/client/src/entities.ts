import type { FieldTable } from '@warren/protocol';

export type ExchangeType = 'direct' | 'fanout' | 'topic' | 'headers' | 'x-delayed-message' | 'x-consistent-hash' | (string & {});

export interface ExchangeOptions {
  /** Survives a broker restart (default true). */
  durable?: boolean;
  /** Deleted when its last binding is removed (default false). */
  autoDelete?: boolean;
  /** Cannot be published to directly, only through exchange-to-exchange bindings (default false). */
  internal?: boolean;
  /** Only check that the exchange exists (404 NOT_FOUND otherwise); never creates it. */
  passive?: boolean;
  /** x-alternate-exchange: where unroutable messages go. */
  alternateExchange?: string;
  /** x-delayed-type: the routing type of an x-delayed-message exchange. */
  delayedType?: 'direct' | 'fanout' | 'topic' | 'headers';
  /** Any other x- argument, sent as given. */
  arguments?: FieldTable;
}

/** A declarable exchange. The default exchange ("") and amq.* exchanges are never re-created. */
export class Exchange {
  readonly durable: boolean;
  readonly autoDelete: boolean;
  readonly internal: boolean;
  readonly passive: boolean;
  readonly arguments: FieldTable;

  constructor(
    readonly name: string,
    readonly type: ExchangeType = 'direct',
    opts: ExchangeOptions = {},
  ) {
    this.durable = opts.durable ?? true;
    this.autoDelete = opts.autoDelete ?? false;
    this.internal = opts.internal ?? false;
    // amq.* names are reserved: RabbitMQ refuses to declare them (403) unless passively.
    this.passive = opts.passive ?? name.startsWith('amq.');
    const args: FieldTable = { ...(opts.arguments ?? {}) };
    if (opts.alternateExchange !== undefined) args['x-alternate-exchange'] = opts.alternateExchange;
    if (opts.delayedType !== undefined) args['x-delayed-type'] = opts.delayedType;
    this.arguments = args;
  }

  /** True for the default exchange, which exists everywhere and cannot be declared. */
  get isDefault(): boolean {
    return this.name === '';
  }
}

export type Overflow = 'drop-head' | 'reject-publish' | 'reject-publish-dlx';
export type QueueType = 'classic' | 'quorum' | 'stream';

export interface QueueArguments {
  /** x-message-ttl, ms. */
  messageTtl?: number;
  /** x-expires: delete the queue after this many ms unused. */
  expires?: number;
  /** x-max-length (messages). */
  maxLength?: number;
  /** x-max-length-bytes (body bytes). */
  maxLengthBytes?: number;
  /** x-overflow: what happens at the length limit. */
  overflow?: Overflow;
  /** x-dead-letter-exchange. */
  deadLetterExchange?: string;
  /** x-dead-letter-routing-key. */
  deadLetterRoutingKey?: string;
  /** x-dead-letter-strategy (quorum queues). */
  deadLetterStrategy?: 'at-most-once' | 'at-least-once';
  /** x-max-priority (1-255). */
  maxPriority?: number;
  /** x-queue-mode (classic queues, RabbitMQ < 3.12). */
  queueMode?: 'default' | 'lazy';
  /** x-queue-type. */
  queueType?: QueueType;
  /** x-single-active-consumer. */
  singleActiveConsumer?: boolean;
  /** x-delivery-limit (quorum queues). */
  deliveryLimit?: number;
  /** x-queue-master-locator. */
  queueMasterLocator?: 'client-local' | 'min-masters' | 'random';
  /** x-quorum-initial-group-size. */
  quorumInitialGroupSize?: number;
  /** x-max-age (streams), e.g. "7D". */
  maxAge?: string;
  /** x-stream-max-segment-size-bytes (streams). */
  streamMaxSegmentSizeBytes?: number;
}

export interface QueueBindingSpec {
  exchange: Exchange | string;
  routingKey?: string;
  arguments?: FieldTable;
}

export interface QueueOptions extends QueueArguments {
  /** Survives a broker restart (default true for named queues, false for server-named ones). */
  durable?: boolean;
  /** Used by this connection only, deleted when it closes (default false; true for server-named queues). */
  exclusive?: boolean;
  /** Deleted when its last consumer goes (default false; true for server-named queues). */
  autoDelete?: boolean;
  /** Only check that the queue exists (404 NOT_FOUND otherwise). */
  passive?: boolean;
  /** Any other x- argument, sent as given. */
  arguments?: FieldTable;
  /** Bindings declared together with the queue (and recovered with it). */
  bindings?: QueueBindingSpec[];
}

const QUEUE_ARGUMENT_NAMES: Array<[keyof QueueArguments, string]> = [
  ['messageTtl', 'x-message-ttl'],
  ['expires', 'x-expires'],
  ['maxLength', 'x-max-length'],
  ['maxLengthBytes', 'x-max-length-bytes'],
  ['overflow', 'x-overflow'],
  ['deadLetterExchange', 'x-dead-letter-exchange'],
  ['deadLetterRoutingKey', 'x-dead-letter-routing-key'],
  ['deadLetterStrategy', 'x-dead-letter-strategy'],
  ['maxPriority', 'x-max-priority'],
  ['queueMode', 'x-queue-mode'],
  ['queueType', 'x-queue-type'],
  ['singleActiveConsumer', 'x-single-active-consumer'],
  ['deliveryLimit', 'x-delivery-limit'],
  ['queueMasterLocator', 'x-queue-master-locator'],
  ['quorumInitialGroupSize', 'x-quorum-initial-group-size'],
  ['maxAge', 'x-max-age'],
  ['streamMaxSegmentSizeBytes', 'x-stream-max-segment-size-bytes'],
];

/**
 * A declarable queue. An empty name asks the broker for a generated one; `name` then holds the
 * broker's name, which changes when the queue is re-created after a reconnect (the Connection
 * emits 'queueRenamed').
 */
export class Queue {
  name: string;
  readonly serverNamed: boolean;
  readonly durable: boolean;
  readonly exclusive: boolean;
  readonly autoDelete: boolean;
  readonly passive: boolean;
  readonly arguments: FieldTable;
  readonly bindings: QueueBindingSpec[];
  readonly options: QueueOptions;

  constructor(name = '', opts: QueueOptions = {}) {
    this.name = name;
    this.serverNamed = name === '';
    this.options = opts;
    this.durable = opts.durable ?? !this.serverNamed;
    this.exclusive = opts.exclusive ?? this.serverNamed;
    this.autoDelete = opts.autoDelete ?? this.serverNamed;
    this.passive = opts.passive ?? false;
    const args: FieldTable = { ...(opts.arguments ?? {}) };
    for (const [key, wire] of QUEUE_ARGUMENT_NAMES) {
      const v = opts[key];
      if (v !== undefined) args[wire] = v;
    }
    this.arguments = args;
    this.bindings = opts.bindings ?? [];
  }
}

/** A binding from an exchange to a queue or to another exchange (exchange-to-exchange). */
export class Binding {
  readonly arguments: FieldTable;

  constructor(
    readonly source: Exchange | string,
    readonly destination: Queue | Exchange,
    readonly routingKey = '',
    args: FieldTable = {},
  ) {
    this.arguments = args;
  }
}

export function exchangeName(e: Exchange | string): string {
  return typeof e === 'string' ? e : e.name;
}
