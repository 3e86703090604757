import { Buffer } from 'node:buffer';
import { copyBytes, decodeShortString, readU32 } from '@warren/protocol';
import { frameBody, Message, messageDataSize } from '../message/message.js';
import { connectionError, preconditionFailed } from '../errors.js';

/** RabbitMQ's default max_message_size (128 MiB). */
export const MAX_MESSAGE_SIZE = 134_217_728;

/**
 * Collects basic.publish + content header + body frames into one Message. The method's
 * exchange/routing-key bytes are copied into a scratch buffer (the read chunk is only valid
 * during the frame callback) and later into the message's single allocation.
 */
export class PublishAssembler {
  /** Whether a publish method was seen and its content is still incomplete. */
  active = false;
  exchange = '';
  routingKey = '';
  mandatory = false;
  private readonly erk = Buffer.allocUnsafe(512);
  private erkLength = 0;
  private data: Buffer | undefined;
  private headerLength = 0;
  private bodySize = 0;
  private received = 0;
  /** Set when the message is being discarded (oversize): its frames are read and dropped. */
  discarding = false;

  /** Parses basic.publish arguments in place (args start after class/method ids). */
  begin(buf: Buffer, start: number, end: number): void {
    let p = start + 2; // reserved-1
    const exLen = buf[p]!;
    const exStart = p + 1;
    p = exStart + exLen;
    if (p >= end) throw connectionError(502, 'truncated basic.publish');
    const rkLen = buf[p]!;
    const rkStart = p + 1;
    p = rkStart + rkLen;
    if (p >= end) throw connectionError(502, 'truncated basic.publish');
    const bits = buf[p]!;
    this.exchange = decodeShortString(buf, exStart, exStart + exLen);
    this.routingKey = decodeShortString(buf, rkStart, rkStart + rkLen);
    this.erkLength = p - (start + 2);
    copyBytes(buf, start + 2, this.erk, 0, this.erkLength);
    this.mandatory = (bits & 1) !== 0;
    if ((bits & 2) !== 0) throw connectionError(540, 'immediate=true');
    this.active = true;
    this.discarding = false;
  }

  /** Content header frame; returns the finished message when the body is empty. */
  header(buf: Buffer, start: number, end: number): Message | undefined {
    if (end - start < 14) throw connectionError(502, 'content header too short');
    const classId = buf.readUInt16BE(start);
    if (classId !== 60) throw connectionError(505, `expected content header for class 60, got class ${classId}`);
    const size = readU32(buf, start + 4) * 0x100000000 + readU32(buf, start + 8);
    this.headerLength = end - start;
    this.bodySize = size;
    this.received = 0;
    if (size > MAX_MESSAGE_SIZE) {
      this.discarding = size > 0;
      if (!this.discarding) this.active = false;
      throw preconditionFailed(`message size ${size} is larger than configured max size ${MAX_MESSAGE_SIZE}`);
    }
    const data = Buffer.allocUnsafe(messageDataSize(this.erkLength, this.headerLength, size));
    copyBytes(this.erk, 0, data, 0, this.erkLength);
    // The header frame as received (frame header, payload, end octet): one copy.
    buf.copy(data, this.erkLength, start - 7, end + 1);
    frameBody(data, this.erkLength, this.headerLength, size);
    this.data = data;
    return size === 0 ? this.finish() : undefined;
  }

  /** Content body frame; returns the finished message once all bytes arrived. */
  body(buf: Buffer, start: number, end: number): Message | undefined {
    const n = end - start;
    if (this.received + n > this.bodySize) {
      throw connectionError(505, `content body exceeds the declared size ${this.bodySize}`);
    }
    if (this.discarding) {
      this.received += n;
      if (this.received === this.bodySize) { this.active = false; this.discarding = false; }
      return undefined;
    }
    copyBytes(buf, start, this.data!, this.erkLength + 8 + this.headerLength + 7 + this.received, n);
    this.received += n;
    return this.received === this.bodySize ? this.finish() : undefined;
  }

  /** Whether a header frame is expected next (vs. body frames). */
  get awaitingHeader(): boolean { return this.data === undefined && !this.discarding; }

  private finish(): Message {
    const msg = new Message(this.data!, this.erkLength, this.headerLength, this.bodySize, this.exchange, this.routingKey);
    this.data = undefined;
    this.active = false;
    return msg;
  }

  reset(): void {
    this.active = false;
    this.discarding = false;
    this.data = undefined;
  }
}
