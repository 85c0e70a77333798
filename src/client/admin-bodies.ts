/**
 * Parsers of the admin response bodies (reference §4.5, §4.6), tolerant of fastjson's unquoted numeric keys and of
 * MessageQueue objects used as map keys (§4.8). Each throws ProtocolError BODY_MALFORMED on a body of the wrong shape.
 */
import { ProtocolError } from '../common/errors.js';
import { parseJson } from '../protocol/fastjson.js';
import { parseMessageQueueKey } from '../protocol/headers/lock.js';
import { compareQueues } from './allocate.js';
import type { BrokerData, MessageQueue } from './route.js';

/** GET_BROKER_CLUSTER_INFO: broker groups by name, and the broker names of each cluster. */
export interface ClusterInfo {
  brokerAddrTable: Record<string, BrokerData>;
  clusterAddrTable: Record<string, string[]>;
}

/** One queue's offsets in a topic's status (GET_TOPIC_STATS_INFO). */
export interface TopicQueueStatus {
  messageQueue: MessageQueue;
  minOffset: number;
  maxOffset: number;
  lastUpdateTimestamp: number;
}

/** One queue's progress of a consumer group (GET_CONSUME_STATS). */
export interface QueueConsumeProgress {
  messageQueue: MessageQueue;
  /** The queue's max offset on the broker. */
  brokerOffset: number;
  /** The group's committed offset. */
  consumerOffset: number;
  /** Messages not consumed yet: brokerOffset − consumerOffset (never negative). */
  lag: number;
  /** Store time of the last consumed message (0 when unknown). */
  lastTimestamp: number;
}

/** One broker's ConsumeStats. */
export interface ConsumeStatsBody {
  consumeTps: number;
  queues: QueueConsumeProgress[];
}

/** One client connection of a consumer group. */
export interface ClientConnection {
  clientId: string;
  clientAddr: string;
  language: string;
  version: number;
}

/** GET_CONSUMER_CONNECTION_LIST: a consumer group's live clients and what they consume. */
export interface ConsumerConnection {
  connections: ClientConnection[];
  consumeType: string | undefined;
  messageModel: string | undefined;
  consumeFromWhere: string | undefined;
  /** Subscriptions by topic, as the broker reports them. */
  subscriptions: Record<string, { subString: string; expressionType: string; tagsSet: string[]; subVersion: number }>;
}

/** One queue of a consumer's running info (Java's ProcessQueueInfo) with its MessageQueue. */
export interface RunningQueueInfo {
  messageQueue: MessageQueue;
  /** The offset the client would commit now. */
  commitOffset: number;
  cachedMsgMinOffset: number;
  cachedMsgMaxOffset: number;
  cachedMsgCount: number;
  cachedMsgSizeInMiB: number;
  locked: boolean;
  lastLockTimestamp: number;
  dropped: boolean;
  lastPullTimestamp: number;
  lastConsumeTimestamp: number;
}

/** Consume rates of one topic as the client measures them (Java's ConsumeStatus). */
export interface TopicConsumeStatus {
  pullRT: number;
  pullTPS: number;
  consumeRT: number;
  consumeOKTPS: number;
  consumeFailedTPS: number;
  consumeFailedMsgs: number;
}

/** GET_CONSUMER_RUNNING_INFO: what one consumer client reports about itself (Java's ConsumerRunningInfo). */
export interface ConsumerRunningInfo {
  /** Settings and `PROP_*` values, as strings. */
  properties: Record<string, string>;
  subscriptions: Array<{ topic: string; subString: string; expressionType: string }>;
  /** Sorted by topic, broker and queue id. */
  queues: RunningQueueInfo[];
  /** By topic; empty when the client does not measure them (ours). */
  status: Record<string, TopicConsumeStatus>;
  /** Thread dump, when asked for and given (Java clients). */
  jstack: string | undefined;
}

/** Re-exported: admin callers parse MessageQueue keys of their own bodies too. */
export { parseMessageQueueKey };

function malformed(what: string): ProtocolError {
  return new ProtocolError('BODY_MALFORMED', what);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function num(value: unknown): number {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return 0;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function document(body: Buffer | undefined, name: string): Record<string, unknown> {
  if (body === undefined || body.length === 0) throw malformed(`${name}: empty body`);
  const doc = parseJson(body);
  if (!isObject(doc)) throw malformed(`${name}: not a JSON object`);
  return doc;
}

function brokerDataOf(value: unknown): BrokerData {
  if (!isObject(value) || typeof value.brokerName !== 'string') throw malformed('ClusterInfo: a broker without name');
  const brokerAddrs: Record<string, string> = {};
  if (isObject(value.brokerAddrs)) {
    for (const [id, addr] of Object.entries(value.brokerAddrs)) if (typeof addr === 'string') brokerAddrs[id] = addr;
  }
  return { cluster: str(value.cluster) ?? '', brokerName: value.brokerName, brokerAddrs };
}

/** Parses a ClusterInfo body. */
export function parseClusterInfo(body: Buffer | undefined): ClusterInfo {
  const doc = document(body, 'ClusterInfo');
  const brokerAddrTable: Record<string, BrokerData> = {};
  if (isObject(doc.brokerAddrTable)) {
    for (const [name, data] of Object.entries(doc.brokerAddrTable)) brokerAddrTable[name] = brokerDataOf(data);
  }
  const clusterAddrTable: Record<string, string[]> = {};
  if (isObject(doc.clusterAddrTable)) {
    for (const [cluster, names] of Object.entries(doc.clusterAddrTable)) {
      clusterAddrTable[cluster] = Array.isArray(names) ? names.filter((n): n is string => typeof n === 'string') : [];
    }
  }
  return { brokerAddrTable, clusterAddrTable };
}

/** Parses a TopicStatsTable body. */
export function parseTopicStats(body: Buffer | undefined): TopicQueueStatus[] {
  const doc = document(body, 'TopicStatsTable');
  const table = isObject(doc.offsetTable) ? doc.offsetTable : {};
  return Object.entries(table).map(([key, value]) => {
    const v = isObject(value) ? value : {};
    return {
      messageQueue: parseMessageQueueKey(key),
      minOffset: num(v.minOffset),
      maxOffset: num(v.maxOffset),
      lastUpdateTimestamp: num(v.lastUpdateTimestamp),
    };
  });
}

/** Parses a ConsumeStats body, computing each queue's lag. */
export function parseConsumeStats(body: Buffer | undefined): ConsumeStatsBody {
  const doc = document(body, 'ConsumeStats');
  const table = isObject(doc.offsetTable) ? doc.offsetTable : {};
  const queues = Object.entries(table).map(([key, value]) => {
    const v = isObject(value) ? value : {};
    const brokerOffset = num(v.brokerOffset);
    const consumerOffset = num(v.consumerOffset);
    return {
      messageQueue: parseMessageQueueKey(key),
      brokerOffset,
      consumerOffset,
      lag: Math.max(0, brokerOffset - Math.max(0, consumerOffset)),
      lastTimestamp: num(v.lastTimestamp),
    };
  });
  return { consumeTps: num(doc.consumeTps), queues };
}

/** Parses a ConsumerConnection body. */
export function parseConsumerConnection(body: Buffer | undefined): ConsumerConnection {
  const doc = document(body, 'ConsumerConnection');
  const connections = (Array.isArray(doc.connectionSet) ? doc.connectionSet : []).filter(isObject).map((c) => ({
    clientId: str(c.clientId) ?? '',
    clientAddr: str(c.clientAddr) ?? '',
    language: str(c.language) ?? String(c.language ?? ''),
    version: num(c.version),
  }));
  const subscriptions: ConsumerConnection['subscriptions'] = {};
  if (isObject(doc.subscriptionTable)) {
    for (const [topic, sub] of Object.entries(doc.subscriptionTable)) {
      if (!isObject(sub)) continue;
      subscriptions[topic] = {
        subString: str(sub.subString) ?? '*',
        expressionType: str(sub.expressionType) ?? 'TAG',
        tagsSet: Array.isArray(sub.tagsSet) ? sub.tagsSet.filter((t): t is string => typeof t === 'string') : [],
        subVersion: num(sub.subVersion),
      };
    }
  }
  return {
    connections,
    consumeType: str(doc.consumeType),
    messageModel: str(doc.messageModel),
    consumeFromWhere: str(doc.consumeFromWhere),
    subscriptions,
  };
}

/** Parses a ResetOffsetBody (`offsetTable`: MessageQueue → offset). */
export function parseResetOffsetBody(body: Buffer | undefined): Array<{ messageQueue: MessageQueue; offset: number }> {
  if (body === undefined || body.length === 0) return [];
  const doc = document(body, 'ResetOffsetBody');
  const table = isObject(doc.offsetTable) ? doc.offsetTable : {};
  return Object.entries(table).map(([key, offset]) => ({
    messageQueue: parseMessageQueueKey(key),
    offset: num(offset),
  }));
}

/** Parses a ConsumerRunningInfo body, from Java clients (4.x `droped`, 5.x `dropped`) as from ours. */
export function parseConsumerRunningInfo(body: Buffer | undefined): ConsumerRunningInfo {
  const doc = document(body, 'ConsumerRunningInfo');
  const properties: Record<string, string> = {};
  if (isObject(doc.properties)) {
    for (const [key, value] of Object.entries(doc.properties))
      properties[key] = typeof value === 'string' ? value : String(value);
  }
  const subscriptions = (Array.isArray(doc.subscriptionSet) ? doc.subscriptionSet : []).filter(isObject).map((sub) => ({
    topic: str(sub.topic) ?? '',
    subString: str(sub.subString) ?? '*',
    expressionType: str(sub.expressionType) ?? 'TAG',
  }));
  const queues: RunningQueueInfo[] = Object.entries(isObject(doc.mqTable) ? doc.mqTable : {})
    .filter((entry): entry is [string, Record<string, unknown>] => isObject(entry[1]))
    .map(([key, q]) => ({
      messageQueue: parseMessageQueueKey(key),
      commitOffset: num(q.commitOffset),
      cachedMsgMinOffset: num(q.cachedMsgMinOffset),
      cachedMsgMaxOffset: num(q.cachedMsgMaxOffset),
      cachedMsgCount: num(q.cachedMsgCount),
      cachedMsgSizeInMiB: num(q.cachedMsgSizeInMiB),
      locked: q.locked === true,
      lastLockTimestamp: num(q.lastLockTimestamp),
      dropped: q.dropped === true || q.droped === true,
      lastPullTimestamp: num(q.lastPullTimestamp),
      lastConsumeTimestamp: num(q.lastConsumeTimestamp),
    }))
    .sort((a, b) => compareQueues(a.messageQueue, b.messageQueue));
  const status: Record<string, TopicConsumeStatus> = {};
  for (const [topic, st] of Object.entries(isObject(doc.statusTable) ? doc.statusTable : {})) {
    if (!isObject(st)) continue;
    status[topic] = {
      pullRT: num(st.pullRT),
      pullTPS: num(st.pullTPS),
      consumeRT: num(st.consumeRT),
      consumeOKTPS: num(st.consumeOKTPS),
      consumeFailedTPS: num(st.consumeFailedTPS),
      consumeFailedMsgs: num(st.consumeFailedMsgs),
    };
  }
  return { properties, subscriptions, queues, status, jstack: str(doc.jstack) };
}

/** Parses a TopicList body into its topic names. */
export function parseTopicList(body: Buffer | undefined): string[] {
  const doc = document(body, 'TopicList');
  return Array.isArray(doc.topicList) ? doc.topicList.filter((t): t is string => typeof t === 'string') : [];
}
