export { ProtocolError } from './errors.js';
export { ByteCursor } from './byte-cursor.js';
export { FrameWriter } from './frame-writer.js';
export { ChannelTable } from './channel-table.js';
export { copyBytes, readU32, writeU32 } from './bytes.js';
export { decodeShortString, writeShortAscii } from './short-strings.js';
export { FrameReader, type FrameSink } from './frame-reader.js';
export {
  AmqpDecimal,
  AmqpTimestamp,
  Typed,
  decodeTable,
  decodeFieldValue,
  encodeTable,
  fieldValuesEqual,
  type FieldTable,
  type FieldTypeTag,
  type FieldValue,
} from './field-table.js';
export * from './generated/spec.js';
