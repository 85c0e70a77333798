/**
 * A stored record appended again as a new message: a delayed or timed message reaching its real topic, a message
 * sent back for retry or to the DLQ, a timer roll. Body, flags, born info, reconsume times and the prepared
 * transaction offset are kept; the topic, queue and properties are the caller's.
 */
import { encodeProperties, MessageConst, splitKeys } from '../protocol/message/properties.js';
import type { MessageRecord } from '../protocol/message/record.js';
import type { MessageToStore } from '../store/message-store.js';

/** `rec` as a new message for `topic` / `queueId` with properties `props` (their TAGS, KEYS and UNIQ_KEY indexed). */
export function republished(
  rec: MessageRecord,
  topic: string,
  queueId: number,
  props: Record<string, string>,
): MessageToStore {
  return {
    topic,
    queueId,
    flag: rec.flag,
    sysFlag: rec.sysFlag,
    bornTimestamp: rec.bornTimestamp,
    bornHost: rec.bornHost,
    body: rec.body,
    properties: encodeProperties(props),
    reconsumeTimes: rec.reconsumeTimes,
    preparedTransactionOffset: rec.preparedTransactionOffset,
    tags: props[MessageConst.TAGS],
    keys: splitKeys(props[MessageConst.KEYS]),
    uniqKey: props[MessageConst.UNIQ_KEY],
  };
}
