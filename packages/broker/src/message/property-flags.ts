/** Bits of the basic class property-flags word (AMQP 0-9-1 §4.2.6.1, most significant first). */
export const PF_CONTENT_TYPE = 0x8000;
export const PF_CONTENT_ENCODING = 0x4000;
export const PF_HEADERS = 0x2000;
export const PF_DELIVERY_MODE = 0x1000;
export const PF_PRIORITY = 0x0800;
export const PF_CORRELATION_ID = 0x0400;
export const PF_REPLY_TO = 0x0200;
export const PF_EXPIRATION = 0x0100;
export const PF_MESSAGE_ID = 0x0080;
export const PF_TIMESTAMP = 0x0040;
export const PF_TYPE = 0x0020;
export const PF_USER_ID = 0x0010;
export const PF_APP_ID = 0x0008;
