/** Pull headers (reference §3.2), codes PULL_MESSAGE (11) and LITE_PULL_MESSAGE (361). */
import { defineHeader, type HeaderOf, TOPIC_RPC_FIELDS } from './header.js';

/** Pull sysFlag bits (reference §5.3). */
export const PullSysFlag = {
  COMMIT_OFFSET: 0x1,
  SUSPEND: 0x2,
  SUBSCRIPTION: 0x4,
  CLASS_FILTER: 0x8,
  LITE_PULL_MESSAGE: 0x10,
} as const;

/**
 * PULL_MESSAGE request. `commitOffset` is valid only with the COMMIT_OFFSET sysFlag bit, `subscription` /
 * `expressionType` only with SUBSCRIPTION; `suspendTimeoutMillis` is the long-poll hold time.
 * `proxyFrowardClientId` is spelled as in Java.
 */
export const PullMessageRequestHeader = defineHeader('PullMessageRequestHeader', {
  consumerGroup: { type: 'string', required: true },
  topic: { type: 'string', required: true },
  queueId: { type: 'int', required: true },
  queueOffset: { type: 'long', required: true },
  maxMsgNums: { type: 'int', required: true },
  sysFlag: { type: 'int', required: true },
  commitOffset: { type: 'long', required: true },
  suspendTimeoutMillis: { type: 'long', required: true },
  subscription: { type: 'string' },
  subVersion: { type: 'long', required: true },
  expressionType: { type: 'string' },
  maxMsgBytes: { type: 'int' },
  requestSource: { type: 'int' },
  proxyFrowardClientId: { type: 'string' },
  ...TOPIC_RPC_FIELDS,
});
export type PullMessageRequestHeader = HeaderOf<typeof PullMessageRequestHeader>;

/** PULL_MESSAGE response; the body on SUCCESS is the raw stored records. The last four fields are 5.x. */
export const PullMessageResponseHeader = defineHeader('PullMessageResponseHeader', {
  suggestWhichBrokerId: { type: 'long', required: true },
  nextBeginOffset: { type: 'long', required: true },
  minOffset: { type: 'long', required: true },
  maxOffset: { type: 'long', required: true },
  offsetDelta: { type: 'long' },
  topicSysFlag: { type: 'int' },
  groupSysFlag: { type: 'int' },
  forbiddenType: { type: 'int' },
});
export type PullMessageResponseHeader = HeaderOf<typeof PullMessageResponseHeader>;
