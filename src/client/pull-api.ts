/**
 * The broker calls a consumer makes (reference §3.2, §3.3, §3.6, §4.6, §6.8): PULL_MESSAGE with long polling, offset
 * queries and commits, the group's member list, queue locks and send-back. Each is one function over a
 * {@link BrokerInvoker} (the ClientInstance), so they can be used and tested without a consumer around them.
 */
import { errorFromResponse } from '../common/errors.js';
import { createRequest, type RemotingCommand } from '../protocol/command.js';
import { parseJson, stringifyJsonBuffer } from '../protocol/fastjson.js';
import { GetConsumerListByGroupRequestHeader } from '../protocol/headers/client.js';
import { LockBatchMqRequestHeader, type MessageQueue, UnlockBatchMqRequestHeader } from '../protocol/headers/lock.js';
import {
  GetMaxOffsetRequestHeader,
  GetMinOffsetRequestHeader,
  OffsetResponseHeader,
  QueryConsumerOffsetRequestHeader,
  SearchOffsetRequestHeader,
  UpdateConsumerOffsetRequestHeader,
} from '../protocol/headers/offsets.js';
import { PullMessageRequestHeader, PullMessageResponseHeader } from '../protocol/headers/pull.js';
import { ConsumerSendMsgBackRequestHeader } from '../protocol/headers/retry.js';
import { SendMessageRequestHeader } from '../protocol/headers/send.js';
import { type MessageExt, toMessageExt } from '../protocol/message/message.js';
import { encodeProperties, MessageConst } from '../protocol/message/properties.js';
import { decodeRecord } from '../protocol/message/record.js';
import { buildPullSysFlag } from '../protocol/message/sysflag.js';
import { RequestCode } from '../protocol/request-code.js';
import { ResponseCode } from '../protocol/response-code.js';

/** The part of the ClientInstance these calls use. */
export interface BrokerInvoker {
  invokeBroker(brokerAddr: string, request: RemotingCommand, timeoutMs?: number): Promise<RemotingCommand>;
  invokeBrokerOneway(brokerAddr: string, request: RemotingCommand): Promise<void>;
}

/** Long-poll hold time the push consumer asks for (reference §6.8). */
export const PULL_SUSPEND_TIMEOUT_MS = 15_000;
/** RPC timeout of a long-polling pull. */
export const PULL_TIMEOUT_MS = 30_000;

/** A subscription as sent with a pull: the expression and its version. */
export interface PullSubscription {
  subString: string;
  /** `TAG` or `SQL92`. */
  expressionType: string;
  subVersion: number;
  /** Tags for the client-side re-check (empty = all, or SQL92). */
  tagsSet: readonly string[];
}

/** One pull. */
export interface PullParams {
  consumerGroup: string;
  mq: MessageQueue;
  queueOffset: number;
  maxMsgNums: number;
  subscription: PullSubscription;
  /** Piggy-backed commit: sent with the COMMIT_OFFSET flag when > 0. */
  commitOffset?: number;
  /** Long-poll hold time; 0 disables suspension. Default {@link PULL_SUSPEND_TIMEOUT_MS}. */
  suspendTimeoutMillis?: number;
  /** Send the expression with the pull (SUBSCRIPTION flag). Default true. */
  postSubscription?: boolean;
  /** Use LITE_PULL_MESSAGE (361) and the lite-pull flag. */
  litePull?: boolean;
  /** RPC timeout. Default {@link PULL_TIMEOUT_MS}. */
  timeoutMs?: number;
}

/** How a pull came back: messages, nothing new yet, nothing matching the filter, or an offset out of range. */
export type PullStatus = 'FOUND' | 'NO_NEW_MSG' | 'NO_MATCHED_MSG' | 'OFFSET_ILLEGAL';

/** The outcome of one pull. `messages` is empty unless FOUND (and may be empty after client-side filtering). */
export interface PullResult {
  status: PullStatus;
  nextBeginOffset: number;
  minOffset: number;
  maxOffset: number;
  suggestWhichBrokerId: number;
  messages: MessageExt[];
}

/** Builds the PULL_MESSAGE (or LITE_PULL_MESSAGE) request. */
export function buildPullRequest(p: PullParams): RemotingCommand {
  const suspendTimeoutMillis = p.suspendTimeoutMillis ?? PULL_SUSPEND_TIMEOUT_MS;
  const commitOffset = p.commitOffset ?? 0;
  const postSubscription = p.postSubscription ?? true;
  const sysFlag = buildPullSysFlag({
    commitOffset: commitOffset > 0,
    suspend: suspendTimeoutMillis > 0,
    subscription: postSubscription,
    litePull: p.litePull === true,
  });
  const extFields = PullMessageRequestHeader.encode({
    consumerGroup: p.consumerGroup,
    topic: p.mq.topic,
    queueId: p.mq.queueId,
    queueOffset: p.queueOffset,
    maxMsgNums: p.maxMsgNums,
    sysFlag,
    commitOffset,
    suspendTimeoutMillis,
    subscription: postSubscription ? p.subscription.subString : undefined,
    subVersion: p.subscription.subVersion,
    expressionType: postSubscription ? p.subscription.expressionType : undefined,
    bname: p.mq.brokerName,
  });
  return createRequest(p.litePull ? RequestCode.LITE_PULL_MESSAGE : RequestCode.PULL_MESSAGE, { extFields });
}

const STATUS_BY_CODE = new Map<number, PullStatus>([
  [ResponseCode.SUCCESS, 'FOUND'],
  [ResponseCode.PULL_NOT_FOUND, 'NO_NEW_MSG'],
  [ResponseCode.PULL_RETRY_IMMEDIATELY, 'NO_MATCHED_MSG'],
  [ResponseCode.PULL_OFFSET_MOVED, 'OFFSET_ILLEGAL'],
]);

/**
 * Reads a pull response: decodes the records, drops messages whose tag the subscription does not list (the broker
 * filters by tag hash, which may collide), and stamps MIN_OFFSET / MAX_OFFSET on each message as Java does.
 * Any other response code becomes a RocketMQError.
 */
export function parsePullResponse(response: RemotingCommand, subscription: PullSubscription): PullResult {
  const status = STATUS_BY_CODE.get(response.code);
  if (status === undefined) throw errorFromResponse(response.code, response.remark);
  const h = PullMessageResponseHeader.decode(response.extFields);
  const messages: MessageExt[] = [];
  const body = response.body;
  if (status === 'FOUND' && body !== undefined && body.length > 0) {
    const tags = subscription.expressionType !== 'SQL92' && subscription.tagsSet.length > 0 ? subscription.tagsSet : [];
    const min = String(h.minOffset);
    const max = String(h.maxOffset);
    // Record by record rather than decodeRecords(): no intermediate array, no per-record copy without `size`.
    for (let at = 0; at < body.length;) {
      const rec = decodeRecord(body, at);
      at += rec.size;
      const m = toMessageExt(rec);
      if (tags.length > 0 && (m.tags === undefined || !tags.includes(m.tags))) continue;
      m.stampPullOffsets(min, max);
      messages.push(m);
    }
  }
  return {
    status,
    nextBeginOffset: h.nextBeginOffset,
    minOffset: h.minOffset,
    maxOffset: h.maxOffset,
    suggestWhichBrokerId: h.suggestWhichBrokerId,
    messages,
  };
}

/** Pulls once from `brokerAddr`. Long polling: the broker may hold the request up to `suspendTimeoutMillis`. */
export async function pullMessage(client: BrokerInvoker, brokerAddr: string, p: PullParams): Promise<PullResult> {
  const response = await client.invokeBroker(brokerAddr, buildPullRequest(p), p.timeoutMs ?? PULL_TIMEOUT_MS);
  return parsePullResponse(response, p.subscription);
}

function expectSuccess(response: RemotingCommand): RemotingCommand {
  if (response.code !== ResponseCode.SUCCESS) throw errorFromResponse(response.code, response.remark);
  return response;
}

/**
 * QUERY_CONSUMER_OFFSET: the group's committed offset of `mq`, or -1 when the broker has none (QUERY_NOT_FOUND).
 * Other failures throw.
 */
export async function queryConsumerOffset(
  client: BrokerInvoker,
  brokerAddr: string,
  group: string,
  mq: MessageQueue,
  timeoutMs?: number,
): Promise<number> {
  const extFields = QueryConsumerOffsetRequestHeader.encode({
    consumerGroup: group,
    topic: mq.topic,
    queueId: mq.queueId,
    bname: mq.brokerName,
  });
  const response = await client.invokeBroker(
    brokerAddr,
    createRequest(RequestCode.QUERY_CONSUMER_OFFSET, { extFields }),
    timeoutMs,
  );
  if (response.code === ResponseCode.QUERY_NOT_FOUND) return -1;
  return OffsetResponseHeader.decode(expectSuccess(response).extFields).offset;
}

/** UPDATE_CONSUMER_OFFSET, one-way as the Java client sends it (or awaited when `oneway` is false). */
export async function updateConsumerOffset(
  client: BrokerInvoker,
  brokerAddr: string,
  group: string,
  mq: MessageQueue,
  offset: number,
  oneway = true,
): Promise<void> {
  const extFields = UpdateConsumerOffsetRequestHeader.encode({
    consumerGroup: group,
    topic: mq.topic,
    queueId: mq.queueId,
    commitOffset: offset,
    bname: mq.brokerName,
  });
  if (oneway) {
    await client.invokeBrokerOneway(
      brokerAddr,
      createRequest(RequestCode.UPDATE_CONSUMER_OFFSET, { extFields, oneway: true }),
    );
  } else {
    expectSuccess(
      await client.invokeBroker(brokerAddr, createRequest(RequestCode.UPDATE_CONSUMER_OFFSET, { extFields })),
    );
  }
}

/** GET_MAX_OFFSET: the next offset to be written in `mq`. */
export async function getMaxOffset(client: BrokerInvoker, brokerAddr: string, mq: MessageQueue): Promise<number> {
  const extFields = GetMaxOffsetRequestHeader.encode({ topic: mq.topic, queueId: mq.queueId, bname: mq.brokerName });
  const response = await client.invokeBroker(brokerAddr, createRequest(RequestCode.GET_MAX_OFFSET, { extFields }));
  return OffsetResponseHeader.decode(expectSuccess(response).extFields).offset;
}

/** GET_MIN_OFFSET: the oldest offset still stored in `mq`. */
export async function getMinOffset(client: BrokerInvoker, brokerAddr: string, mq: MessageQueue): Promise<number> {
  const extFields = GetMinOffsetRequestHeader.encode({ topic: mq.topic, queueId: mq.queueId, bname: mq.brokerName });
  const response = await client.invokeBroker(brokerAddr, createRequest(RequestCode.GET_MIN_OFFSET, { extFields }));
  return OffsetResponseHeader.decode(expectSuccess(response).extFields).offset;
}

/** SEARCH_OFFSET_BY_TIMESTAMP: the offset of the first message stored at or after `timestamp` (ms). */
export async function searchOffset(
  client: BrokerInvoker,
  brokerAddr: string,
  mq: MessageQueue,
  timestamp: number,
): Promise<number> {
  const extFields = SearchOffsetRequestHeader.encode({
    topic: mq.topic,
    queueId: mq.queueId,
    timestamp,
    bname: mq.brokerName,
  });
  const response = await client.invokeBroker(
    brokerAddr,
    createRequest(RequestCode.SEARCH_OFFSET_BY_TIMESTAMP, { extFields }),
  );
  return OffsetResponseHeader.decode(expectSuccess(response).extFields).offset;
}

/** GET_CONSUMER_LIST_BY_GROUP: the client ids of the group's live members, as this broker knows them. */
export async function getConsumerIdList(client: BrokerInvoker, brokerAddr: string, group: string): Promise<string[]> {
  const extFields = GetConsumerListByGroupRequestHeader.encode({ consumerGroup: group });
  const response = expectSuccess(
    await client.invokeBroker(brokerAddr, createRequest(RequestCode.GET_CONSUMER_LIST_BY_GROUP, { extFields })),
  );
  if (response.body === undefined || response.body.length === 0) return [];
  const body = parseJson(response.body) as { consumerIdList?: unknown } | null;
  const list = body?.consumerIdList;
  return Array.isArray(list) ? list.filter((id): id is string => typeof id === 'string') : [];
}

function queuesOf(value: unknown): MessageQueue[] {
  if (!Array.isArray(value)) return [];
  return value
    .filter((q): q is MessageQueue => typeof q === 'object' && q !== null && typeof q.topic === 'string')
    .map((q) => ({ topic: q.topic, brokerName: String(q.brokerName), queueId: Number(q.queueId) }));
}

/** LOCK_BATCH_MQ on a master: the queues actually locked for `clientId`. */
export async function lockBatchMq(
  client: BrokerInvoker,
  brokerAddr: string,
  group: string,
  clientId: string,
  mqs: readonly MessageQueue[],
  timeoutMs?: number,
): Promise<MessageQueue[]> {
  const request = createRequest(RequestCode.LOCK_BATCH_MQ, {
    extFields: LockBatchMqRequestHeader.encode({}),
    body: stringifyJsonBuffer({ consumerGroup: group, clientId, mqSet: mqs }),
  });
  const response = expectSuccess(await client.invokeBroker(brokerAddr, request, timeoutMs));
  if (response.body === undefined || response.body.length === 0) return [];
  return queuesOf((parseJson(response.body) as { lockOKMQSet?: unknown } | null)?.lockOKMQSet);
}

/** UNLOCK_BATCH_MQ: releases the queues' locks held by `clientId`. */
export async function unlockBatchMq(
  client: BrokerInvoker,
  brokerAddr: string,
  group: string,
  clientId: string,
  mqs: readonly MessageQueue[],
  timeoutMs?: number,
): Promise<void> {
  const request = createRequest(RequestCode.UNLOCK_BATCH_MQ, {
    extFields: UnlockBatchMqRequestHeader.encode({}),
    body: stringifyJsonBuffer({ consumerGroup: group, clientId, mqSet: mqs }),
  });
  expectSuccess(await client.invokeBroker(brokerAddr, request, timeoutMs));
}

/**
 * CONSUMER_SEND_MSG_BACK: hands a failed message back to the broker, which re-stores it in `%RETRY%<group>` with a
 * delay (or in the DLQ after `maxReconsumeTimes`). `originTopic` is the message's real topic.
 */
export async function sendMessageBack(
  client: BrokerInvoker,
  brokerAddr: string,
  group: string,
  msg: MessageExt,
  originTopic: string,
  maxReconsumeTimes: number,
  delayLevel = 0,
): Promise<void> {
  const extFields = ConsumerSendMsgBackRequestHeader.encode({
    offset: msg.commitLogOffset,
    group,
    delayLevel,
    originMsgId: msg.msgId,
    originTopic,
    unitMode: false,
    maxReconsumeTimes,
  });
  expectSuccess(
    await client.invokeBroker(brokerAddr, createRequest(RequestCode.CONSUMER_SEND_MSG_BACK, { extFields })),
  );
}

/** The producer group the Java client uses for its own re-publishing. */
export const CLIENT_INNER_PRODUCER_GROUP = 'CLIENT_INNER_PRODUCER';

/**
 * The fallback when send-back fails (reference §6.5): re-publishes the message (SEND_MESSAGE) to queue `queueId` of
 * `%RETRY%<group>` on `brokerAddr`, with RETRY_TOPIC, RECONSUME_TIME, MAX_RECONSUME_TIMES, ORIGIN_MESSAGE_ID and
 * `DELAY = 3 + reconsumeTimes`, so the broker applies the same delay and DLQ rules.
 */
export async function republishToRetryTopic(
  client: BrokerInvoker,
  brokerAddr: string,
  queueId: number,
  group: string,
  msg: MessageExt,
  originTopic: string,
  maxReconsumeTimes: number,
): Promise<void> {
  const properties: Record<string, string> = { ...msg.properties };
  delete properties[MessageConst.MIN_OFFSET];
  delete properties[MessageConst.MAX_OFFSET];
  delete properties[MessageConst.DUP_INFO];
  properties[MessageConst.ORIGIN_MESSAGE_ID] = msg.properties[MessageConst.ORIGIN_MESSAGE_ID] ?? msg.msgId;
  properties[MessageConst.RETRY_TOPIC] = originTopic;
  properties[MessageConst.RECONSUME_TIME] = String(msg.reconsumeTimes + 1);
  properties[MessageConst.MAX_RECONSUME_TIMES] = String(maxReconsumeTimes);
  properties[MessageConst.DELAY] = String(Math.min(3 + msg.reconsumeTimes, 18));
  const extFields = SendMessageRequestHeader.encode({
    producerGroup: CLIENT_INNER_PRODUCER_GROUP,
    topic: `%RETRY%${group}`,
    defaultTopic: 'TBW102',
    defaultTopicQueueNums: 4,
    queueId,
    sysFlag: 0,
    bornTimestamp: Date.now(),
    flag: msg.flag,
    properties: encodeProperties(properties),
    reconsumeTimes: msg.reconsumeTimes + 1,
    maxReconsumeTimes,
  });
  const request = createRequest(RequestCode.SEND_MESSAGE, { extFields, body: msg.body });
  expectSuccess(await client.invokeBroker(brokerAddr, request));
}
