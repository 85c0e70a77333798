/**
 * The message properties string (reference §5.1): `name \u0001 value \u0002` per entry, plus the well-known keys.
 */

/** Separates a property name from its value. */
export const NAME_VALUE_SEPARATOR = '\u0001';
/** Ends each property entry. */
export const PROPERTY_SEPARATOR = '\u0002';
/** Separates business keys inside the KEYS property. */
export const KEY_SEPARATOR = ' ';
/** The business keys of a KEYS property value (split on spaces, empty ones dropped); none when it is absent. */
export function splitKeys(keys: string | undefined): string[] {
  return keys === undefined || keys === '' ? [] : keys.split(KEY_SEPARATOR).filter((k) => k !== '');
}

/** Prefix of client-side-only keys, never sent to or stored by a broker. */
export const TRANSIENT_PREFIX = '__RMQ.TRANSIENT.';

/** Property key names (the exact strings of Java's `MessageConst`). */
export const MessageConst = {
  KEYS: 'KEYS',
  TAGS: 'TAGS',
  WAIT: 'WAIT',
  DELAY: 'DELAY',
  RETRY_TOPIC: 'RETRY_TOPIC',
  REAL_TOPIC: 'REAL_TOPIC',
  REAL_QID: 'REAL_QID',
  TRAN_MSG: 'TRAN_MSG',
  PGROUP: 'PGROUP',
  MIN_OFFSET: 'MIN_OFFSET',
  MAX_OFFSET: 'MAX_OFFSET',
  BUYER_ID: 'BUYER_ID',
  TRANSFER_FLAG: 'TRANSFER_FLAG',
  CORRECTION_FLAG: 'CORRECTION_FLAG',
  MQ2_FLAG: 'MQ2_FLAG',
  ORIGIN_MESSAGE_ID: 'ORIGIN_MESSAGE_ID',
  RECONSUME_TIME: 'RECONSUME_TIME',
  MSG_REGION: 'MSG_REGION',
  TRACE_ON: 'TRACE_ON',
  UNIQ_KEY: 'UNIQ_KEY',
  EXTEND_UNIQ_INFO: 'EXTEND_UNIQ_INFO',
  MAX_RECONSUME_TIMES: 'MAX_RECONSUME_TIMES',
  CONSUME_START_TIME: 'CONSUME_START_TIME',
  INNER_NUM: 'INNER_NUM',
  INNER_BASE: 'INNER_BASE',
  DUP_INFO: 'DUP_INFO',
  CHECK_IMMUNITY_TIME_IN_SECONDS: 'CHECK_IMMUNITY_TIME_IN_SECONDS',
  TRANSACTION_PREPARED_QUEUE_OFFSET: 'TRAN_PREPARED_QUEUE_OFFSET',
  TRANSACTION_ID: '__transactionId__',
  TRANSACTION_CHECK_TIMES: 'TRANSACTION_CHECK_TIMES',
  INSTANCE_ID: 'INSTANCE_ID',
  CORRELATION_ID: 'CORRELATION_ID',
  REPLY_TO_CLIENT: 'REPLY_TO_CLIENT',
  TTL: 'TTL',
  ARRIVE_TIME: 'ARRIVE_TIME',
  PUSH_REPLY_TIME: 'PUSH_REPLY_TIME',
  CLUSTER: 'CLUSTER',
  MSG_TYPE: 'MSG_TYPE',
  POP_CK: 'POP_CK',
  POP_CK_OFFSET: 'POP_CK_OFFSET',
  FIRST_POP_TIME: '1ST_POP_TIME',
  SHARDING_KEY: '__SHARDINGKEY',
  FORWARD_QUEUE_ID: 'PROPERTY_FORWARD_QUEUE_ID',
  REDIRECT: 'REDIRECT',
  INNER_MULTI_DISPATCH: 'INNER_MULTI_DISPATCH',
  INNER_MULTI_QUEUE_OFFSET: 'INNER_MULTI_QUEUE_OFFSET',
  TRACE_CONTEXT: 'TRACE_CONTEXT',
  STARTDELIVERTIME: '__STARTDELIVERTIME',
  TIMER_DELAY_SEC: 'TIMER_DELAY_SEC',
  TIMER_DELAY_MS: 'TIMER_DELAY_MS',
  TIMER_DELIVER_MS: 'TIMER_DELIVER_MS',
  TIMER_OUT_MS: 'TIMER_OUT_MS',
  TIMER_ENQUEUE_MS: 'TIMER_ENQUEUE_MS',
  TIMER_DEQUEUE_MS: 'TIMER_DEQUEUE_MS',
  TIMER_ROLL_TIMES: 'TIMER_ROLL_TIMES',
  TIMER_DEL_UNIQKEY: 'TIMER_DEL_UNIQKEY',
  TIMER_DELAY_LEVEL: 'TIMER_DELAY_LEVEL',
  BORN_HOST: '__BORNHOST',
  BORN_TIMESTAMP: 'BORN_TIMESTAMP',
  CRC32: '__CRC32#',
  DLQ_ORIGIN_TOPIC: 'DLQ_ORIGIN_TOPIC',
  DLQ_ORIGIN_MESSAGE_ID: 'DLQ_ORIGIN_MESSAGE_ID',
  TRANSIENT_TOPIC_SYS_FLAG: '__RMQ.TRANSIENT.TOPIC_SYS_FLAG',
  TRANSIENT_GROUP_SYS_FLAG: '__RMQ.TRANSIENT.GROUP_SYS_FLAG',
} as const;
export type MessageConstKey = (typeof MessageConst)[keyof typeof MessageConst];

/** Keys user code may not set as user properties (the "R" column of reference §5.1, Java `STRING_HASH_SET`). */
export const RESERVED_PROPERTY_KEYS: ReadonlySet<string> = new Set<string>([
  MessageConst.KEYS,
  MessageConst.TAGS,
  MessageConst.WAIT,
  MessageConst.DELAY,
  MessageConst.RETRY_TOPIC,
  MessageConst.REAL_TOPIC,
  MessageConst.REAL_QID,
  MessageConst.TRAN_MSG,
  MessageConst.PGROUP,
  MessageConst.MIN_OFFSET,
  MessageConst.MAX_OFFSET,
  MessageConst.BUYER_ID,
  MessageConst.TRANSFER_FLAG,
  MessageConst.CORRECTION_FLAG,
  MessageConst.MQ2_FLAG,
  MessageConst.ORIGIN_MESSAGE_ID,
  MessageConst.RECONSUME_TIME,
  MessageConst.MSG_REGION,
  MessageConst.TRACE_ON,
  MessageConst.UNIQ_KEY,
  MessageConst.EXTEND_UNIQ_INFO,
  MessageConst.MAX_RECONSUME_TIMES,
  MessageConst.CONSUME_START_TIME,
  MessageConst.DUP_INFO,
  MessageConst.TRANSACTION_PREPARED_QUEUE_OFFSET,
  MessageConst.INSTANCE_ID,
  MessageConst.CORRELATION_ID,
  MessageConst.REPLY_TO_CLIENT,
  MessageConst.TTL,
  MessageConst.ARRIVE_TIME,
  MessageConst.PUSH_REPLY_TIME,
  MessageConst.CLUSTER,
  MessageConst.MSG_TYPE,
  MessageConst.POP_CK,
  MessageConst.POP_CK_OFFSET,
  MessageConst.FIRST_POP_TIME,
  MessageConst.INNER_MULTI_QUEUE_OFFSET,
  MessageConst.TIMER_DELAY_SEC,
  MessageConst.TIMER_DELAY_MS,
  MessageConst.TIMER_DELIVER_MS,
  MessageConst.TIMER_OUT_MS,
  MessageConst.TIMER_ENQUEUE_MS,
  MessageConst.TIMER_DEQUEUE_MS,
  MessageConst.TIMER_ROLL_TIMES,
  MessageConst.TIMER_DEL_UNIQKEY,
  MessageConst.TIMER_DELAY_LEVEL,
  MessageConst.BORN_HOST,
  MessageConst.BORN_TIMESTAMP,
  MessageConst.CRC32,
  MessageConst.DLQ_ORIGIN_TOPIC,
  MessageConst.DLQ_ORIGIN_MESSAGE_ID,
]);

/**
 * Encodes properties as `name \u0001 value \u0002` per entry, in iteration order. Entries whose value is
 * null/undefined are skipped (the Java client never stores a null value).
 */
export function encodeProperties(
  props: Readonly<Record<string, string | null | undefined>> | ReadonlyMap<string, string | null | undefined>,
): string {
  let out = '';
  const entries = props instanceof Map ? props.entries() : Object.entries(props);
  for (const [name, value] of entries) {
    if (value === null || value === undefined) continue;
    out += name + NAME_VALUE_SEPARATOR + value + PROPERTY_SEPARATOR;
  }
  return out;
}

/**
 * Decodes a properties string with Java's rules: split on \u0002; a segment counts only when it has at least 3
 * characters and its first \u0001 is neither its first nor its last character (so empty names and empty values are
 * dropped); the value is everything after that first \u0001; a repeated name keeps the last value. The result has a
 * null prototype, so names like `__proto__` are plain keys. Never throws.
 */
export function decodeProperties(s: string): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  const len = s.length;
  let start = 0;
  while (start < len) {
    let end = s.indexOf(PROPERTY_SEPARATOR, start);
    if (end < 0) end = len;
    if (end - start >= 3) {
      const sep = s.indexOf(NAME_VALUE_SEPARATOR, start);
      if (sep > start && sep < end - 1) {
        out[s.slice(start, sep)] = s.slice(sep + 1, end);
      }
    }
    start = end + 1;
  }
  return out;
}
