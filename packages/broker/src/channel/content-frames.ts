import { Buffer } from 'node:buffer';
import { copyBytes, writeU32, type FrameWriter } from '@warren/protocol';
import type { Message } from '../message/message.js';

/*
 * Hot-path encoders for the three methods that carry content out of the broker. They write
 * straight into the connection's output buffer and copy the message's stored bytes: the
 * exchange/routing-key span, the content header and the body go out exactly as they came in.
 */

const FRAME_METHOD = 1;
const FRAME_BODY = 3;
const FRAME_END = 0xce;

function frameHeader(b: Buffer, p: number, type: number, channel: number, size: number): number {
  b[p] = type;
  b[p + 1] = channel >>> 8;
  b[p + 2] = channel & 0xff;
  writeU32(b, p + 3, size);
  return p + 7;
}

function writeU64(b: Buffer, p: number, v: number): number {
  const hi = Math.floor(v / 0x100000000);
  writeU32(b, p, hi);
  writeU32(b, p + 4, v - hi * 0x100000000);
  return p + 8;
}

/**
 * The content header frame and body frame(s). When the body fits one frame of the consumer's
 * frame size (the usual case) the stored pre-framed region is copied at once and only the
 * channel numbers are patched; otherwise the body is re-split.
 */
function writeContent(w: FrameWriter, channel: number, msg: Message, frameMax: number, p: number): number {
  const b = w.buf;
  const data = msg.data;
  const start = msg.erkLength;
  const hi = channel >>> 8;
  const lo = channel & 0xff;
  if (msg.bodySize + 8 <= frameMax) {
    const len = msg.contentLength;
    msg.content.copy(b, p);
    b[p + 1] = hi;
    b[p + 2] = lo;
    if (msg.bodySize > 0) {
      const bp = p + 8 + msg.headerLength;
      b[bp + 1] = hi;
      b[bp + 2] = lo;
    }
    return p + len;
  }
  const hLen = 8 + msg.headerLength;
  data.copy(b, p, start, start + hLen);
  b[p + 1] = hi;
  b[p + 2] = lo;
  p += hLen;
  const maxPayload = frameMax - 8;
  let off = msg.bodyOffset;
  let left = msg.bodySize;
  while (left > 0) {
    const n = left < maxPayload ? left : maxPayload;
    p = frameHeader(b, p, FRAME_BODY, channel, n);
    copyBytes(data, off, b, p, n);
    p += n;
    b[p++] = FRAME_END;
    off += n;
    left -= n;
  }
  return p;
}

function contentSize(msg: Message, frameMax: number): number {
  const maxPayload = frameMax - 8;
  const bodyFrames = msg.bodySize === 0 ? 0 : Math.ceil(msg.bodySize / maxPayload);
  return 8 + msg.headerLength + bodyFrames * 8 + msg.bodySize;
}

/** basic.deliver(consumer-tag, delivery-tag, redelivered, exchange, routing-key) + content. */
export function writeDeliver(
  w: FrameWriter, channel: number, frameMax: number, tagBytes: Buffer, deliveryTag: number, redelivered: boolean, msg: Message,
): void {
  const argsLen = tagBytes.length + 9 + msg.erkLength;
  w.ensure(8 + 4 + argsLen + contentSize(msg, frameMax));
  const b = w.buf;
  let p = frameHeader(b, w.pos, FRAME_METHOD, channel, 4 + argsLen);
  b[p] = 0; b[p + 1] = 60; b[p + 2] = 0; b[p + 3] = 60;
  p += 4;
  copyBytes(tagBytes, 0, b, p, tagBytes.length);
  p += tagBytes.length;
  p = writeU64(b, p, deliveryTag);
  b[p++] = redelivered ? 1 : 0;
  copyBytes(msg.data, 0, b, p, msg.erkLength);
  p += msg.erkLength;
  b[p++] = FRAME_END;
  w.pos = writeContent(w, channel, msg, frameMax, p);
}

/** basic.get-ok(delivery-tag, redelivered, exchange, routing-key, message-count) + content. */
export function writeGetOk(
  w: FrameWriter, channel: number, frameMax: number, deliveryTag: number, redelivered: boolean, messageCount: number, msg: Message,
): void {
  const argsLen = 9 + msg.erkLength + 4;
  w.ensure(8 + 4 + argsLen + contentSize(msg, frameMax));
  const b = w.buf;
  let p = frameHeader(b, w.pos, FRAME_METHOD, channel, 4 + argsLen);
  b[p] = 0; b[p + 1] = 60; b[p + 2] = 0; b[p + 3] = 71;
  p += 4;
  p = writeU64(b, p, deliveryTag);
  b[p++] = redelivered ? 1 : 0;
  msg.data.copy(b, p, 0, msg.erkLength);
  p += msg.erkLength;
  writeU32(b, p, messageCount);
  p += 4;
  b[p++] = FRAME_END;
  w.pos = writeContent(w, channel, msg, frameMax, p);
}

/** basic.return(reply-code, reply-text, exchange, routing-key) + content. */
export function writeReturn(w: FrameWriter, channel: number, frameMax: number, replyCode: number, replyText: string, msg: Message): void {
  const textLen = Buffer.byteLength(replyText);
  const argsLen = 2 + 1 + textLen + msg.erkLength;
  w.ensure(8 + 4 + argsLen + contentSize(msg, frameMax));
  const b = w.buf;
  let p = frameHeader(b, w.pos, FRAME_METHOD, channel, 4 + argsLen);
  b[p] = 0; b[p + 1] = 60; b[p + 2] = 0; b[p + 3] = 50;
  p += 4;
  b.writeUInt16BE(replyCode, p);
  p += 2;
  b[p++] = textLen;
  p += b.write(replyText, p, 'utf8');
  msg.data.copy(b, p, 0, msg.erkLength);
  p += msg.erkLength;
  b[p++] = FRAME_END;
  w.pos = writeContent(w, channel, msg, frameMax, p);
}

/** basic.ack / basic.nack from the broker (publisher confirms). */
export function writeConfirm(w: FrameWriter, channel: number, ack: boolean, deliveryTag: number, multiple: boolean): void {
  w.ensure(8 + 4 + 9 + (ack ? 0 : 0));
  const b = w.buf;
  let p = frameHeader(b, w.pos, FRAME_METHOD, channel, 4 + 9);
  b[p] = 0; b[p + 1] = 60; b[p + 2] = 0; b[p + 3] = ack ? 80 : 120;
  p += 4;
  p = writeU64(b, p, deliveryTag);
  b[p++] = multiple ? 1 : 0; // nack's requeue bit is 0 for confirms
  b[p++] = FRAME_END;
  w.pos = p;
}
