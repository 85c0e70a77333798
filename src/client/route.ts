/**
 * Topic routes as clients see them (reference §4.1): the parsed GET_ROUTEINFO_BY_TOPIC body, and the queues a
 * producer may write to and a consumer may read from.
 */
import { ProtocolError } from '../common/errors.js';
import { parseJson } from '../protocol/fastjson.js';

/** Permission bits of a QueueData (reference §6.1). */
export const Perm = { PRIORITY: 8, READ: 4, WRITE: 2, INHERIT: 1 } as const;

/** The id of a master in `BrokerData.brokerAddrs`. */
export const MASTER_ID = '0';

/** One broker group's queues of a topic. */
export interface QueueData {
  brokerName: string;
  readQueueNums: number;
  writeQueueNums: number;
  perm: number;
  topicSysFlag: number;
}

/** One broker group: its cluster, name and members by broker id (0 = master). */
export interface BrokerData {
  cluster: string;
  brokerName: string;
  /** brokerId (as text, "0" = master) → "host:port". */
  brokerAddrs: Record<string, string>;
}

/** The route of one topic. */
export interface TopicRouteData {
  queueDatas: QueueData[];
  brokerDatas: BrokerData[];
  /** "broker-a:4;broker-b:4" when the NameServer keeps ordered-topic config. */
  orderTopicConf?: string;
}

/** One queue of a topic on one broker group. */
export interface MessageQueue {
  topic: string;
  brokerName: string;
  queueId: number;
}

function malformed(what: string): ProtocolError {
  return new ProtocolError('BODY_MALFORMED', `topic route body: ${what}`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asInt(value: unknown, fallback: number): number {
  if (typeof value === 'number' && Number.isFinite(value)) return Math.trunc(value);
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return Number(value);
  return fallback;
}

function parseQueueData(value: unknown): QueueData {
  if (!isObject(value) || typeof value.brokerName !== 'string') throw malformed('a queueData without brokerName');
  return {
    brokerName: value.brokerName,
    readQueueNums: asInt(value.readQueueNums, 0),
    writeQueueNums: asInt(value.writeQueueNums, 0),
    perm: asInt(value.perm, 0),
    // 4.8 and older spelled it topicSynFlag
    topicSysFlag: asInt(value.topicSysFlag ?? value.topicSynFlag, 0),
  };
}

function parseBrokerData(value: unknown): BrokerData {
  if (!isObject(value) || typeof value.brokerName !== 'string') throw malformed('a brokerData without brokerName');
  const brokerAddrs: Record<string, string> = {};
  if (isObject(value.brokerAddrs)) {
    for (const [id, addr] of Object.entries(value.brokerAddrs)) {
      if (typeof addr === 'string') brokerAddrs[String(Number(id))] = addr;
    }
  }
  return { cluster: typeof value.cluster === 'string' ? value.cluster : '', brokerName: value.brokerName, brokerAddrs };
}

/**
 * Parses a TopicRouteData body, tolerant of fastjson's unquoted numeric `brokerAddrs` keys and of the 4.8
 * `topicSynFlag` spelling. Anything that is not a route ⇒ ProtocolError BODY_MALFORMED.
 */
export function parseTopicRoute(body: Buffer): TopicRouteData {
  const doc = parseJson(body);
  if (!isObject(doc)) throw malformed('not a JSON object');
  const queueDatas = Array.isArray(doc.queueDatas) ? doc.queueDatas.map(parseQueueData) : [];
  const brokerDatas = Array.isArray(doc.brokerDatas) ? doc.brokerDatas.map(parseBrokerData) : [];
  const route: TopicRouteData = { queueDatas, brokerDatas };
  if (typeof doc.orderTopicConf === 'string') route.orderTopicConf = doc.orderTopicConf;
  return route;
}

/** "topic@brokerName@queueId": a map key for a queue. */
export function mqKey(mq: MessageQueue): string {
  return `${mq.topic}@${mq.brokerName}@${mq.queueId}`;
}

function hasMaster(route: TopicRouteData, brokerName: string): boolean {
  const broker = route.brokerDatas.find((b) => b.brokerName === brokerName);
  return broker?.brokerAddrs[MASTER_ID] !== undefined;
}

/** Queues in broker-name order, so every client of a topic sees the same list (allocation relies on it). */
function sortedQueueDatas(route: TopicRouteData): QueueData[] {
  return [...route.queueDatas].sort((a, b) => (a.brokerName < b.brokerName ? -1 : a.brokerName > b.brokerName ? 1 : 0));
}

/**
 * The queues a producer writes to: `writeQueueNums` queues of every writable broker group that has a master (id 0).
 * With an `orderTopicConf` ("broker-a:4;broker-b:4"), exactly the queues it lists (ordered topics).
 */
export function publishQueues(route: TopicRouteData, topic: string): MessageQueue[] {
  const queues: MessageQueue[] = [];
  if (route.orderTopicConf !== undefined && route.orderTopicConf !== '') {
    for (const item of route.orderTopicConf.split(';')) {
      const [brokerName, nums] = item.split(':');
      const count = Number(nums);
      if (brokerName === undefined || brokerName === '' || !Number.isInteger(count)) continue;
      for (let queueId = 0; queueId < count; queueId++) queues.push({ topic, brokerName, queueId });
    }
    return queues;
  }
  for (const qd of sortedQueueDatas(route)) {
    if ((qd.perm & Perm.WRITE) === 0 || !hasMaster(route, qd.brokerName)) continue;
    for (let queueId = 0; queueId < qd.writeQueueNums; queueId++)
      queues.push({ topic, brokerName: qd.brokerName, queueId });
  }
  return queues;
}

/** The queues a consumer reads: `readQueueNums` queues of every readable broker group. */
export function subscribeQueues(route: TopicRouteData, topic: string): MessageQueue[] {
  const queues: MessageQueue[] = [];
  for (const qd of sortedQueueDatas(route)) {
    if ((qd.perm & Perm.READ) === 0) continue;
    for (let queueId = 0; queueId < qd.readQueueNums; queueId++)
      queues.push({ topic, brokerName: qd.brokerName, queueId });
  }
  return queues;
}
