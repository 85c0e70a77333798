/**
 * Pure conversions of transactional messages (reference §6.6): a TRAN_MSG send becomes a half message parked in
 * RMQ_SYS_TRANS_HALF_TOPIC queue 0; a committed half message becomes the real message again; a half message becomes
 * the body of a CHECK_TRANSACTION_STATE, a renewed copy for the next check, or a discarded copy in
 * TRANS_CHECK_MAX_TIME_TOPIC.
 */
import {
  decodeProperties,
  encodeProperties,
  splitKeys,
  MessageConst,
  PROPERTY_SEPARATOR,
} from '../../protocol/message/properties.js';
import type { MessageRecord, MessageRecordInput } from '../../protocol/message/record.js';
import { MessageSysFlag, resetTransactionType } from '../../protocol/message/sysflag.js';
import { ResponseCode } from '../../protocol/response-code.js';
import type { MessageToStore } from '../../store/message-store.js';
import {
  RMQ_SYS_TRANS_CHECK_MAX_TIME_TOPIC,
  RMQ_SYS_TRANS_HALF_TOPIC,
  RMQ_SYS_TRANS_OP_HALF_TOPIC,
} from '../topic-validator.js';

export { RMQ_SYS_TRANS_CHECK_MAX_TIME_TOPIC, RMQ_SYS_TRANS_HALF_TOPIC, RMQ_SYS_TRANS_OP_HALF_TOPIC };

/** The internal consumer group whose offsets record the progress of the half and op queues. */
export const TRANSACTION_GROUP = 'CID_RMQ_SYS_TRANS';
/** Half messages all go to queue 0 of the half topic; op records to the same queue id of the op topic. */
export const HALF_QUEUE_ID = 0;
/** Tag of op records ("d" for delete: the half message has an outcome). */
export const OP_TAG = 'd';

/** A send refused before it is stored. */
export interface HalfRefusal {
  code: number;
  remark: string;
}

/** The properties of a message as a plain record. */
export type Properties = Record<string, string>;

/** Whether a send's properties say TRAN_MSG=true (a cheap substring test first, the full decode only then). */
export function isHalfMessageSend(properties: string): boolean {
  if (!properties.includes(MessageConst.TRAN_MSG)) return false;
  return decodeProperties(properties)[MessageConst.TRAN_MSG] === 'true';
}

/**
 * The send hook: a TRAN_MSG=true message becomes its half message (REAL_TOPIC, REAL_QID and `__transactionId__`
 * added, transaction bits cleared so the store dispatches it, topic RMQ_SYS_TRANS_HALF_TOPIC queue 0); any other
 * message is returned as it is. With `rejectTransactionMessage` set a half message is refused with NO_PERMISSION.
 */
export function parkHalfMessage(
  config: { rejectTransactionMessage: boolean },
  brokerAddr: string,
  msg: MessageToStore,
): MessageToStore | HalfRefusal {
  if (!isHalfMessageSend(msg.properties)) return msg;
  if (config.rejectTransactionMessage) {
    return {
      code: ResponseCode.NO_PERMISSION,
      remark: `the broker[${brokerAddr}] sending transaction message is forbidden`,
    };
  }
  const props = decodeProperties(msg.properties);
  props[MessageConst.REAL_TOPIC] = msg.topic;
  props[MessageConst.REAL_QID] = String(msg.queueId);
  if (msg.uniqKey !== undefined) props[MessageConst.TRANSACTION_ID] = msg.uniqKey;
  return {
    ...msg,
    topic: RMQ_SYS_TRANS_HALF_TOPIC,
    queueId: HALF_QUEUE_ID,
    sysFlag: resetTransactionType(msg.sysFlag, MessageSysFlag.TRANSACTION_NOT_TYPE),
    properties: encodeProperties(props),
  };
}

/** The real topic and queue a half message was sent to, or undefined when its properties lack them. */
export function realDestination(props: Properties): { topic: string; queueId: number } | undefined {
  const topic = props[MessageConst.REAL_TOPIC];
  const queueId = Number(props[MessageConst.REAL_QID]);
  if (topic === undefined || !Number.isSafeInteger(queueId) || queueId < 0) return undefined;
  return { topic, queueId };
}

/**
 * The queue offset of the first copy of a half message: renewed copies carry it in TRAN_PREPARED_QUEUE_OFFSET, the
 * first copy is its own original. It identifies the transaction across all its copies.
 */
export function originalHalfOffset(props: Properties, queueOffset: number): number {
  const raw = props[MessageConst.TRANSACTION_PREPARED_QUEUE_OFFSET];
  const value = raw === undefined ? Number.NaN : Number(raw);
  return Number.isSafeInteger(value) && value >= 0 ? value : queueOffset;
}

/** How many check-backs a half message has had (TRANSACTION_CHECK_TIMES, 0 when absent or garbled). */
export function checkTimesOf(props: Properties): number {
  const value = Number(props[MessageConst.TRANSACTION_CHECK_TIMES] ?? '0');
  return Number.isSafeInteger(value) && value > 0 ? value : 0;
}

/** The per-message first-check delay (CHECK_IMMUNITY_TIME_IN_SECONDS, in ms), or undefined. */
export function immunityMsOf(props: Properties): number | undefined {
  const raw = props[MessageConst.CHECK_IMMUNITY_TIME_IN_SECONDS];
  if (raw === undefined) return undefined;
  const seconds = Number(raw);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}

function withoutProperties(props: Properties, names: readonly string[]): string {
  const copy: Properties = { ...props };
  for (const name of names) delete copy[name];
  return encodeProperties(copy);
}

function storeFields(rec: MessageRecord, props: Properties) {
  return {
    flag: rec.flag,
    bornTimestamp: rec.bornTimestamp,
    bornHost: rec.bornHost,
    body: rec.body,
    reconsumeTimes: rec.reconsumeTimes,
    tags: props[MessageConst.TAGS],
    keys: splitKeys(props[MessageConst.KEYS]),
    uniqKey: props[MessageConst.UNIQ_KEY],
  };
}

/**
 * The committed message rebuilt from its half message: real topic and queue, sysFlag transaction type COMMIT,
 * preparedTransactionOffset = the half message's CommitLog offset, TRAN_MSG removed. Undefined when the half
 * message does not say where it belongs.
 */
export function committedMessage(half: MessageRecord): MessageToStore | undefined {
  const props = decodeProperties(half.properties);
  const real = realDestination(props);
  if (!real) return undefined;
  return {
    ...storeFields(half, props),
    topic: real.topic,
    queueId: real.queueId,
    sysFlag: resetTransactionType(half.sysFlag, MessageSysFlag.TRANSACTION_COMMIT_TYPE),
    properties: withoutProperties(props, [MessageConst.TRAN_MSG]),
    preparedTransactionOffset: half.physicalOffset,
  };
}

/**
 * A new copy of a half message for the half queue: same content, TRANSACTION_CHECK_TIMES = `checkTimes` and
 * TRAN_PREPARED_QUEUE_OFFSET = the original's queue offset.
 */
export function renewedHalfCopy(half: MessageRecord, originalOffset: number, checkTimes: number): MessageToStore {
  const props = decodeProperties(half.properties);
  props[MessageConst.TRANSACTION_CHECK_TIMES] = String(checkTimes);
  props[MessageConst.TRANSACTION_PREPARED_QUEUE_OFFSET] = String(originalOffset);
  return {
    ...storeFields(half, props),
    topic: RMQ_SYS_TRANS_HALF_TOPIC,
    queueId: HALF_QUEUE_ID,
    sysFlag: resetTransactionType(half.sysFlag, MessageSysFlag.TRANSACTION_NOT_TYPE),
    properties: encodeProperties(props),
    preparedTransactionOffset: 0,
  };
}

/** A half message given up after transactionCheckMax checks, for TRANS_CHECK_MAX_TIME_TOPIC queue 0. */
export function discardedHalfMessage(half: MessageRecord): MessageToStore {
  const props = decodeProperties(half.properties);
  return {
    ...storeFields(half, props),
    topic: RMQ_SYS_TRANS_CHECK_MAX_TIME_TOPIC,
    queueId: 0,
    sysFlag: resetTransactionType(half.sysFlag, MessageSysFlag.TRANSACTION_NOT_TYPE),
    properties: half.properties,
    preparedTransactionOffset: 0,
  };
}

/**
 * The message a CHECK_TRANSACTION_STATE carries (§5.5 body): the half message as stored, with its real topic and
 * queue restored and its transaction type PREPARED. Undefined when the real destination is missing.
 */
export function checkedMessage(half: MessageRecord): MessageRecordInput | undefined {
  const real = realDestination(decodeProperties(half.properties));
  if (!real) return undefined;
  const { bodyCrc: _crc, ...rest } = half;
  return {
    ...rest,
    topic: real.topic,
    queueId: real.queueId,
    sysFlag: resetTransactionType(half.sysFlag, MessageSysFlag.TRANSACTION_PREPARED_TYPE),
  };
}

/** The op record of resolved half offsets: tag `d`, body = each offset followed by a comma. */
export function opMessage(offsets: readonly number[], host: MessageToStore['bornHost'], now: number): MessageToStore {
  return {
    topic: RMQ_SYS_TRANS_OP_HALF_TOPIC,
    queueId: HALF_QUEUE_ID,
    flag: 0,
    sysFlag: 0,
    bornTimestamp: now,
    bornHost: host,
    body: encodeOpBody(offsets),
    properties: `${MessageConst.TAGS}\u0001${OP_TAG}${PROPERTY_SEPARATOR}`,
    reconsumeTimes: 0,
    preparedTransactionOffset: 0,
    tags: OP_TAG,
  };
}

/** `[12, 13]` → `"12,13,"` (ASCII). */
export function encodeOpBody(offsets: readonly number[]): Buffer {
  return Buffer.from(offsets.map((o) => `${o},`).join(''), 'latin1');
}

/** The half offsets of an op body; pieces that are not non-negative integers are skipped. Never throws. */
export function decodeOpBody(body: Buffer): number[] {
  const out: number[] = [];
  for (const piece of body.toString('latin1').split(',')) {
    if (!/^\d{1,16}$/.test(piece)) continue;
    const value = Number(piece);
    if (Number.isSafeInteger(value)) out.push(value);
  }
  return out;
}
