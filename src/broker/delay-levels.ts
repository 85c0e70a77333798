/**
 * Classic delay levels (reference §6.3): parsing `messageDelayLevel`, parking a message with a DELAY level in
 * SCHEDULE_TOPIC_XXXX, and rebuilding it for its real topic when it is due. Pure functions.
 */
import { RocketMQError } from '../common/errors.js';
import { decodeProperties, encodeProperties, MessageConst } from '../protocol/message/properties.js';
import type { MessageRecord } from '../protocol/message/record.js';
import { MessageSysFlag, transactionType } from '../protocol/message/sysflag.js';
import type { MessageToStore } from '../store/message-store.js';
import { RMQ_SYS_SCHEDULE_TOPIC } from './topic-validator.js';
import { republished } from './republish.js';

/** Java's default `messageDelayLevel`: levels 1..18. */
export const DEFAULT_MESSAGE_DELAY_LEVEL = '1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h';

/** Most levels accepted (one ScheduleMessageService queue each). */
export const MAX_DELAY_LEVELS = 1000;

const UNIT_MS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
/** Longest delay accepted for one level: 365 days. */
const MAX_LEVEL_DELAY_MS = 365 * 86_400_000;

/**
 * Delays of `messageDelayLevel` in milliseconds, index 0 = level 1. Entries are `<digits><unit>` separated by
 * spaces, unit s, m, h or d. Anything else fails with CONFIG_INVALID naming the entry.
 */
export function parseDelayLevels(text: string): number[] {
  const entries = text
    .trim()
    .split(/\s+/)
    .filter((e) => e !== '');
  const fail = (why: string): never => {
    throw new RocketMQError('CONFIG_INVALID', `invalid value for config key 'messageDelayLevel': ${why}`);
  };
  if (entries.length === 0) fail('no levels');
  if (entries.length > MAX_DELAY_LEVELS) fail(`more than ${MAX_DELAY_LEVELS} levels`);
  return entries.map((entry) => {
    const m = /^(\d{1,12})([smhd])$/.exec(entry);
    if (!m) return fail(`"${entry}" is not <number><s|m|h|d>`);
    const ms = Number(m[1]) * UNIT_MS[m[2]!]!;
    if (ms > MAX_LEVEL_DELAY_MS) return fail(`"${entry}" is longer than 365 days`);
    return ms;
  });
}

/** The level a DELAY property asks for: a positive integer, or 0 for none (absent, malformed, ≤ 0). */
export function delayLevelOf(property: string | undefined): number {
  if (property === undefined || !/^\s*\+?\d{1,9}\s*$/.test(property)) return 0;
  return Number(property.trim());
}

/** Delivery time of a message stored at `storeTime` with `level` (1-based, already capped). */
export function deliverTimeOf(storeTime: number, level: number, levels: readonly number[]): number {
  return storeTime + (levels[level - 1] ?? 0);
}

/** Whether the store dispatches this message to a ConsumeQueue now (not a prepared/rolled-back half message). */
function dispatchedNow(sysFlag: number): boolean {
  const t = transactionType(sysFlag);
  return t === MessageSysFlag.TRANSACTION_NOT_TYPE || t === MessageSysFlag.TRANSACTION_COMMIT_TYPE;
}

/**
 * The message as the store should take it: unchanged without a positive DELAY (or for half messages); otherwise
 * parked in SCHEDULE_TOPIC_XXXX queue level − 1 with REAL_TOPIC / REAL_QID, the level capped to the table and the
 * ConsumeQueue tagsCode set to the delivery time (`now` + the level's delay).
 */
export function toScheduledMessage(msg: MessageToStore, levels: readonly number[], now: number): MessageToStore {
  if (!dispatchedNow(msg.sysFlag) || !msg.properties.includes(MessageConst.DELAY)) return msg;
  const props = decodeProperties(msg.properties);
  let level = delayLevelOf(props[MessageConst.DELAY]);
  if (level <= 0) return msg;
  level = Math.min(level, levels.length);
  props[MessageConst.DELAY] = String(level);
  props[MessageConst.REAL_TOPIC] = msg.topic;
  props[MessageConst.REAL_QID] = String(msg.queueId);
  return {
    ...msg,
    topic: RMQ_SYS_SCHEDULE_TOPIC,
    queueId: level - 1,
    properties: encodeProperties(props),
    tagsCode: deliverTimeOf(now, level, levels),
  };
}

/**
 * The message a due schedule record becomes: its real topic and queue, without DELAY / REAL_TOPIC / REAL_QID, with
 * everything else (body, flags, born info, reconsume times, other properties) kept. Undefined when the record lacks
 * a usable REAL_TOPIC / REAL_QID (it is then skipped).
 */
export function restoreScheduledMessage(rec: MessageRecord): MessageToStore | undefined {
  const props = decodeProperties(rec.properties);
  const topic = props[MessageConst.REAL_TOPIC];
  const qid = props[MessageConst.REAL_QID];
  if (topic === undefined || qid === undefined || !/^\d{1,9}$/.test(qid)) return undefined;
  delete props[MessageConst.DELAY];
  delete props[MessageConst.REAL_TOPIC];
  delete props[MessageConst.REAL_QID];
  return republished(rec, topic, Number(qid), props);
}

let cachedText: string | undefined;
let cachedLevels: number[] = [];

/** parseDelayLevels with the last result cached (the send path asks on every delayed message). */
export function delayLevelsOf(text: string): readonly number[] {
  if (text !== cachedText) {
    cachedLevels = parseDelayLevels(text);
    cachedText = text;
  }
  return cachedLevels;
}

/**
 * The ConsumeQueue tagsCode recovery gives a SCHEDULE_TOPIC_XXXX record (the FileStore `tagsCodeOf` hook): its
 * delivery time from its DELAY level and store time. Undefined for other topics (the TAGS hash applies).
 */
export function scheduleTagsCodeOf(
  topic: string,
  properties: Record<string, string>,
  storeTimestamp: number,
  levels: readonly number[],
): number | undefined {
  if (topic !== RMQ_SYS_SCHEDULE_TOPIC) return undefined;
  const level = Math.min(delayLevelOf(properties[MessageConst.DELAY]), levels.length);
  return level > 0 ? deliverTimeOf(storeTimestamp, level, levels) : storeTimestamp;
}
