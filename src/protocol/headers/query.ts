/** Message query headers (reference §3.3, §3.6): QUERY_MESSAGE, VIEW_MESSAGE_BY_ID, time span, consumers of a topic. */
import { defineHeader, type HeaderOf, RPC_FIELDS, TOPIC_RPC_FIELDS } from './header.js';

/**
 * Extra ext field of QUERY_MESSAGE: "true" ⇒ `key` is a UNIQ_KEY and `maxNum` is replaced by the broker's
 * `defaultQueryMaxNum`.
 */
export const UNIQUE_KEY_QUERY_EXT_KEY = '_UNIQUE_KEY_QUERY';

/** QUERY_MESSAGE (12): messages of `topic` indexed under `key` stored in [beginTimestamp, endTimestamp]. */
export const QueryMessageRequestHeader = defineHeader('QueryMessageRequestHeader', {
  topic: { type: 'string', required: true },
  key: { type: 'string', required: true },
  maxNum: { type: 'int', required: true },
  beginTimestamp: { type: 'long', required: true },
  endTimestamp: { type: 'long', required: true },
  ...TOPIC_RPC_FIELDS,
});
export type QueryMessageRequestHeader = HeaderOf<typeof QueryMessageRequestHeader>;

/** QUERY_MESSAGE response; body = the raw records found. */
export const QueryMessageResponseHeader = defineHeader('QueryMessageResponseHeader', {
  indexLastUpdateTimestamp: { type: 'long', required: true },
  indexLastUpdatePhyoffset: { type: 'long', required: true },
});
export type QueryMessageResponseHeader = HeaderOf<typeof QueryMessageResponseHeader>;

/** VIEW_MESSAGE_BY_ID (33): `offset` is a commitlog offset; body = one raw record. */
export const ViewMessageRequestHeader = defineHeader('ViewMessageRequestHeader', {
  topic: { type: 'string' },
  offset: { type: 'long', required: true },
  ...RPC_FIELDS,
});
export type ViewMessageRequestHeader = HeaderOf<typeof ViewMessageRequestHeader>;

/** QUERY_CONSUME_TIME_SPAN (303). */
export const QueryConsumeTimeSpanRequestHeader = defineHeader('QueryConsumeTimeSpanRequestHeader', {
  topic: { type: 'string', required: true },
  group: { type: 'string', required: true },
  ...TOPIC_RPC_FIELDS,
});
export type QueryConsumeTimeSpanRequestHeader = HeaderOf<typeof QueryConsumeTimeSpanRequestHeader>;

/** QUERY_TOPIC_CONSUME_BY_WHO (300) → body GroupList. */
export const QueryTopicConsumeByWhoRequestHeader = defineHeader('QueryTopicConsumeByWhoRequestHeader', {
  topic: { type: 'string', required: true },
  ...TOPIC_RPC_FIELDS,
});
export type QueryTopicConsumeByWhoRequestHeader = HeaderOf<typeof QueryTopicConsumeByWhoRequestHeader>;
