import { createResponse, type RemotingCommand } from '../protocol/command.js';
import { stringifyJsonBuffer } from '../protocol/fastjson.js';
import {
  CreateTopicRequestHeader,
  DeleteTopicRequestHeader,
  GetTopicStatsInfoRequestHeader,
} from '../protocol/headers/admin.js';
import { decodeRecord } from '../protocol/message/record.js';
import { RequestCode } from '../protocol/request-code.js';
import { ResponseCode } from '../protocol/response-code.js';
import type { RequestHandler } from '../transport/dispatcher.js';
import type { BrokerContext, HandlerTable, TopicConfig } from './context.js';
import type { TopicConfigSerializeWrapper } from './topic-config-manager.js';
import { isSystemTopic, topicNameProblem } from './topic-validator.js';

/** What topic admin needs beyond the context: the wrapper for GET_ALL_TOPIC_CONFIG. */
export interface TopicAdminDeps {
  wrapper(): TopicConfigSerializeWrapper;
}

/** MessageQueue as fastjson writes it (keys of TopicStatsTable.offsetTable). */
export interface MessageQueueKey {
  brokerName: string;
  queueId: number;
  topic: string;
}

/**
 * Parses the `attributes` header of UPDATE_AND_CREATE_TOPIC: comma-separated `+key=value` (set) and `-key` (remove)
 * applied to `current`. Undefined when an item is malformed.
 */
export function applyTopicAttributes(
  current: Record<string, string>,
  text: string | undefined,
): Record<string, string> | undefined {
  const out = { ...current };
  if (text === undefined || text.trim() === '') return out;
  for (const raw of text.split(',')) {
    const item = raw.trim();
    if (item === '') continue;
    if (item.startsWith('+')) {
      const eq = item.indexOf('=');
      if (eq <= 1) return undefined;
      out[item.slice(1, eq)] = item.slice(eq + 1);
    } else if (item.startsWith('-') && item.length > 1) {
      delete out[item.slice(1)];
    } else {
      return undefined;
    }
  }
  return out;
}

/**
 * UPDATE_AND_CREATE_TOPIC (17), DELETE_TOPIC_IN_BROKER (215, removes the topic's data and offsets),
 * GET_ALL_TOPIC_CONFIG (21) and GET_TOPIC_STATS_INFO (202).
 */
export function createTopicAdminHandlers(ctx: BrokerContext, deps: TopicAdminDeps): HandlerTable {
  const fail = (request: RemotingCommand, code: number, remark: string) => createResponse(request, code, { remark });

  const updateAndCreate: RequestHandler = async (request) => {
    const h = CreateTopicRequestHeader.decode(request.extFields);
    const problem = topicNameProblem(h.topic);
    if (problem) return fail(request, ResponseCode.INVALID_PARAMETER, problem);
    if (isSystemTopic(h.topic)) {
      return fail(request, ResponseCode.SYSTEM_ERROR, `The topic[${h.topic}] is conflict with system topic.`);
    }
    if (h.topic === ctx.config.brokerClusterName) {
      return fail(
        request,
        ResponseCode.SYSTEM_ERROR,
        `The specified topic[${h.topic}] is conflict with the cluster name.`,
      );
    }
    if (h.readQueueNums < 0 || h.writeQueueNums < 0 || h.readQueueNums > 1024 || h.writeQueueNums > 1024) {
      return fail(request, ResponseCode.INVALID_PARAMETER, 'read/write queue nums must be within [0, 1024]');
    }
    if (h.perm < 0 || h.perm > 15) return fail(request, ResponseCode.INVALID_PARAMETER, `illegal perm ${h.perm}`);
    if (h.topicFilterType !== 'SINGLE_TAG' && h.topicFilterType !== 'MULTI_TAG') {
      return fail(request, ResponseCode.INVALID_PARAMETER, `illegal topicFilterType ${h.topicFilterType}`);
    }
    const existing = ctx.topics.get(h.topic);
    const attributes = applyTopicAttributes(existing?.attributes ?? {}, h.attributes);
    if (!attributes) return fail(request, ResponseCode.INVALID_PARAMETER, `illegal attributes ${h.attributes}`);
    const config: TopicConfig = {
      topicName: h.topic,
      readQueueNums: h.readQueueNums,
      writeQueueNums: h.writeQueueNums,
      perm: h.perm,
      topicFilterType: h.topicFilterType,
      topicSysFlag: h.topicSysFlag ?? 0,
      order: h.order,
      attributes,
    };
    await ctx.topics.upsert(config);
    ctx.logger.info({ topic: h.topic, config }, 'topic created or updated');
    return createResponse(request, ResponseCode.SUCCESS);
  };

  const deleteTopic: RequestHandler = async (request) => {
    const h = DeleteTopicRequestHeader.decode(request.extFields);
    const problem = topicNameProblem(h.topic);
    if (problem) return fail(request, ResponseCode.INVALID_PARAMETER, problem);
    if (isSystemTopic(h.topic)) {
      return fail(request, ResponseCode.SYSTEM_ERROR, `The topic[${h.topic}] is conflict with system topic.`);
    }
    await ctx.topics.delete(h.topic);
    ctx.consumerOffsets.removeTopic?.(h.topic);
    const removed = await ctx.store.deleteTopics([h.topic]);
    ctx.logger.info({ topic: h.topic, removedQueues: removed }, 'topic deleted');
    return createResponse(request, ResponseCode.SUCCESS);
  };

  const getAllTopicConfig: RequestHandler = (request) =>
    createResponse(request, ResponseCode.SUCCESS, { body: stringifyJsonBuffer(deps.wrapper()) });

  const getTopicStats: RequestHandler = async (request) => {
    const h = GetTopicStatsInfoRequestHeader.decode(request.extFields);
    const config = ctx.topics.get(h.topic);
    if (!config) return fail(request, ResponseCode.TOPIC_NOT_EXIST, `topic[${h.topic}] not exist`);
    const offsetTable = new Map<
      MessageQueueKey,
      { minOffset: number; maxOffset: number; lastUpdateTimestamp: number }
    >();
    for (let queueId = 0; queueId < config.writeQueueNums; queueId++) {
      const minOffset = Math.max(0, ctx.store.getMinOffsetInQueue(h.topic, queueId));
      const maxOffset = Math.max(0, ctx.store.getMaxOffsetInQueue(h.topic, queueId));
      const lastUpdateTimestamp = maxOffset > 0 ? await storeTimeAt(ctx, h.topic, queueId, maxOffset - 1) : 0;
      offsetTable.set(
        { brokerName: ctx.config.brokerName, queueId, topic: h.topic },
        { lastUpdateTimestamp, maxOffset, minOffset },
      );
    }
    const body = stringifyJsonBuffer({ offsetTable }, { fastjson: true });
    return createResponse(request, ResponseCode.SUCCESS, { body });
  };

  return new Map([
    [RequestCode.UPDATE_AND_CREATE_TOPIC, updateAndCreate],
    [RequestCode.DELETE_TOPIC_IN_BROKER, deleteTopic],
    [RequestCode.GET_ALL_TOPIC_CONFIG, getAllTopicConfig],
    [RequestCode.GET_TOPIC_STATS_INFO, getTopicStats],
  ]);
}

/** Store time of the message at `offset` in a queue, 0 when it cannot be read. */
async function storeTimeAt(ctx: BrokerContext, topic: string, queueId: number, offset: number): Promise<number> {
  const all = { isMatchedByConsumeQueue: () => true };
  const result = await ctx.store.getMessage('', topic, queueId, offset, 1, 1, all);
  const record = result.messages[0];
  if (!record) return 0;
  try {
    return decodeRecord(record).storeTimestamp;
  } catch {
    return 0;
  }
}
