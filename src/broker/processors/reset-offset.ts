/**
 * Offset reset and clone processors (reference §3.6, §4.6, §4.8, §6.9): INVOKE_BROKER_TO_RESET_OFFSET (222), which
 * also pushes RESET_CONSUMER_CLIENT_OFFSET (220) to the group's online clients, and CLONE_GROUP_OFFSET (314).
 */
import { RocketMQError } from '../../common/errors.js';
import { createRequest, createResponse } from '../../protocol/command.js';
import { stringifyJsonBuffer } from '../../protocol/fastjson.js';
import { CloneGroupOffsetRequestHeader, ResetOffsetRequestHeader } from '../../protocol/headers/admin.js';
import type { MessageQueue } from '../../protocol/headers/lock.js';
import { RequestCode } from '../../protocol/request-code.js';
import { ResponseCode } from '../../protocol/response-code.js';
import type { RequestHandler } from '../../transport/dispatcher.js';
import type { ConsumerManager } from '../consumer-manager.js';
import type { ConsumerOffsetManager } from '../consumer-offset-manager.js';
import type { BrokerContext, HandlerTable } from '../context.js';

/** What the reset/clone processors work on besides the broker context. */
export interface ResetOffsetParts {
  ctx: BrokerContext;
  consumers: Pick<ConsumerManager, 'group' | 'subscriptionTable' | 'findSubscription'>;
  consumerOffsets: Pick<ConsumerOffsetManager, 'query' | 'commit' | 'offsetsOf' | 'topicsOf'>;
}

/**
 * A ResetOffsetBody, `{"offsetTable":{<MessageQueue>:offset}}`, with MessageQueue objects as raw JSON keys as
 * fastjson writes them (reference §4.8).
 */
export function encodeResetOffsetBody(offsets: ReadonlyArray<{ messageQueue: MessageQueue; offset: number }>): Buffer {
  const offsetTable = new Map<MessageQueue, number>();
  for (const { messageQueue, offset } of offsets) offsetTable.set(messageQueue, offset);
  return stringifyJsonBuffer({ offsetTable }, { fastjson: true });
}

function resetOffset(parts: ResetOffsetParts): RequestHandler {
  return async (request, rc) => {
    const { ctx, consumers, consumerOffsets } = parts;
    const h = ResetOffsetRequestHeader.decode(request.extFields);
    const topic = ctx.topics.get(h.topic);
    if (topic === undefined) {
      throw new RocketMQError(
        'SYSTEM_ERROR',
        `[reset-offset] reset offset failed, no topic in this broker. topic=${h.topic}`,
      );
    }
    const online = consumers.group(h.group);
    const broadcasting = online?.messageModel === 'BROADCASTING';
    if (online === undefined && consumerOffsets.offsetsOf(h.group, h.topic).size === 0) {
      throw new RocketMQError('SYSTEM_ERROR', `THe consumer group <${h.group}> not exist`);
    }
    const queueIds: number[] = [];
    if (h.queueId !== undefined && h.queueId >= 0) {
      if (h.queueId >= topic.writeQueueNums) {
        throw new RocketMQError('INVALID_PARAMETER', `queueId ${h.queueId} is out of range of ${h.topic}`);
      }
      queueIds.push(h.queueId);
    } else {
      for (let q = 0; q < topic.writeQueueNums; q++) queueIds.push(q);
    }

    const offsets: { messageQueue: MessageQueue; offset: number }[] = [];
    for (const queueId of queueIds) {
      let target: number;
      if (queueIds.length === 1 && h.queueId !== undefined && h.offset !== undefined && h.offset >= 0) {
        target = h.offset;
      } else if (h.timestamp === -1) {
        target = ctx.store.getMaxOffsetInQueue(h.topic, queueId);
      } else {
        target = await ctx.store.getOffsetInQueueByTime(h.topic, queueId, h.timestamp);
      }
      if (target < 0) target = 0;
      const current = consumerOffsets.query(h.group, h.topic, queueId);
      // not forced: offsets only move backwards (re-consume), never skip messages
      const offset = h.isForce || current < 0 || target < current ? target : current;
      if (!broadcasting) consumerOffsets.commit(rc.remoteAddress, h.group, h.topic, queueId, offset);
      offsets.push({ messageQueue: { topic: h.topic, brokerName: ctx.config.brokerName, queueId }, offset });
    }

    const body = encodeResetOffsetBody(offsets);
    for (const member of online?.members.values() ?? []) {
      const push = createRequest(RequestCode.RESET_CONSUMER_CLIENT_OFFSET, {
        extFields: ResetOffsetRequestHeader.encode({
          topic: h.topic,
          group: h.group,
          timestamp: h.timestamp,
          isForce: h.isForce,
        }),
        body,
        oneway: true,
      });
      ctx.server.invokeOneway(member.connection, push).catch((err: unknown) => {
        ctx.logger.warn({ err, group: h.group, clientId: member.clientId }, 'RESET_CONSUMER_CLIENT_OFFSET not sent');
      });
    }
    ctx.logger.info(
      {
        group: h.group,
        topic: h.topic,
        timestamp: h.timestamp,
        isForce: h.isForce,
        clients: online?.members.size ?? 0,
      },
      'consumer offsets reset',
    );
    return createResponse(request, ResponseCode.SUCCESS, { body });
  };
}

function cloneGroupOffset(parts: ResetOffsetParts): RequestHandler {
  return (request, rc) => {
    const { ctx, consumers, consumerOffsets } = parts;
    const h = CloneGroupOffsetRequestHeader.decode(request.extFields);
    const topicNames = h.topic ? [h.topic] : consumerOffsets.topicsOf(h.srcGroup);
    for (const topic of topicNames) {
      if (ctx.topics.get(topic) === undefined) {
        ctx.logger.warn({ topic }, '[cloneGroupOffset] topic config not exist');
        continue;
      }
      if (
        h.offline !== true &&
        consumers.subscriptionTable(h.srcGroup).size > 0 &&
        consumers.findSubscription(h.srcGroup, topic) === undefined
      ) {
        ctx.logger.warn({ topic, group: h.srcGroup }, '[cloneGroupOffset] the consumer group does not subscribe topic');
        continue;
      }
      for (const [queueId, offset] of consumerOffsets.offsetsOf(h.srcGroup, topic)) {
        consumerOffsets.commit(rc.remoteAddress, h.destGroup, topic, queueId, offset);
      }
    }
    return createResponse(request, ResponseCode.SUCCESS);
  };
}

/** INVOKE_BROKER_TO_RESET_OFFSET and CLONE_GROUP_OFFSET handlers. */
export function resetOffsetHandlers(parts: ResetOffsetParts): HandlerTable {
  return new Map<number, RequestHandler>([
    [RequestCode.INVOKE_BROKER_TO_RESET_OFFSET, resetOffset(parts)],
    [RequestCode.CLONE_GROUP_OFFSET, cloneGroupOffset(parts)],
  ]);
}
