/**
 * Retry and dead-letter rules of a consumer group (reference §6.5). Pure functions shared by CONSUMER_SEND_MSG_BACK
 * and the send path (messages a client re-publishes to `%RETRY%<group>` itself).
 */
import { Version } from '../protocol/command.js';
import { DLQ_GROUP_TOPIC_PREFIX } from './topic-validator.js';

/** Queues of a `%DLQ%<group>` topic (Java's DLQ_NUMS_PER_GROUP). */
export const DLQ_QUEUE_NUMS = 1;

/** The delay level of the first retry is this plus the reconsume count (so retries use levels 3, 4, ...). */
export const RETRY_BASE_DELAY_LEVEL = 3;

/** The dead-letter topic of a consumer group. */
export function dlqTopicOf(group: string): string {
  return DLQ_GROUP_TOPIC_PREFIX + group;
}

/** Whether `topic` is a consumer group's dead-letter topic. */
export function isDlqTopic(topic: string): boolean {
  return topic.startsWith(DLQ_GROUP_TOPIC_PREFIX);
}

/**
 * The retry limit that applies: the request's `maxReconsumeTimes` when the client is V3_4_9 or newer and sent one,
 * else the group's `retryMaxTimes`.
 */
export function effectiveMaxReconsumeTimes(
  groupRetryMaxTimes: number,
  requestVersion: number,
  headerMax: number | undefined,
): number {
  return requestVersion >= Version.V3_4_9 && headerMax !== undefined ? headerMax : groupRetryMaxTimes;
}

/** Where a consumed message goes back to. */
export type SendBackTarget = { kind: 'retry'; delayLevel: number } | { kind: 'dlq' };

/**
 * CONSUMER_SEND_MSG_BACK's rule: `reconsumeTimes` ≥ the limit, or a negative level ⇒ the DLQ; otherwise the retry
 * topic with the level asked for, or 3 + reconsumeTimes when it asked for 0.
 */
export function sendBackTarget(reconsumeTimes: number, maxReconsumeTimes: number, delayLevel: number): SendBackTarget {
  if (reconsumeTimes >= maxReconsumeTimes || delayLevel < 0) return { kind: 'dlq' };
  return { kind: 'retry', delayLevel: delayLevel === 0 ? RETRY_BASE_DELAY_LEVEL + reconsumeTimes : delayLevel };
}

/** The send path's rule for a message sent to `%RETRY%<group>`: past the limit (strictly) ⇒ the DLQ. */
export function retrySendGoesToDlq(reconsumeTimes: number, maxReconsumeTimes: number): boolean {
  return reconsumeTimes > maxReconsumeTimes;
}
