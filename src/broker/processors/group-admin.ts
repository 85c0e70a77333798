/**
 * Group admin processors (reference §2.1 broker admin, §4.6): subscription group CRUD, consumer and producer
 * connection lists, consume stats.
 */
import { RocketMQError } from '../../common/errors.js';
import { createResponse } from '../../protocol/command.js';
import { parseJson, stringifyJson } from '../../protocol/fastjson.js';
import { DeleteSubscriptionGroupRequestHeader, GetConsumeStatsRequestHeader } from '../../protocol/headers/admin.js';
import {
  GetConsumerConnectionListRequestHeader,
  GetProducerConnectionListRequestHeader,
} from '../../protocol/headers/client.js';
import { decodeRecord } from '../../protocol/message/record.js';
import { RequestCode } from '../../protocol/request-code.js';
import { ResponseCode } from '../../protocol/response-code.js';
import type { RequestHandler } from '../../transport/dispatcher.js';
import { connectionJson } from '../client-channel.js';
import type { HandlerTable } from '../context.js';
import { subscriptionGroupConfigFromJson } from '../subscription-group-manager.js';
import type { ClientParts } from './client-parts.js';

/** Bytes read to look at one record. */
const ONE_RECORD_BYTES = 4 * 1024 * 1024;

function updateAndCreateSubscriptionGroup(parts: ClientParts): RequestHandler {
  return async (request) => {
    if (request.body === undefined || request.body.length === 0) {
      throw new RocketMQError('INVALID_PARAMETER', 'the request has no SubscriptionGroupConfig body');
    }
    const config = subscriptionGroupConfigFromJson(parseJson(request.body));
    if (config === undefined) {
      throw new RocketMQError('INVALID_PARAMETER', 'the SubscriptionGroupConfig body has no groupName');
    }
    await parts.subscriptionGroups.upsert(config);
    return createResponse(request, ResponseCode.SUCCESS);
  };
}

function getAllSubscriptionGroupConfig(parts: ClientParts): RequestHandler {
  return (request) =>
    createResponse(request, ResponseCode.SUCCESS, { body: Buffer.from(parts.subscriptionGroups.encode()) });
}

function deleteSubscriptionGroup(parts: ClientParts): RequestHandler {
  return async (request) => {
    const h = DeleteSubscriptionGroupRequestHeader.decode(request.extFields);
    const existed = await parts.subscriptionGroups.delete(h.groupName);
    if (!existed) parts.logger.warn({ group: h.groupName }, 'DELETE_SUBSCRIPTIONGROUP of an unknown group');
    if (h.cleanOffset === true || h.removeOffset === true) parts.consumerOffsets.removeGroup(h.groupName);
    return createResponse(request, ResponseCode.SUCCESS);
  };
}

function consumerConnectionList(parts: ClientParts): RequestHandler {
  return (request) => {
    const { consumerGroup } = GetConsumerConnectionListRequestHeader.decode(request.extFields);
    const info = parts.consumers.group(consumerGroup);
    if (info === undefined || info.members.size === 0) {
      throw new RocketMQError('CONSUMER_NOT_ONLINE', `the consumer group[${consumerGroup}] not online`);
    }
    const inconsistencies = parts.consumers.inconsistencies(consumerGroup);
    const body = {
      connectionSet: [...info.members.values()].map(connectionJson),
      consumeFromWhere: info.consumeFromWhere,
      consumeType: info.consumeType,
      messageModel: info.messageModel,
      subscriptionTable: Object.fromEntries(parts.consumers.subscriptionTable(consumerGroup)),
      // rocketmq-ts additions (Java readers ignore unknown fields): members that subscribe differently
      subscriptionConsistent: inconsistencies.length === 0,
      inconsistentSubscriptions: inconsistencies,
    };
    return createResponse(request, ResponseCode.SUCCESS, { body: Buffer.from(stringifyJson(body)) });
  };
}

function producerConnectionList(parts: ClientParts): RequestHandler {
  return (request) => {
    const { producerGroup } = GetProducerConnectionListRequestHeader.decode(request.extFields);
    const channels = parts.producers.channels(producerGroup);
    if (channels.length === 0) {
      throw new RocketMQError('SYSTEM_ERROR', `the producer group[${producerGroup}] not exist`);
    }
    const body = { connectionSet: channels.map(connectionJson) };
    return createResponse(request, ResponseCode.SUCCESS, { body: Buffer.from(stringifyJson(body)) });
  };
}

/** Store time of the message at a queue offset, or 0 when it cannot be read (Java's getMessageStoreTimeStamp). */
async function storeTimeAt(parts: ClientParts, group: string, topic: string, queueId: number, offset: number) {
  try {
    const result = await parts.store.getMessage(group, topic, queueId, offset, 1, ONE_RECORD_BYTES);
    const first = result.status === 'FOUND' ? result.messages[0] : undefined;
    return first === undefined ? 0 : decodeRecord(first).storeTimestamp;
  } catch {
    return 0;
  }
}

/** Per-queue consume progress of a group (OffsetWrapper, plus `lag`). */
interface OffsetWrapper {
  brokerOffset: number;
  consumerOffset: number;
  pullOffset: number;
  lag: number;
  lastTimestamp: number;
}

function topicsForStats(parts: ClientParts, group: string, topic?: string, topicList?: string): string[] {
  if (topic !== undefined && topic !== '') return [topic];
  if (topicList !== undefined && topicList !== '') return topicList.split(',').filter((t) => t !== '');
  return parts.consumerOffsets.topicsOf(group);
}

function consumeStats(parts: ClientParts): RequestHandler {
  return async (request) => {
    const h = GetConsumeStatsRequestHeader.decode(request.extFields);
    const group = h.consumerGroup;
    const online = parts.consumers.group(group) !== undefined;
    const offsetTable = new Map<{ brokerName: string; queueId: number; topic: string }, OffsetWrapper>();
    for (const topic of topicsForStats(parts, group, h.topic, h.topicList)) {
      const topicConfig = parts.topics.get(topic);
      if (topicConfig === undefined) continue;
      // an online group that does not subscribe the topic has no progress to show there
      if (online && parts.consumers.findSubscription(group, topic) === undefined) continue;
      for (let queueId = 0; queueId < topicConfig.writeQueueNums; queueId++) {
        const brokerOffset = Math.max(0, parts.store.getMaxOffsetInQueue(topic, queueId));
        const consumerOffset = Math.max(0, parts.consumerOffsets.query(group, topic, queueId));
        const lastTimestamp =
          consumerOffset > 0 ? await storeTimeAt(parts, group, topic, queueId, consumerOffset - 1) : 0;
        offsetTable.set(
          { brokerName: parts.config.brokerName, queueId, topic },
          {
            brokerOffset,
            consumerOffset,
            pullOffset: consumerOffset,
            lag: Math.max(0, brokerOffset - consumerOffset),
            lastTimestamp,
          },
        );
      }
    }
    const body = stringifyJson({ consumeTps: 0, offsetTable }, { fastjson: true });
    return createResponse(request, ResponseCode.SUCCESS, { body: Buffer.from(body) });
  };
}

/** Subscription group and connection admin handlers. */
export function groupAdminHandlers(parts: ClientParts): HandlerTable {
  return new Map<number, RequestHandler>([
    [RequestCode.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, updateAndCreateSubscriptionGroup(parts)],
    [RequestCode.GET_ALL_SUBSCRIPTIONGROUP_CONFIG, getAllSubscriptionGroupConfig(parts)],
    [RequestCode.DELETE_SUBSCRIPTIONGROUP, deleteSubscriptionGroup(parts)],
    [RequestCode.GET_CONSUMER_CONNECTION_LIST, consumerConnectionList(parts)],
    [RequestCode.GET_PRODUCER_CONNECTION_LIST, producerConnectionList(parts)],
    [RequestCode.GET_CONSUME_STATS, consumeStats(parts)],
  ]);
}
