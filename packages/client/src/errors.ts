/** Base class of every error this client raises. */
export class WarrenClientError extends Error {
  override name = 'WarrenClientError';
}

/** The connection went away (socket closed, heartbeat missed, broker closed it). Retrying after recovery may succeed. */
export class ConnectionLostError extends WarrenClientError {
  override name = 'ConnectionLostError';
  constructor(
    message: string,
    /** AMQP reply code when the broker closed the connection (e.g. 320 CONNECTION_FORCED), else 0. */
    readonly code = 0,
  ) {
    super(message);
  }
}

/** The broker closed a channel (e.g. 404 NOT_FOUND, 406 PRECONDITION_FAILED). The client reopens the channel. */
export class ChannelClosedError extends WarrenClientError {
  override name = 'ChannelClosedError';
  constructor(
    message: string,
    readonly code: number,
    readonly classId = 0,
    readonly methodId = 0,
  ) {
    super(message);
  }
}

/** The client was closed by the application; nothing more will be done. */
export class ClientClosedError extends WarrenClientError {
  override name = 'ClientClosedError';
}

/** The broker refused the connection (bad credentials, unknown vhost): retrying the same URL will not help. */
export class ConnectionRefusedError extends WarrenClientError {
  override name = 'ConnectionRefusedError';
  constructor(
    message: string,
    readonly code = 0,
  ) {
    super(message);
  }
}

/** The broker nacked a publish (basic.nack). */
export class PublishNackedError extends WarrenClientError {
  override name = 'PublishNackedError';
}

/** A mandatory publish could not be routed to any queue (basic.return). */
export class PublishReturnedError extends WarrenClientError {
  override name = 'PublishReturnedError';
  constructor(
    message: string,
    readonly replyCode: number,
    readonly exchange: string,
    readonly routingKey: string,
  ) {
    super(message);
  }
}

/**
 * The connection was lost after the publish was sent but before the broker confirmed it: the
 * message may or may not have been stored. Publish again if duplicates are acceptable
 * (or create the Producer with `republishUnconfirmed: true`).
 */
export class PublishUnconfirmedError extends WarrenClientError {
  override name = 'PublishUnconfirmedError';
}

/** A body could not be decoded (unknown content type or encoding, corrupt data). */
export class DecodeError extends WarrenClientError {
  override name = 'DecodeError';
}

/** A timed wait ended (RPC call, SimpleQueue.get, graceful close). */
export class TimeoutError extends WarrenClientError {
  override name = 'TimeoutError';
}

/** The RPC server's handler threw; `message` is its error text. */
export class RpcError extends WarrenClientError {
  override name = 'RpcError';
}

/** AMQP reply codes after which repeating the same operation on a fresh channel can succeed. */
const RECOVERABLE_CHANNEL_CODES = new Set([311, 313, 405]);

/** Whether `ensure()` and the held-publish logic should retry after this error. */
export function isRecoverable(e: unknown): boolean {
  if (e instanceof ConnectionLostError || e instanceof PublishUnconfirmedError) return true;
  if (e instanceof ChannelClosedError) return RECOVERABLE_CHANNEL_CODES.has(e.code);
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH'].includes(code);
}
