/** Client management processors: HEART_BEAT, UNREGISTER_CLIENT, GET_CONSUMER_LIST_BY_GROUP (reference §3.6, §4.2). */
import { ProtocolError, RocketMQError } from '../../common/errors.js';
import { compileSql92, ExpressionType } from '../../filter/message-filter.js';
import { createResponse, type RemotingCommand } from '../../protocol/command.js';
import { parseJson } from '../../protocol/fastjson.js';
import { GetConsumerListByGroupRequestHeader, UnregisterClientRequestHeader } from '../../protocol/headers/client.js';
import { RequestCode } from '../../protocol/request-code.js';
import { ResponseCode } from '../../protocol/response-code.js';
import type { RequestContext, RequestHandler } from '../../transport/dispatcher.js';
import type { ClientChannel } from '../client-channel.js';
import type { ConsumerGroupMode } from '../consumer-manager.js';
import type { HandlerTable, SubscriptionData } from '../context.js';
import { type ClientParts, PERM_READ, PERM_WRITE, RETRY_TOPIC_PREFIX } from './client-parts.js';

/** One consumer group entry of a HeartbeatData body. */
export interface ConsumerData extends ConsumerGroupMode {
  groupName: string;
  subscriptionDataSet: SubscriptionData[];
  unitMode: boolean;
}

/** HeartbeatData (HEART_BEAT body), normalised. */
export interface HeartbeatData {
  clientID: string;
  consumerDataSet: ConsumerData[];
  producerDataSet: { groupName: string }[];
  heartbeatFingerprint: number;
  withoutSub: boolean;
}

function malformed(what: string): ProtocolError {
  return new ProtocolError('BODY_MALFORMED', `HeartbeatData: ${what}`);
}

function str(value: unknown, fallback: string): string {
  return typeof value === 'string' ? value : fallback;
}

function num(value: unknown, fallback: number): number {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value !== '' && Number.isFinite(Number(value))) return Number(value);
  return fallback;
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function subscriptionFromJson(json: unknown): SubscriptionData {
  if (typeof json !== 'object' || json === null) throw malformed('a subscriptionData is not an object');
  const s = json as Record<string, unknown>;
  if (typeof s.topic !== 'string' || s.topic === '') throw malformed('a subscriptionData has no topic');
  const sub: SubscriptionData = {
    topic: s.topic,
    subString: str(s.subString, '*'),
    expressionType: str(s.expressionType, 'TAG'),
    tagsSet: list(s.tagsSet).filter((t): t is string => typeof t === 'string'),
    codeSet: list(s.codeSet)
      .map((c) => num(c, Number.NaN))
      .filter((c) => Number.isInteger(c)),
    subVersion: num(s.subVersion, 0),
  };
  if (typeof s.classFilterMode === 'boolean') sub.classFilterMode = s.classFilterMode;
  return sub;
}

/** Reads a HEART_BEAT body; throws ProtocolError BODY_MALFORMED when it is not a HeartbeatData. */
export function parseHeartbeatData(body: Buffer | undefined): HeartbeatData {
  if (body === undefined || body.length === 0) throw malformed('empty body');
  const json = parseJson(body);
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw malformed('not an object');
  const h = json as Record<string, unknown>;
  if (typeof h.clientID !== 'string' || h.clientID === '') throw malformed('no clientID');
  const consumerDataSet = list(h.consumerDataSet).map((entry): ConsumerData => {
    if (typeof entry !== 'object' || entry === null) throw malformed('a consumerData is not an object');
    const c = entry as Record<string, unknown>;
    if (typeof c.groupName !== 'string' || c.groupName === '') throw malformed('a consumerData has no groupName');
    return {
      groupName: c.groupName,
      consumeType: str(c.consumeType, 'CONSUME_PASSIVELY'),
      messageModel: str(c.messageModel, 'CLUSTERING'),
      consumeFromWhere: str(c.consumeFromWhere, 'CONSUME_FROM_LAST_OFFSET'),
      subscriptionDataSet: list(c.subscriptionDataSet).map(subscriptionFromJson),
      unitMode: c.unitMode === true,
    };
  });
  const producerDataSet = list(h.producerDataSet).map((entry) => {
    const groupName = (entry as { groupName?: unknown } | null)?.groupName;
    if (typeof groupName !== 'string' || groupName === '') throw malformed('a producerData has no groupName');
    return { groupName };
  });
  return {
    clientID: h.clientID,
    consumerDataSet,
    producerDataSet,
    heartbeatFingerprint: num(h.heartbeatFingerprint, 0),
    withoutSub: h.withoutSub === true || h.isWithoutSub === true,
  };
}

function channelOf(parts: ClientParts, clientId: string, request: RemotingCommand, ctx: RequestContext): ClientChannel {
  return {
    clientId,
    connection: ctx.connection,
    clientAddr: ctx.remoteAddress,
    language: request.language,
    version: request.version,
    lastUpdateTimestamp: parts.now(),
  };
}

/** Creates `%RETRY%<group>` (retryQueueNums queues, perm RW) when the group has a config and the topic is missing. */
async function ensureRetryTopic(parts: ClientParts, group: string): Promise<boolean> {
  const groupConfig = await parts.subscriptionGroups.getOrCreate(group);
  if (groupConfig === undefined) return false;
  const retryTopic = `${RETRY_TOPIC_PREFIX}${group}`;
  if (parts.topics.get(retryTopic) === undefined) {
    await parts.topics.getOrCreateInternal(retryTopic, Math.max(1, groupConfig.retryQueueNums), PERM_READ | PERM_WRITE);
  }
  return true;
}

function heartbeat(parts: ClientParts): RequestHandler {
  return async (request, ctx) => {
    const data = parseHeartbeatData(request.body);
    const channel = channelOf(parts, data.clientID, request, ctx);
    let subChanged = data.heartbeatFingerprint === 0;
    for (const consumer of data.consumerDataSet) {
      const hasConfig = await ensureRetryTopic(parts, consumer.groupName);
      if (!hasConfig) {
        ctx.logger.warn(
          { group: consumer.groupName },
          'heartbeat of a consumer group without subscription group config',
        );
      }
      if (data.withoutSub) {
        const known = parts.consumers.touch(
          consumer.groupName,
          data.clientID,
          ctx.connection,
          data.heartbeatFingerprint,
          channel.lastUpdateTimestamp,
        );
        if (!known) subChanged = true;
        continue;
      }
      if (parts.config.enablePropertyFilter) compileSql92Subscriptions(parts, consumer);
      const change = parts.consumers.register(
        consumer.groupName,
        channel,
        consumer,
        consumer.subscriptionDataSet,
        data.heartbeatFingerprint,
      );
      if (change.membersChanged || change.subscriptionsChanged) subChanged = true;
    }
    for (const producer of data.producerDataSet) parts.producers.register(producer.groupName, channel);
    return createResponse(request, ResponseCode.SUCCESS, {
      extFields: { IS_SUPPORT_HEART_BEAT_V2: 'true', IS_SUB_CHANGE: String(subChanged) },
    });
  };
}

/**
 * Compiles a heartbeat's SQL92 subscriptions into the filter cache, as Java's ConsumerFilterManager registers them.
 * A bad expression is logged and otherwise ignored here: the subscription is still registered, and pulls relying
 * on it are answered FILTER_DATA_NOT_EXIST.
 */
function compileSql92Subscriptions(parts: ClientParts, consumer: ConsumerData): void {
  for (const sub of consumer.subscriptionDataSet) {
    if (sub.expressionType !== ExpressionType.SQL92) continue;
    try {
      compileSql92(sub.subString);
    } catch (err) {
      parts.logger.warn(
        { group: consumer.groupName, topic: sub.topic, expression: sub.subString, err },
        'heartbeat: SQL92 subscription does not compile; ignored for filtering',
      );
    }
  }
}

function unregisterClient(parts: ClientParts): RequestHandler {
  return (request) => {
    const header = UnregisterClientRequestHeader.decode(request.extFields);
    if (header.producerGroup) parts.producers.unregister(header.producerGroup, header.clientID);
    if (header.consumerGroup) parts.consumers.unregister(header.consumerGroup, header.clientID);
    return createResponse(request, ResponseCode.SUCCESS);
  };
}

function consumerListByGroup(parts: ClientParts): RequestHandler {
  return (request) => {
    const { consumerGroup } = GetConsumerListByGroupRequestHeader.decode(request.extFields);
    const consumerIdList = parts.consumers.clientIds(consumerGroup);
    if (consumerIdList.length === 0) {
      throw new RocketMQError('SYSTEM_ERROR', `no consumer for this group, ${consumerGroup}`);
    }
    return createResponse(request, ResponseCode.SUCCESS, { body: Buffer.from(JSON.stringify({ consumerIdList })) });
  };
}

/** HEART_BEAT, UNREGISTER_CLIENT and GET_CONSUMER_LIST_BY_GROUP handlers. */
export function clientHandlers(parts: ClientParts): HandlerTable {
  return new Map<number, RequestHandler>([
    [RequestCode.HEART_BEAT, heartbeat(parts)],
    [RequestCode.UNREGISTER_CLIENT, unregisterClient(parts)],
    [RequestCode.GET_CONSUMER_LIST_BY_GROUP, consumerListByGroup(parts)],
  ]);
}
