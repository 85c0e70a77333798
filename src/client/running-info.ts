/**
 * The ConsumerRunningInfo body a consumer answers GET_CONSUMER_RUNNING_INFO (307) with, in the shape Java's admin
 * tools read (`mqadmin consumerStatus`, the dashboard): `properties` (strings), `subscriptionSet`, `mqTable` keyed by
 * MessageQueue objects written as raw JSON keys (as fastjson does), `mqPopTable`, `statusTable`, `userConsumerInfo`.
 */
import { CURRENT_VERSION, versionName } from '../protocol/command.js';
import { stringifyJsonBuffer } from '../protocol/fastjson.js';
import type { SubscriptionData } from '../protocol/headers/client.js';
import { compareQueues } from './allocate.js';
import type { ProcessQueue } from './process-queue.js';
import type { MessageQueue } from './route.js';

/** Property names Java's tools look up (ConsumerRunningInfo.PROP_*). */
export const RunningInfoProps = {
  NAMESERVER_ADDR: 'PROP_NAMESERVER_ADDR',
  THREADPOOL_CORE_SIZE: 'PROP_THREADPOOL_CORE_SIZE',
  CONSUME_ORDERLY: 'PROP_CONSUMEORDERLY',
  CONSUME_TYPE: 'PROP_CONSUME_TYPE',
  CLIENT_VERSION: 'PROP_CLIENT_VERSION',
  CONSUMER_START_TIMESTAMP: 'PROP_CONSUMER_START_TIMESTAMP',
} as const;

export interface RunningQueue {
  mq: MessageQueue;
  pq: ProcessQueue;
  /** The offset the consumer would commit for the queue now. */
  commitOffset: number;
}

export interface RunningInfoInput {
  /** The consumer's settings, written as strings (Java writes its consumer object's fields). */
  settings: Record<string, string | number | boolean | undefined>;
  namesrvAddrs: readonly string[];
  concurrency: number;
  orderly: boolean;
  startTimestamp: number;
  subscriptions: readonly SubscriptionData[];
  queues: readonly RunningQueue[];
}

/** Encodes a push consumer's ConsumerRunningInfo. Consume rates are not tracked: `statusTable` is empty. */
export function encodeConsumerRunningInfo(input: RunningInfoInput): Buffer {
  const properties: Record<string, string> = {};
  for (const [key, value] of Object.entries(input.settings)) if (value !== undefined) properties[key] = String(value);
  properties[RunningInfoProps.NAMESERVER_ADDR] = input.namesrvAddrs.join(';');
  properties[RunningInfoProps.THREADPOOL_CORE_SIZE] = String(input.concurrency);
  properties[RunningInfoProps.CONSUME_ORDERLY] = String(input.orderly);
  properties[RunningInfoProps.CONSUME_TYPE] = 'CONSUME_PASSIVELY';
  properties[RunningInfoProps.CLIENT_VERSION] = versionName(CURRENT_VERSION);
  properties[RunningInfoProps.CONSUMER_START_TIMESTAMP] = String(input.startTimestamp);

  const mqTable = new Map<MessageQueue, Record<string, number | boolean>>();
  const sorted = [...input.queues].sort((a, b) => compareQueues(a.mq, b.mq));
  for (const { mq, pq, commitOffset } of sorted) {
    mqTable.set(
      { topic: mq.topic, brokerName: mq.brokerName, queueId: mq.queueId },
      {
        commitOffset,
        ...pq.cacheInfo(),
        locked: pq.locked,
        tryUnlockTimes: 0,
        lastLockTimestamp: pq.lastLockTimestamp,
        dropped: pq.dropped,
        lastPullTimestamp: pq.lastPullTimestamp,
        lastConsumeTimestamp: pq.lastConsumeTimestamp,
      },
    );
  }
  return stringifyJsonBuffer(
    {
      properties,
      subscriptionSet: input.subscriptions,
      mqTable,
      mqPopTable: {},
      statusTable: {},
      userConsumerInfo: {},
    },
    { fastjson: true },
  );
}
