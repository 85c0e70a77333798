/**
 * Queue allocation strategies of a clustering consumer group: given every queue of a topic and every member of the
 * group, which queues this member consumes. All members must use the same strategy; each sees the same sorted
 * inputs, so the results are disjoint and together cover every queue.
 */
import { createHash } from 'node:crypto';
import type { MessageQueue } from './route.js';

/** What a strategy is given. `allQueues` and `allClientIds` are sorted; `clientId` is one of `allClientIds`. */
export interface AllocateContext {
  consumerGroup: string;
  clientId: string;
  allQueues: readonly MessageQueue[];
  allClientIds: readonly string[];
}

/** A strategy: the queues `ctx.clientId` consumes. A user function may return any subset (e.g. one chosen queue). */
export type AllocateStrategy = (ctx: AllocateContext) => MessageQueue[];

/** Orders queues as Java's MessageQueue.compareTo: topic, then broker name, then queue id. */
export function compareQueues(a: MessageQueue, b: MessageQueue): number {
  if (a.topic !== b.topic) return a.topic < b.topic ? -1 : 1;
  if (a.brokerName !== b.brokerName) return a.brokerName < b.brokerName ? -1 : 1;
  return a.queueId - b.queueId;
}

/**
 * AllocateMessageQueueAveragely: a contiguous block per member; the first `queues % members` members get one more.
 * With more members than queues, the extra members get nothing.
 */
export const allocateAveragely: AllocateStrategy = ({ clientId, allQueues, allClientIds }) => {
  const index = allClientIds.indexOf(clientId);
  const queueCount = allQueues.length;
  const memberCount = allClientIds.length;
  if (index < 0 || queueCount === 0) return [];
  const mod = queueCount % memberCount;
  const base = Math.floor(queueCount / memberCount);
  const size = queueCount <= memberCount ? 1 : mod > 0 && index < mod ? base + 1 : base;
  const start = mod > 0 && index < mod ? index * size : index * size + mod;
  const count = Math.min(size, queueCount - start);
  const out: MessageQueue[] = [];
  for (let i = 0; i < count; i++) out.push(allQueues[(start + i) % queueCount]!);
  return out;
};

/** AllocateMessageQueueAveragelyByCircle: queue i goes to member i % members, round robin. */
export const allocateAveragelyByCircle: AllocateStrategy = ({ clientId, allQueues, allClientIds }) => {
  const index = allClientIds.indexOf(clientId);
  if (index < 0) return [];
  const out: MessageQueue[] = [];
  for (let i = index; i < allQueues.length; i += allClientIds.length) out.push(allQueues[i]!);
  return out;
};

/** The ring position of a key as Java's MD5Hash: the first four digest bytes, big-endian, unsigned. */
function ringHash(key: string): number {
  return createHash('md5').update(key, 'utf8').digest().readUInt32BE(0);
}

/** A queue's ring key, Java's MessageQueue.toString(). */
function queueRingKey(mq: MessageQueue): string {
  return `MessageQueue [topic=${mq.topic}, brokerName=${mq.brokerName}, queueId=${mq.queueId}]`;
}

/**
 * AllocateMessageQueueConsistentHash: members sit on a hash ring with `virtualNodes` points each
 * (`<clientId>-<i>`); a queue belongs to the first point at or after its own hash. A member joining or leaving
 * moves only the queues next to its points.
 */
export function allocateConsistentHash(virtualNodes = 10): AllocateStrategy {
  if (!Number.isInteger(virtualNodes) || virtualNodes <= 0) throw new RangeError('virtualNodes must be a positive int');
  return ({ clientId, allQueues, allClientIds }) => {
    if (!allClientIds.includes(clientId)) return [];
    const ring: { hash: number; owner: string }[] = [];
    for (const id of allClientIds) {
      for (let i = 0; i < virtualNodes; i++) ring.push({ hash: ringHash(`${id}-${i}`), owner: id });
    }
    ring.sort((a, b) => a.hash - b.hash);
    return allQueues.filter((mq) => ringOwner(ring, ringHash(queueRingKey(mq))) === clientId);
  };
}

/** The owner of the first ring point at or after `hash`, wrapping to the first point. */
function ringOwner(ring: readonly { hash: number; owner: string }[], hash: number): string {
  let lo = 0;
  let hi = ring.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ring[mid]!.hash < hash) lo = mid + 1;
    else hi = mid;
  }
  return ring[lo === ring.length ? 0 : lo]!.owner;
}

/** The strategies by the names users configure. */
export const AllocateStrategies = {
  AVG: allocateAveragely,
  AVG_BY_CIRCLE: allocateAveragelyByCircle,
  CONSISTENT_HASH: allocateConsistentHash(),
} as const;
