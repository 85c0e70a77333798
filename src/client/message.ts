/**
 * Messages as the client API sees them: what producers send ({@link Message}) and what a send returns
 * ({@link SendResult}). Received messages are `MessageExt` (src/protocol/message/message.ts).
 */
import { RocketMQError } from '../common/errors.js';
import { KEY_SEPARATOR, MessageConst, RESERVED_PROPERTY_KEYS } from '../protocol/message/properties.js';
import type { MessageQueue } from './route.js';

export type { MessageExt } from '../protocol/message/message.js';

/** A message to send. */
export interface Message {
  /** Target topic (without namespace; the client adds it). */
  topic: string;
  /** Payload; a string is sent as UTF-8. */
  body: Buffer | string;
  /** One tag, used by consumers to filter. */
  tags?: string;
  /** Business keys, indexed by the broker for queries (space-separated on the wire). */
  keys?: string | string[];
  /** User properties; reserved RocketMQ keys are rejected with INVALID_PARAMETER. */
  properties?: Record<string, string>;
  /** Classic delay level 1..18 (1s 5s 10s 30s 1m … 2h). */
  delayLevel?: number;
  /** 5.x timer message: absolute delivery time in epoch ms (TIMER_DELIVER_MS). */
  deliverTimeMs?: number;
  /** Ordered messages: messages with the same key go to the same queue. */
  shardingKey?: string;
  /** User `flag` int carried in the header. Default 0. */
  flag?: number;
  /** Whether the broker waits for flush/replication before answering (WAIT). Default true. */
  waitStoreMsgOk?: boolean;
}

/** How a send was stored (Java's SendStatus). */
export type SendStatus = 'SEND_OK' | 'FLUSH_DISK_TIMEOUT' | 'FLUSH_SLAVE_TIMEOUT' | 'SLAVE_NOT_AVAILABLE';

/** The outcome of a successful send. */
export interface SendResult {
  status: SendStatus;
  /** The client-side message id (UNIQ_KEY); comma-joined for a batch. */
  msgId: string;
  /** The broker's offset message id (store host + commitlog offset); comma-joined for a batch. */
  offsetMsgId: string;
  /** The queue the message was written to. */
  messageQueue: MessageQueue;
  /** Its consume-queue offset (the first one for a batch). */
  queueOffset: number;
  /** Transaction id (the UNIQ_KEY) when the broker returns one. */
  transactionId: string | undefined;
  /** The broker's region (MSG_REGION). */
  regionId: string | undefined;
}

/** Highest classic delay level of a default broker. */
export const MAX_DELAY_LEVEL = 18;

/** The body as bytes. */
export function bodyBytes(body: Buffer | string): Buffer {
  return typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
}

/**
 * The properties a message carries on the wire, UNIQ_KEY excepted: user properties (reserved keys rejected), then
 * TAGS, KEYS, WAIT, DELAY, TIMER_DELIVER_MS and __SHARDINGKEY. Throws RocketMQError INVALID_PARAMETER for a reserved
 * user key, an empty topic or body, or an out-of-range delay level.
 */
export function messageProperties(msg: Message): Record<string, string> {
  if (typeof msg.topic !== 'string' || msg.topic === '')
    throw new RocketMQError('INVALID_PARAMETER', 'the topic is empty');
  const props: Record<string, string> = {};
  for (const [key, value] of Object.entries(msg.properties ?? {})) {
    if (RESERVED_PROPERTY_KEYS.has(key)) {
      throw new RocketMQError('INVALID_PARAMETER', `the property "${key}" is reserved by RocketMQ`);
    }
    if (typeof value !== 'string')
      throw new RocketMQError('INVALID_PARAMETER', `the property "${key}" is not a string`);
    props[key] = value;
  }
  if (msg.tags !== undefined && msg.tags !== '') props[MessageConst.TAGS] = msg.tags;
  if (msg.keys !== undefined) {
    const keys = (Array.isArray(msg.keys) ? msg.keys : [msg.keys]).filter((k) => k !== '');
    if (keys.length > 0) props[MessageConst.KEYS] = keys.join(KEY_SEPARATOR);
  }
  props[MessageConst.WAIT] = msg.waitStoreMsgOk === false ? 'false' : 'true';
  if (msg.delayLevel !== undefined && msg.delayLevel !== 0) {
    if (!Number.isInteger(msg.delayLevel) || msg.delayLevel < 0) {
      throw new RocketMQError('INVALID_PARAMETER', `delayLevel must be a positive integer, got ${msg.delayLevel}`);
    }
    props[MessageConst.DELAY] = String(msg.delayLevel);
  }
  if (msg.deliverTimeMs !== undefined) {
    if (!Number.isSafeInteger(msg.deliverTimeMs) || msg.deliverTimeMs < 0) {
      throw new RocketMQError(
        'INVALID_PARAMETER',
        `deliverTimeMs must be epoch milliseconds, got ${msg.deliverTimeMs}`,
      );
    }
    props[MessageConst.TIMER_DELIVER_MS] = String(msg.deliverTimeMs);
  }
  if (msg.shardingKey !== undefined && msg.shardingKey !== '') props[MessageConst.SHARDING_KEY] = msg.shardingKey;
  return props;
}
