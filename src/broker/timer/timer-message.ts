/**
 * Timer messages on the way in and out (reference §5.1, §6.4), pure functions: which delivery time a message asks
 * for, parking it in the timer topic at send time, and rebuilding it for its real topic (or for a roll) when due.
 */
import { decodeProperties, encodeProperties, MessageConst } from '../../protocol/message/properties.js';
import type { MessageRecord } from '../../protocol/message/record.js';
import { MessageSysFlag, transactionType } from '../../protocol/message/sysflag.js';
import { ResponseCode } from '../../protocol/response-code.js';
import type { MessageToStore } from '../../store/message-store.js';
import { republished } from '../republish.js';

/** The 5.x timer topic: parked timer messages live in its queue 0. */
export const TIMER_TOPIC = 'rmq_sys_wheel_timer';

/** Properties that ask for a delivery time, in the order they are honoured. */
const TIMER_REQUEST_KEYS = [
  MessageConst.TIMER_DELAY_SEC,
  MessageConst.TIMER_DELAY_MS,
  MessageConst.TIMER_DELIVER_MS,
  MessageConst.STARTDELIVERTIME,
] as const;

/** What the send path needs of the timer configuration. */
export interface TimerRules {
  /** timerWheelEnable. */
  enable: boolean;
  /** timerMaxDelaySec. */
  maxDelaySec: number;
  /** timerPrecisionMs. */
  precisionMs: number;
}

/** A send refused because of its timer properties. */
export interface TimerRefusal {
  code: number;
  remark: string;
}

/**
 * The slot a delivery time falls in, as Java rounds it: exact multiples of the precision go one tick earlier, other
 * times round down. The slot fires at its end (slot + precision), which is never before `deliverMs`.
 */
export function timerSlotMs(deliverMs: number, precisionMs: number): number {
  return Math.floor((deliverMs - 1) / precisionMs) * precisionMs;
}

/**
 * The absolute delivery time the properties ask for, undefined when none; TIMER_DELAY_SEC, then TIMER_DELAY_MS
 * (relative to `now`), then TIMER_DELIVER_MS, then ali-ons' __STARTDELIVERTIME (absolute epoch ms). A value that is
 * not an integer is a refusal.
 */
export function requestedDeliverMs(
  props: Readonly<Record<string, string>>,
  now: number,
): number | undefined | TimerRefusal {
  for (const key of TIMER_REQUEST_KEYS) {
    const raw = props[key];
    if (raw === undefined) continue;
    if (!/^\s*-?\d{1,16}\s*$/.test(raw)) {
      return { code: ResponseCode.MESSAGE_ILLEGAL, remark: `timer property ${key} is not an integer: "${raw}"` };
    }
    const value = Number(raw.trim());
    if (key === MessageConst.TIMER_DELAY_SEC) return now + value * 1000;
    if (key === MessageConst.TIMER_DELAY_MS) return now + value;
    return value;
  }
  return undefined;
}

function hasTimerProperty(properties: string): boolean {
  return properties.includes('TIMER_') || properties.includes(MessageConst.STARTDELIVERTIME);
}

/** Whether the store dispatches this message now (not a prepared/rolled-back half message). */
function dispatchedNow(sysFlag: number): boolean {
  const t = transactionType(sysFlag);
  return t === MessageSysFlag.TRANSACTION_NOT_TYPE || t === MessageSysFlag.TRANSACTION_COMMIT_TYPE;
}

/**
 * The send-path conversion. Unchanged without a delivery time, for half messages, and when the time has come
 * already. A positive DELAY level wins: the timer properties are removed and the message goes on to the delay-level
 * conversion. Otherwise: refused when the wheel is disabled (SYSTEM_ERROR, as WHEEL_TIMER_NOT_ENABLE) or the delay
 * exceeds `maxDelaySec` (MESSAGE_ILLEGAL); else parked in {@link TIMER_TOPIC} queue 0 with TIMER_OUT_MS (the slot),
 * REAL_TOPIC and REAL_QID.
 */
export function toTimerMessage(msg: MessageToStore, rules: TimerRules, now: number): MessageToStore | TimerRefusal {
  if (!dispatchedNow(msg.sysFlag) || !hasTimerProperty(msg.properties)) return msg;
  const props = decodeProperties(msg.properties);
  const level = props[MessageConst.DELAY];
  if (level !== undefined && /^\s*\+?\d{1,9}\s*$/.test(level) && Number(level.trim()) > 0) {
    let changed = false;
    for (const key of TIMER_REQUEST_KEYS) {
      if (props[key] !== undefined) {
        delete props[key];
        changed = true;
      }
    }
    return changed ? { ...msg, properties: encodeProperties(props) } : msg;
  }
  const deliverMs = requestedDeliverMs(props, now);
  if (deliverMs === undefined) return msg;
  if (typeof deliverMs !== 'number') return deliverMs;
  if (!rules.enable) {
    return {
      code: ResponseCode.SYSTEM_ERROR,
      remark: 'accurate timer message is not enabled, timerWheelEnable is false',
    };
  }
  if (deliverMs <= now) return msg;
  if (deliverMs - now > rules.maxDelaySec * 1000) {
    return {
      code: ResponseCode.MESSAGE_ILLEGAL,
      remark: `timer message delay ${deliverMs - now} ms exceeds the maximum of ${rules.maxDelaySec} s (timerMaxDelaySec)`,
    };
  }
  props[MessageConst.TIMER_OUT_MS] = String(timerSlotMs(deliverMs, rules.precisionMs));
  props[MessageConst.REAL_TOPIC] = msg.topic;
  props[MessageConst.REAL_QID] = String(msg.queueId);
  return { ...msg, topic: TIMER_TOPIC, queueId: 0, properties: encodeProperties(props) };
}

/**
 * The message a due timer record becomes: its real topic and queue, REAL_TOPIC / REAL_QID and the relative
 * TIMER_DELAY_SEC / TIMER_DELAY_MS removed (a re-send must not be delayed again), TIMER_ENQUEUE_MS set to when it
 * entered the wheel; absolute times (TIMER_DELIVER_MS, TIMER_OUT_MS, __STARTDELIVERTIME) are kept, as they are past.
 * Undefined when REAL_TOPIC / REAL_QID are missing or unusable.
 */
export function restoreTimerMessage(rec: MessageRecord, enqueueMs: number): MessageToStore | undefined {
  const props = decodeProperties(rec.properties);
  const topic = props[MessageConst.REAL_TOPIC];
  const qid = props[MessageConst.REAL_QID];
  if (topic === undefined || topic === '' || qid === undefined || !/^\d{1,9}$/.test(qid)) return undefined;
  delete props[MessageConst.REAL_TOPIC];
  delete props[MessageConst.REAL_QID];
  delete props[MessageConst.TIMER_DELAY_SEC];
  delete props[MessageConst.TIMER_DELAY_MS];
  props[MessageConst.TIMER_ENQUEUE_MS] = String(enqueueMs);
  return republished(rec, topic, Number(qid), props);
}

/** The copy a roll re-appends to the timer topic: everything kept, TIMER_ROLL_TIMES + 1. */
export function rollTimerMessage(rec: MessageRecord, enqueueMs: number): MessageToStore {
  const props = decodeProperties(rec.properties);
  const times = Number(props[MessageConst.TIMER_ROLL_TIMES] ?? '0');
  props[MessageConst.TIMER_ROLL_TIMES] = String((Number.isSafeInteger(times) ? times : 0) + 1);
  props[MessageConst.TIMER_ENQUEUE_MS] = String(enqueueMs);
  return republished(rec, TIMER_TOPIC, 0, props);
}

/**
 * One property of an encoded properties string without decoding the rest (the enqueue path reads two properties of
 * every timer record); the last occurrence wins and an empty value counts as absent, as in decodeProperties.
 */
export function propertyValue(properties: string, key: string): string | undefined {
  const needle = `${key}\u0001`;
  let at = properties.lastIndexOf(needle);
  while (at > 0 && properties.charCodeAt(at - 1) !== 2) at = properties.lastIndexOf(needle, at - 1);
  if (at < 0) return undefined;
  const start = at + needle.length;
  const end = properties.indexOf('\u0002', start);
  const value = properties.slice(start, end < 0 ? properties.length : end);
  return value === '' ? undefined : value;
}

/** TIMER_OUT_MS of a parked record's properties string, or undefined when absent or malformed. */
export function timerOutMsOf(properties: string): number | undefined {
  const raw = propertyValue(properties, MessageConst.TIMER_OUT_MS);
  if (raw === undefined || !/^-?\d{1,16}$/.test(raw)) return undefined;
  return Number(raw);
}
