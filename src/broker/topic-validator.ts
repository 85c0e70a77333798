/**
 * Topic name rules and system topics (reference §6.1, §6.2), and the PermName bits. Pure functions.
 */

/** PermName bits: 8 priority, 4 read, 2 write, 1 inherit (the auto-create template flag). */
export const PermName = { PRIORITY: 8, READ: 4, WRITE: 2, INHERIT: 1 } as const;

/** Whether `perm` has the READ bit. */
export function isReadable(perm: number): boolean {
  return (perm & PermName.READ) !== 0;
}

/** Whether `perm` has the WRITE bit. */
export function isWriteable(perm: number): boolean {
  return (perm & PermName.WRITE) !== 0;
}

/** Whether `perm` has the INHERIT bit (topics may be auto-created from this one). */
export function isInherited(perm: number): boolean {
  return (perm & PermName.INHERIT) !== 0;
}

/** The auto-create template topic. */
export const AUTO_CREATE_TOPIC_KEY_TOPIC = 'TBW102';
export const RMQ_SYS_SCHEDULE_TOPIC = 'SCHEDULE_TOPIC_XXXX';
export const RMQ_SYS_BENCHMARK_TOPIC = 'BenchmarkTest';
export const RMQ_SYS_TRANS_HALF_TOPIC = 'RMQ_SYS_TRANS_HALF_TOPIC';
export const RMQ_SYS_TRANS_OP_HALF_TOPIC = 'RMQ_SYS_TRANS_OP_HALF_TOPIC';
export const RMQ_SYS_TRANS_CHECK_MAX_TIME_TOPIC = 'TRANS_CHECK_MAX_TIME_TOPIC';
export const RMQ_SYS_TRACE_TOPIC = 'RMQ_SYS_TRACE_TOPIC';
export const RMQ_SYS_SELF_TEST_TOPIC = 'SELF_TEST_TOPIC';
export const RMQ_SYS_OFFSET_MOVED_EVENT = 'OFFSET_MOVED_EVENT';
export const RMQ_SYS_CHECKPOINT_TOPIC = 'CHECKPOINT_TOPIC';
/** Prefix of 5.x internal topics. */
export const SYSTEM_TOPIC_PREFIX = 'rmq_sys_';
export const RETRY_GROUP_TOPIC_PREFIX = '%RETRY%';
export const DLQ_GROUP_TOPIC_PREFIX = '%DLQ%';

/** Longest ordinary topic name. */
export const TOPIC_MAX_LENGTH = 127;
/** Longest %RETRY% / %DLQ% topic name. */
export const RETRY_DLQ_TOPIC_MAX_LENGTH = 255;

const VALID_CHARS = /^[%|a-zA-Z0-9_-]+$/;

const SYSTEM_TOPICS: ReadonlySet<string> = new Set([
  AUTO_CREATE_TOPIC_KEY_TOPIC,
  RMQ_SYS_SCHEDULE_TOPIC,
  RMQ_SYS_BENCHMARK_TOPIC,
  RMQ_SYS_TRANS_HALF_TOPIC,
  RMQ_SYS_TRANS_OP_HALF_TOPIC,
  RMQ_SYS_TRANS_CHECK_MAX_TIME_TOPIC,
  RMQ_SYS_TRACE_TOPIC,
  RMQ_SYS_SELF_TEST_TOPIC,
  RMQ_SYS_OFFSET_MOVED_EVENT,
  RMQ_SYS_CHECKPOINT_TOPIC,
]);

/** Topics producers may not send to: "Sending message to topic[...] is forbidden." */
const SEND_FORBIDDEN_TOPICS: ReadonlySet<string> = new Set([
  RMQ_SYS_SCHEDULE_TOPIC,
  RMQ_SYS_TRANS_HALF_TOPIC,
  RMQ_SYS_TRANS_OP_HALF_TOPIC,
  RMQ_SYS_TRANS_CHECK_MAX_TIME_TOPIC,
  RMQ_SYS_SELF_TEST_TOPIC,
  RMQ_SYS_OFFSET_MOVED_EVENT,
]);

/** Why `topic` is not a valid topic name, or undefined when it is (characters, length; reference §6.2). */
export function topicNameProblem(topic: string): string | undefined {
  if (topic.length === 0 || topic.trim().length === 0) return 'the specified topic is blank';
  const max =
    topic.startsWith(RETRY_GROUP_TOPIC_PREFIX) || topic.startsWith(DLQ_GROUP_TOPIC_PREFIX)
      ? RETRY_DLQ_TOPIC_MAX_LENGTH
      : TOPIC_MAX_LENGTH;
  if (topic.length > max) return `the specified topic is longer than topic max length ${max}.`;
  if (!VALID_CHARS.test(topic)) {
    return `the specified topic[${topic}] contains illegal characters, allowing only ^[%|a-zA-Z0-9_-]+$`;
  }
  return undefined;
}

/** Whether `topic` is one of RocketMQ's internal topics (or carries the `rmq_sys_` prefix). */
export function isSystemTopic(topic: string): boolean {
  return SYSTEM_TOPICS.has(topic) || topic.startsWith(SYSTEM_TOPIC_PREFIX);
}

/** Whether producers are refused when they send to `topic` (schedule, transaction and other internal topics). */
export function isSendForbiddenTopic(topic: string): boolean {
  return SEND_FORBIDDEN_TOPICS.has(topic);
}

/** Whether `topic` is a consumer group's retry topic. */
export function isRetryTopic(topic: string): boolean {
  return topic.startsWith(RETRY_GROUP_TOPIC_PREFIX);
}

/** The retry topic of a consumer group. */
export function retryTopicOf(group: string): string {
  return RETRY_GROUP_TOPIC_PREFIX + group;
}
