/**
 * Offset processors (reference §3.3, §6.9): QUERY_CONSUMER_OFFSET, UPDATE_CONSUMER_OFFSET, GET_MAX_OFFSET,
 * GET_MIN_OFFSET, GET_EARLIEST_MSG_STORETIME, SEARCH_OFFSET_BY_TIMESTAMP.
 */
import { RocketMQError } from '../../common/errors.js';
import { createResponse } from '../../protocol/command.js';
import {
  GetEarliestMsgStoretimeRequestHeader,
  GetEarliestMsgStoretimeResponseHeader,
  GetMaxOffsetRequestHeader,
  GetMinOffsetRequestHeader,
  OffsetResponseHeader,
  QueryConsumerOffsetRequestHeader,
  SearchOffsetRequestHeader,
  UpdateConsumerOffsetRequestHeader,
} from '../../protocol/headers/offsets.js';
import { RequestCode } from '../../protocol/request-code.js';
import { ResponseCode } from '../../protocol/response-code.js';
import type { RequestHandler } from '../../transport/dispatcher.js';
import type { HandlerTable } from '../context.js';
import type { ClientParts } from './client-parts.js';

/** Remark of QUERY_NOT_FOUND when the group has no offset (Java's wording, which clients may log). */
export const OFFSET_NOT_FOUND_REMARK = 'Not found, V3_0_6_SNAPSHOT maybe this group consumer boot first';
/** Remark of QUERY_NOT_FOUND when the client asked not to get 0 (`setZeroIfNotFound=false`). */
export const OFFSET_NOT_FOUND_NO_ZERO_REMARK = 'Not found, do not set to zero, maybe this group boot first';

/** Bytes read to look at one record. */
const ONE_RECORD_BYTES = 4 * 1024 * 1024;

/** Java's checkInMemByConsumeOffset(topic, queueId, 0, 1): the queue's first message exists and is served from memory. */
async function firstMessageInMemory(
  parts: ClientParts,
  group: string,
  topic: string,
  queueId: number,
): Promise<boolean> {
  const result = await parts.store.getMessage(group, topic, queueId, 0, 1, ONE_RECORD_BYTES);
  return result.status === 'FOUND' && !result.fromDisk;
}

function offsetResponse(request: Parameters<RequestHandler>[0], offset: number) {
  return createResponse(request, ResponseCode.SUCCESS, { extFields: OffsetResponseHeader.encode({ offset }) });
}

function queryConsumerOffset(parts: ClientParts): RequestHandler {
  return async (request) => {
    const h = QueryConsumerOffsetRequestHeader.decode(request.extFields);
    const offset = parts.consumerOffsets.query(h.consumerGroup, h.topic, h.queueId);
    if (offset >= 0) return offsetResponse(request, offset);
    if (h.setZeroIfNotFound === false) {
      return createResponse(request, ResponseCode.QUERY_NOT_FOUND, { remark: OFFSET_NOT_FOUND_NO_ZERO_REMARK });
    }
    const minOffset = parts.store.getMinOffsetInQueue(h.topic, h.queueId);
    if (minOffset <= 0 && (await firstMessageInMemory(parts, h.consumerGroup, h.topic, h.queueId))) {
      return offsetResponse(request, 0);
    }
    return createResponse(request, ResponseCode.QUERY_NOT_FOUND, { remark: OFFSET_NOT_FOUND_REMARK });
  };
}

function updateConsumerOffset(parts: ClientParts): RequestHandler {
  return (request, ctx) => {
    const h = UpdateConsumerOffsetRequestHeader.decode(request.extFields);
    const topic = parts.topics.get(h.topic);
    if (topic === undefined) throw new RocketMQError('TOPIC_NOT_EXIST', `Topic ${h.topic} not exist!`);
    if (parts.subscriptionGroups.get(h.consumerGroup) === undefined) {
      throw new RocketMQError('SUBSCRIPTION_GROUP_NOT_EXIST', `Subscription group ${h.consumerGroup} not exist!`);
    }
    const queues = Math.max(topic.readQueueNums, topic.writeQueueNums);
    if (h.queueId < 0 || h.queueId >= queues) {
      throw new RocketMQError('INVALID_PARAMETER', `queueId ${h.queueId} is out of range [0, ${queues}) of ${h.topic}`);
    }
    // a BROADCASTING group's offsets stay with its clients: never stored on the broker
    if (!parts.consumers.isBroadcasting(h.consumerGroup)) {
      parts.consumerOffsets.commit(ctx.remoteAddress, h.consumerGroup, h.topic, h.queueId, h.commitOffset);
    }
    return createResponse(request, ResponseCode.SUCCESS);
  };
}

function getMaxOffset(parts: ClientParts): RequestHandler {
  return (request) => {
    const h = GetMaxOffsetRequestHeader.decode(request.extFields);
    return offsetResponse(request, parts.store.getMaxOffsetInQueue(h.topic, h.queueId));
  };
}

function getMinOffset(parts: ClientParts): RequestHandler {
  return (request) => {
    const h = GetMinOffsetRequestHeader.decode(request.extFields);
    return offsetResponse(request, parts.store.getMinOffsetInQueue(h.topic, h.queueId));
  };
}

function getEarliestMsgStoretime(parts: ClientParts): RequestHandler {
  return async (request) => {
    const h = GetEarliestMsgStoretimeRequestHeader.decode(request.extFields);
    const timestamp = await parts.store.getEarliestMessageTime(h.topic, h.queueId);
    return createResponse(request, ResponseCode.SUCCESS, {
      extFields: GetEarliestMsgStoretimeResponseHeader.encode({ timestamp }),
    });
  };
}

function searchOffsetByTimestamp(parts: ClientParts): RequestHandler {
  return async (request) => {
    const h = SearchOffsetRequestHeader.decode(request.extFields);
    const offset = await parts.store.getOffsetInQueueByTime(h.topic, h.queueId, h.timestamp, h.boundaryType ?? 'lower');
    return offsetResponse(request, offset);
  };
}

/** The offset request handlers. */
export function offsetHandlers(parts: ClientParts): HandlerTable {
  return new Map<number, RequestHandler>([
    [RequestCode.QUERY_CONSUMER_OFFSET, queryConsumerOffset(parts)],
    [RequestCode.UPDATE_CONSUMER_OFFSET, updateConsumerOffset(parts)],
    [RequestCode.GET_MAX_OFFSET, getMaxOffset(parts)],
    [RequestCode.GET_MIN_OFFSET, getMinOffset(parts)],
    [RequestCode.GET_EARLIEST_MSG_STORETIME, getEarliestMsgStoretime(parts)],
    [RequestCode.SEARCH_OFFSET_BY_TIMESTAMP, searchOffsetByTimestamp(parts)],
  ]);
}
