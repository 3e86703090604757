export { Connection, connect, type ConnectionOptions, type ConnectionEvents } from './connection.js';
export { Exchange, Queue, Binding, type ExchangeOptions, type ExchangeType, type QueueOptions, type QueueArguments, type QueueBindingSpec, type Overflow, type QueueType } from './entities.js';
export { Producer, type ProducerOptions, type PublishOptions } from './producer.js';
export { Consumer, RETRY_COUNT_HEADER, ERROR_HEADER, type ConsumeOptions, type MessageHandler, type RetryOptions, type DeadLetterOptions } from './consumer.js';
export { Message } from './message.js';
export { RpcClient, RPC_ERROR_HEADER, type RpcHandler, type RpcServeOptions } from './rpc.js';
export { SimpleQueue, type SimpleQueueOptions } from './simple-queue.js';
export { SerializerRegistry, serializers, type Serializer, type Compressor, type SerializerName, type CompressionName } from './serialization.js';
export { backoffDelay, type RetryPolicy } from './backoff.js';
export { closeMemoryBroker, memoryBroker } from './memory-transport.js';
export { parseBrokerUrl, type BrokerAddress } from './url.js';
export type { QueueDeclareResult } from './topology.js';
export {
  WarrenClientError,
  ConnectionLostError,
  ConnectionRefusedError,
  ChannelClosedError,
  ClientClosedError,
  PublishNackedError,
  PublishReturnedError,
  PublishUnconfirmedError,
  DecodeError,
  TimeoutError,
  RpcError,
  isRecoverable,
} from './errors.js';
export type { BasicProperties, FieldTable } from '@warren/protocol';
