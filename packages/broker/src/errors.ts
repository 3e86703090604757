/**
 * An AMQP error raised while handling a method. `connection` errors close the whole
 * connection (hard errors: 320, 402, 501-506, 530, 540, 541); the others close the channel.
 */
export class AmqpError extends Error {
  constructor(
    readonly code: number,
    readonly text: string,
    readonly connection = false,
    public classId = 0,
    public methodId = 0,
  ) {
    super(text);
  }
}

const NAMES: Record<number, string> = {
  311: 'CONTENT_TOO_LARGE', 312: 'NO_ROUTE', 313: 'NO_CONSUMERS', 320: 'CONNECTION_FORCED',
  402: 'INVALID_PATH', 403: 'ACCESS_REFUSED', 404: 'NOT_FOUND', 405: 'RESOURCE_LOCKED',
  406: 'PRECONDITION_FAILED', 501: 'FRAME_ERROR', 502: 'SYNTAX_ERROR', 503: 'COMMAND_INVALID',
  504: 'CHANNEL_ERROR', 505: 'UNEXPECTED_FRAME', 506: 'RESOURCE_ERROR', 530: 'NOT_ALLOWED',
  540: 'NOT_IMPLEMENTED', 541: 'INTERNAL_ERROR',
};

/** Reply text in RabbitMQ's form: "NOT_FOUND - no queue 'q' in vhost '/'". */
export function replyText(code: number, detail: string): string {
  return `${NAMES[code] ?? 'ERROR'} - ${detail}`;
}

export const channelError = (code: number, detail: string): AmqpError => new AmqpError(code, replyText(code, detail));
export const connectionError = (code: number, detail: string): AmqpError =>
  new AmqpError(code, replyText(code, detail), true);

export const notFound = (detail: string): AmqpError => channelError(404, detail);
export const accessRefused = (detail: string): AmqpError => channelError(403, detail);
export const preconditionFailed = (detail: string): AmqpError => channelError(406, detail);
export const resourceLocked = (detail: string): AmqpError => channelError(405, detail);
