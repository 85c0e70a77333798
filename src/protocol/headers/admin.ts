/** Broker admin headers (reference §2.1 admin table, §3.6): topics, groups, stats, offsets reset, config. */
import { defineHeader, type HeaderOf, RPC_FIELDS, TOPIC_RPC_FIELDS } from './header.js';

/**
 * UPDATE_AND_CREATE_TOPIC (17). `topicFilterType` is SINGLE_TAG or MULTI_TAG; `attributes` is comma-separated
 * `+key=value` / `-key` (e.g. `+message.type=NORMAL`).
 */
export const CreateTopicRequestHeader = defineHeader('CreateTopicRequestHeader', {
  topic: { type: 'string', required: true },
  defaultTopic: { type: 'string', required: true },
  readQueueNums: { type: 'int', required: true },
  writeQueueNums: { type: 'int', required: true },
  perm: { type: 'int', required: true },
  topicFilterType: { type: 'string', required: true },
  topicSysFlag: { type: 'int' },
  order: { type: 'bool', required: true },
  attributes: { type: 'string' },
  force: { type: 'bool' },
  ...TOPIC_RPC_FIELDS,
});
export type CreateTopicRequestHeader = HeaderOf<typeof CreateTopicRequestHeader>;

/** DELETE_TOPIC_IN_BROKER (215). */
export const DeleteTopicRequestHeader = defineHeader('DeleteTopicRequestHeader', {
  topic: { type: 'string', required: true },
  ...TOPIC_RPC_FIELDS,
});
export type DeleteTopicRequestHeader = HeaderOf<typeof DeleteTopicRequestHeader>;

/** GET_TOPIC_STATS_INFO (202) → body TopicStatsTable. */
export const GetTopicStatsInfoRequestHeader = defineHeader('GetTopicStatsInfoRequestHeader', {
  topic: { type: 'string', required: true },
  ...TOPIC_RPC_FIELDS,
});
export type GetTopicStatsInfoRequestHeader = HeaderOf<typeof GetTopicStatsInfoRequestHeader>;

/** GET_ALL_TOPIC_CONFIG (21) response header; `totalTopicNum` is 5.x (paged topic config). */
export const GetAllTopicConfigResponseHeader = defineHeader('GetAllTopicConfigResponseHeader', {
  totalTopicNum: { type: 'int' },
});
export type GetAllTopicConfigResponseHeader = HeaderOf<typeof GetAllTopicConfigResponseHeader>;

/** GET_CONSUME_STATS (208) → body ConsumeStats. `topicList` (5.x) is a comma-separated list. */
export const GetConsumeStatsRequestHeader = defineHeader('GetConsumeStatsRequestHeader', {
  consumerGroup: { type: 'string', required: true },
  topic: { type: 'string' },
  topicList: { type: 'string' },
  ...TOPIC_RPC_FIELDS,
});
export type GetConsumeStatsRequestHeader = HeaderOf<typeof GetConsumeStatsRequestHeader>;

/** GET_BROKER_CONSUME_STATS (317) → body ConsumeStatsList; an absent `isOrder` (a Java primitive) means false. */
export const GetConsumeStatsInBrokerHeader = defineHeader('GetConsumeStatsInBrokerHeader', {
  isOrder: { type: 'bool' },
  ...RPC_FIELDS,
});
export type GetConsumeStatsInBrokerHeader = HeaderOf<typeof GetConsumeStatsInBrokerHeader>;

/**
 * INVOKE_BROKER_TO_RESET_OFFSET (222). The ext key is literally `isForce`. `queueId` defaults to -1 (all queues);
 * with `offset` set the reset goes to that offset, otherwise to the first message at `timestamp`.
 */
export const ResetOffsetRequestHeader = defineHeader('ResetOffsetRequestHeader', {
  group: { type: 'string', required: true },
  topic: { type: 'string', required: true },
  queueId: { type: 'int' },
  offset: { type: 'long' },
  timestamp: { type: 'long', required: true },
  isForce: { type: 'bool', required: true },
  ...TOPIC_RPC_FIELDS,
});
export type ResetOffsetRequestHeader = HeaderOf<typeof ResetOffsetRequestHeader>;

/** CLONE_GROUP_OFFSET (314): copy `srcGroup`'s offsets (of `topic`, or all its topics) to `destGroup`. */
export const CloneGroupOffsetRequestHeader = defineHeader('CloneGroupOffsetRequestHeader', {
  srcGroup: { type: 'string', required: true },
  destGroup: { type: 'string', required: true },
  topic: { type: 'string' },
  offline: { type: 'bool' },
  ...RPC_FIELDS,
});
export type CloneGroupOffsetRequestHeader = HeaderOf<typeof CloneGroupOffsetRequestHeader>;

/**
 * DELETE_SUBSCRIPTIONGROUP (207). 5.x sends `cleanOffset`; older tools sent `removeOffset` (Java schema snapshot):
 * either one true ⇒ the group's offsets are removed too.
 */
export const DeleteSubscriptionGroupRequestHeader = defineHeader('DeleteSubscriptionGroupRequestHeader', {
  groupName: { type: 'string', required: true },
  cleanOffset: { type: 'bool' },
  removeOffset: { type: 'bool' },
  ...RPC_FIELDS,
});
export type DeleteSubscriptionGroupRequestHeader = HeaderOf<typeof DeleteSubscriptionGroupRequestHeader>;

/** GET_CONSUMER_RUNNING_INFO (307; broker forwards to the client) → body ConsumerRunningInfo. */
export const GetConsumerRunningInfoRequestHeader = defineHeader('GetConsumerRunningInfoRequestHeader', {
  consumerGroup: { type: 'string', required: true },
  clientId: { type: 'string', required: true },
  jstackEnable: { type: 'bool' },
  ...RPC_FIELDS,
});
export type GetConsumerRunningInfoRequestHeader = HeaderOf<typeof GetConsumerRunningInfoRequestHeader>;

/** CONSUME_MESSAGE_DIRECTLY (309; broker forwards to the client) → body ConsumeMessageDirectlyResult. */
export const ConsumeMessageDirectlyResultRequestHeader = defineHeader('ConsumeMessageDirectlyResultRequestHeader', {
  consumerGroup: { type: 'string', required: true },
  clientId: { type: 'string' },
  msgId: { type: 'string' },
  brokerName: { type: 'string' },
  topic: { type: 'string' },
  topicSysFlag: { type: 'int' },
  groupSysFlag: { type: 'int' },
  ...TOPIC_RPC_FIELDS,
});
export type ConsumeMessageDirectlyResultRequestHeader = HeaderOf<typeof ConsumeMessageDirectlyResultRequestHeader>;

/** GET_BROKER_CONFIG (26) response header: `version` is the config DataVersion as JSON; body = properties text. */
export const GetBrokerConfigResponseHeader = defineHeader('GetBrokerConfigResponseHeader', {
  version: { type: 'string', required: true },
});
export type GetBrokerConfigResponseHeader = HeaderOf<typeof GetBrokerConfigResponseHeader>;

/** INVOKE_BROKER_TO_GET_CONSUMER_STATUS (223) → body GetConsumerStatusBody. */
export const GetConsumerStatusRequestHeader = defineHeader('GetConsumerStatusRequestHeader', {
  topic: { type: 'string', required: true },
  group: { type: 'string', required: true },
  clientAddr: { type: 'string' },
  ...TOPIC_RPC_FIELDS,
});
export type GetConsumerStatusRequestHeader = HeaderOf<typeof GetConsumerStatusRequestHeader>;

/** VIEW_BROKER_STATS_DATA (315). */
export const ViewBrokerStatsDataRequestHeader = defineHeader('ViewBrokerStatsDataRequestHeader', {
  statsName: { type: 'string', required: true },
  statsKey: { type: 'string', required: true },
  ...RPC_FIELDS,
});
export type ViewBrokerStatsDataRequestHeader = HeaderOf<typeof ViewBrokerStatsDataRequestHeader>;
