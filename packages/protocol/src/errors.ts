/**
 * A protocol violation detected by the codec. `code` is the AMQP reply code the
 * connection should be closed with (501 FRAME_ERROR, 502 SYNTAX_ERROR, 540 NOT_IMPLEMENTED…);
 * `classId`/`methodId` name the offending method when known (0 otherwise).
 */
export class ProtocolError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly classId = 0,
    readonly methodId = 0,
  ) {
    super(message);
    this.name = 'ProtocolError';
  }
}
