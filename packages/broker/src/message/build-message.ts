import { Buffer } from 'node:buffer';
import { encodeProperties, FrameWriter, type BasicProperties } from '@warren/protocol';
import { frameBody, Message, messageDataSize } from './message.js';
import { PF_HEADERS } from './property-flags.js';

const scratch = new FrameWriter(4096);

/**
 * Builds a Message from decoded properties — only for the rare paths that must change
 * properties (dead-lettering, direct reply-to, BCC removal, HTTP publish). Publishes from
 * clients keep their original bytes.
 */
export function buildMessage(exchange: string, routingKey: string, props: BasicProperties, body: Buffer): Message {
  scratch.reset();
  scratch.shortstr(exchange);
  scratch.shortstr(routingKey);
  const erkLength = scratch.pos;
  const frameStart = scratch.beginFrame(2, 0);
  scratch.u16(60);
  scratch.u16(0);
  scratch.u64(body.length);
  encodeProperties(scratch, props);
  scratch.endFrame(frameStart);
  const headerLength = scratch.pos - erkLength - 8;
  const data = Buffer.allocUnsafe(messageDataSize(erkLength, headerLength, body.length));
  scratch.buf.copy(data, 0, 0, scratch.pos);
  frameBody(data, erkLength, headerLength, body.length);
  body.copy(data, scratch.pos + 7);
  const m = new Message(data, erkLength, headerLength, body.length, exchange, routingKey);
  m.scanProperties();
  return m;
}

/** The same message with new properties (same exchange, routing key and body). */
export function withProperties(msg: Message, props: BasicProperties, exchange = msg.exchange, routingKey = msg.routingKey): Message {
  return buildMessage(exchange, routingKey, props, msg.body());
}

/** The message as queues receive it: a BCC header (routing only, as in RabbitMQ) removed. */
export function withoutBcc(msg: Message): Message {
  if ((msg.propertyFlags & PF_HEADERS) === 0) return msg;
  const headers = msg.headers();
  if (headers?.['BCC'] === undefined) return msg;
  const rest = { ...headers };
  delete rest['BCC'];
  return withProperties(msg, { ...msg.properties(), headers: rest });
}
