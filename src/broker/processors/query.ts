/**
 * Message query processors (reference §3.3, §3.6, §5.8): QUERY_MESSAGE (12) by key or UNIQ_KEY, VIEW_MESSAGE_BY_ID (33)
 * by CommitLog offset, QUERY_TOPIC_CONSUME_BY_WHO (300), QUERY_CONSUME_TIME_SPAN (303).
 */
import { RocketMQError } from '../../common/errors.js';
import { createResponse } from '../../protocol/command.js';
import { stringifyJsonBuffer } from '../../protocol/fastjson.js';
import type { MessageQueue } from '../../protocol/headers/lock.js';
import {
  QueryConsumeTimeSpanRequestHeader,
  QueryMessageRequestHeader,
  QueryMessageResponseHeader,
  QueryTopicConsumeByWhoRequestHeader,
  UNIQUE_KEY_QUERY_EXT_KEY,
  ViewMessageRequestHeader,
} from '../../protocol/headers/query.js';
import { decodeRecord } from '../../protocol/message/record.js';
import { RequestCode } from '../../protocol/request-code.js';
import { ResponseCode } from '../../protocol/response-code.js';
import type { MessageStore } from '../../store/message-store.js';
import type { RequestHandler } from '../../transport/dispatcher.js';
import type { ConsumerManager } from '../consumer-manager.js';
import type { ConsumerOffsetManager } from '../consumer-offset-manager.js';
import type { BrokerContext, HandlerTable } from '../context.js';

/** Remark of QUERY_NOT_FOUND from QUERY_MESSAGE (Java's wording). */
export const QUERY_MESSAGE_NOT_FOUND_REMARK = 'can not find message, maybe time range not correct';

/** Bytes read to look at one record. */
const ONE_RECORD_BYTES = 4 * 1024 * 1024;

/** What the query processors read besides the broker context. */
export interface QueryParts {
  ctx: BrokerContext;
  consumers: Pick<ConsumerManager, 'groupNames' | 'findSubscription'>;
  consumerOffsets: Pick<ConsumerOffsetManager, 'query' | 'groupsOf'>;
}

/** One entry of a QueryConsumeTimeSpanBody. */
export interface QueueTimeSpan {
  messageQueue: MessageQueue;
  minTimeStamp: number;
  maxTimeStamp: number;
  consumeTimeStamp: number;
  delayTime: number;
}

/** Store time of the message at a logical queue offset, or -1 (Java's getMessageStoreTimeStamp). */
export async function storeTimeAtQueueOffset(
  store: MessageStore,
  topic: string,
  queueId: number,
  offset: number,
): Promise<number> {
  if (offset < 0) return -1;
  const result = await store.getMessage('', topic, queueId, offset, 1, ONE_RECORD_BYTES);
  const record = result.status === 'FOUND' ? result.messages[0] : undefined;
  if (record === undefined) return -1;
  try {
    return decodeRecord(record, 0, { readBody: false }).storeTimestamp;
  } catch {
    return -1;
  }
}

function queryMessage(parts: QueryParts): RequestHandler {
  return async (request) => {
    const { config, store } = parts.ctx;
    const h = QueryMessageRequestHeader.decode(request.extFields);
    const uniqKey = request.extFields?.[UNIQUE_KEY_QUERY_EXT_KEY] === 'true';
    const maxNum = Math.min(uniqKey ? config.defaultQueryMaxNum : h.maxNum, config.maxMsgsNumBatch);
    const result = await store.queryMessage(h.topic, h.key, maxNum, h.beginTimestamp, h.endTimestamp);
    const extFields = QueryMessageResponseHeader.encode({
      indexLastUpdateTimestamp: result.indexLastUpdateTimestamp,
      indexLastUpdatePhyoffset: result.indexLastUpdatePhyOffset,
    });
    if (result.messages.length === 0) {
      return createResponse(request, ResponseCode.QUERY_NOT_FOUND, {
        extFields,
        remark: QUERY_MESSAGE_NOT_FOUND_REMARK,
      });
    }
    return createResponse(request, ResponseCode.SUCCESS, { extFields, body: Buffer.concat(result.messages) });
  };
}

function viewMessageById(parts: QueryParts): RequestHandler {
  return async (request) => {
    const h = ViewMessageRequestHeader.decode(request.extFields);
    const bytes = h.offset >= 0 ? await parts.ctx.store.getRecordBytes(h.offset) : undefined;
    if (bytes === undefined) {
      throw new RocketMQError('SYSTEM_ERROR', `can not find message by the offset, ${h.offset}`);
    }
    return createResponse(request, ResponseCode.SUCCESS, { body: bytes });
  };
}

function queryTopicConsumeByWho(parts: QueryParts): RequestHandler {
  return (request) => {
    const { topic } = QueryTopicConsumeByWhoRequestHeader.decode(request.extFields);
    const groups = new Set<string>();
    for (const group of parts.consumers.groupNames()) {
      if (parts.consumers.findSubscription(group, topic) !== undefined) groups.add(group);
    }
    for (const group of parts.consumerOffsets.groupsOf(topic)) groups.add(group);
    return createResponse(request, ResponseCode.SUCCESS, {
      body: stringifyJsonBuffer({ groupList: [...groups].sort() }),
    });
  };
}

function queryConsumeTimeSpan(parts: QueryParts): RequestHandler {
  return async (request) => {
    const { store, topics, config } = parts.ctx;
    const h = QueryConsumeTimeSpanRequestHeader.decode(request.extFields);
    const topic = topics.get(h.topic);
    if (topic === undefined) throw new RocketMQError('TOPIC_NOT_EXIST', `topic[${h.topic}] not exist`);
    const now = parts.ctx.now();
    const consumeTimeSpanSet: QueueTimeSpan[] = [];
    for (let queueId = 0; queueId < topic.writeQueueNums; queueId++) {
      const minTimeStamp = await store.getEarliestMessageTime(h.topic, queueId);
      const maxOffset = store.getMaxOffsetInQueue(h.topic, queueId);
      const maxTimeStamp = await storeTimeAtQueueOffset(store, h.topic, queueId, maxOffset - 1);
      const consumerOffset = parts.consumerOffsets.query(h.group, h.topic, queueId);
      const consumeTimeStamp =
        consumerOffset > 0 ? await storeTimeAtQueueOffset(store, h.topic, queueId, consumerOffset - 1) : minTimeStamp;
      let delayTime = 0;
      if (consumerOffset < maxOffset) {
        const nextTime = await storeTimeAtQueueOffset(store, h.topic, queueId, Math.max(consumerOffset, 0));
        delayTime = nextTime < 0 ? 0 : now - nextTime;
      }
      consumeTimeSpanSet.push({
        messageQueue: { topic: h.topic, brokerName: config.brokerName, queueId },
        minTimeStamp,
        maxTimeStamp,
        consumeTimeStamp,
        delayTime,
      });
    }
    return createResponse(request, ResponseCode.SUCCESS, { body: stringifyJsonBuffer({ consumeTimeSpanSet }) });
  };
}

/** QUERY_MESSAGE, VIEW_MESSAGE_BY_ID, QUERY_TOPIC_CONSUME_BY_WHO and QUERY_CONSUME_TIME_SPAN handlers. */
export function queryHandlers(parts: QueryParts): HandlerTable {
  return new Map<number, RequestHandler>([
    [RequestCode.QUERY_MESSAGE, queryMessage(parts)],
    [RequestCode.VIEW_MESSAGE_BY_ID, viewMessageById(parts)],
    [RequestCode.QUERY_TOPIC_CONSUME_BY_WHO, queryTopicConsumeByWho(parts)],
    [RequestCode.QUERY_CONSUME_TIME_SPAN, queryConsumeTimeSpan(parts)],
  ]);
}
