/** Consumer offset and queue offset headers (reference §3.3). */

import { defineHeader, type HeaderOf, TOPIC_RPC_FIELDS } from './header.js';

/**
 * QUERY_CONSUMER_OFFSET (14). Not found ⇒ QUERY_NOT_FOUND, unless the queue still starts at 0 in memory (then 0,
 * unless `setZeroIfNotFound` is false; 5.x).
 */
export const QueryConsumerOffsetRequestHeader = defineHeader('QueryConsumerOffsetRequestHeader', {
  consumerGroup: { type: 'string', required: true },
  topic: { type: 'string', required: true },
  queueId: { type: 'int', required: true },
  setZeroIfNotFound: { type: 'bool' },
  ...TOPIC_RPC_FIELDS,
});
export type QueryConsumerOffsetRequestHeader = HeaderOf<typeof QueryConsumerOffsetRequestHeader>;

/** The `{offset}` response header (QUERY_CONSUMER_OFFSET, GET_MAX_OFFSET, GET_MIN_OFFSET, SEARCH_OFFSET_BY_TIMESTAMP). */
export const OffsetResponseHeader = defineHeader('OffsetResponseHeader', {
  offset: { type: 'long', required: true },
});
export type OffsetResponseHeader = HeaderOf<typeof OffsetResponseHeader>;

/** QUERY_CONSUMER_OFFSET response. */
export const QueryConsumerOffsetResponseHeader = OffsetResponseHeader;
export type QueryConsumerOffsetResponseHeader = OffsetResponseHeader;
/** GET_MAX_OFFSET response. */
export const GetMaxOffsetResponseHeader = OffsetResponseHeader;
export type GetMaxOffsetResponseHeader = OffsetResponseHeader;
/** GET_MIN_OFFSET response. */
export const GetMinOffsetResponseHeader = OffsetResponseHeader;
export type GetMinOffsetResponseHeader = OffsetResponseHeader;
/** SEARCH_OFFSET_BY_TIMESTAMP response. */
export const SearchOffsetResponseHeader = OffsetResponseHeader;
export type SearchOffsetResponseHeader = OffsetResponseHeader;

/** UPDATE_CONSUMER_OFFSET (15); the Java client sends it oneway. */
export const UpdateConsumerOffsetRequestHeader = defineHeader('UpdateConsumerOffsetRequestHeader', {
  consumerGroup: { type: 'string', required: true },
  topic: { type: 'string', required: true },
  queueId: { type: 'int', required: true },
  commitOffset: { type: 'long', required: true },
  ...TOPIC_RPC_FIELDS,
});
export type UpdateConsumerOffsetRequestHeader = HeaderOf<typeof UpdateConsumerOffsetRequestHeader>;

/** UPDATE_CONSUMER_OFFSET response: no fields. */
export const UpdateConsumerOffsetResponseHeader = defineHeader('UpdateConsumerOffsetResponseHeader', {});
export type UpdateConsumerOffsetResponseHeader = HeaderOf<typeof UpdateConsumerOffsetResponseHeader>;

/** GET_MAX_OFFSET (30). `committed` (5.x) defaults to true when absent. */
export const GetMaxOffsetRequestHeader = defineHeader('GetMaxOffsetRequestHeader', {
  topic: { type: 'string', required: true },
  queueId: { type: 'int', required: true },
  committed: { type: 'bool' },
  ...TOPIC_RPC_FIELDS,
});
export type GetMaxOffsetRequestHeader = HeaderOf<typeof GetMaxOffsetRequestHeader>;

/** GET_MIN_OFFSET (31). */
export const GetMinOffsetRequestHeader = defineHeader('GetMinOffsetRequestHeader', {
  topic: { type: 'string', required: true },
  queueId: { type: 'int', required: true },
  ...TOPIC_RPC_FIELDS,
});
export type GetMinOffsetRequestHeader = HeaderOf<typeof GetMinOffsetRequestHeader>;

/** SEARCH_OFFSET_BY_TIMESTAMP boundary (5.x): which offset to return when several messages share the timestamp. */
export type BoundaryType = 'lower' | 'upper';

/** Java's BoundaryType.getType: case-insensitive "upper" is upper, anything else lower. */
export function parseBoundaryType(text: string): BoundaryType {
  return text.length === 5 && text.toLowerCase() === 'upper' ? 'upper' : 'lower';
}

const searchOffsetBase = defineHeader('SearchOffsetRequestHeader', {
  topic: { type: 'string', required: true },
  queueId: { type: 'int', required: true },
  timestamp: { type: 'long', required: true },
  boundaryType: { type: 'string' },
  ...TOPIC_RPC_FIELDS,
});

/** SEARCH_OFFSET_BY_TIMESTAMP (29) header; an absent `boundaryType` means lower. */
export type SearchOffsetRequestHeader = Omit<HeaderOf<typeof searchOffsetBase>, 'boundaryType'> & {
  boundaryType?: BoundaryType | undefined;
};

/** SEARCH_OFFSET_BY_TIMESTAMP (29) codec; decode normalizes `boundaryType` to "lower"/"upper". */
export const SearchOffsetRequestHeader = {
  name: searchOffsetBase.name,
  schema: searchOffsetBase.schema,
  fieldNames: searchOffsetBase.fieldNames,
  encode(header: SearchOffsetRequestHeader): Record<string, string> {
    return searchOffsetBase.encode(header);
  },
  decode(ext: Record<string, string> | undefined): SearchOffsetRequestHeader {
    const h = searchOffsetBase.decode(ext);
    if (h.boundaryType === undefined) return h as SearchOffsetRequestHeader;
    return { ...h, boundaryType: parseBoundaryType(h.boundaryType) };
  },
} as const;

/** GET_EARLIEST_MSG_STORETIME (32). */
export const GetEarliestMsgStoretimeRequestHeader = defineHeader('GetEarliestMsgStoretimeRequestHeader', {
  topic: { type: 'string', required: true },
  queueId: { type: 'int', required: true },
  ...TOPIC_RPC_FIELDS,
});
export type GetEarliestMsgStoretimeRequestHeader = HeaderOf<typeof GetEarliestMsgStoretimeRequestHeader>;

/** GET_EARLIEST_MSG_STORETIME response: store timestamp (ms) of the queue's first message. */
export const GetEarliestMsgStoretimeResponseHeader = defineHeader('GetEarliestMsgStoretimeResponseHeader', {
  timestamp: { type: 'long', required: true },
});
export type GetEarliestMsgStoretimeResponseHeader = HeaderOf<typeof GetEarliestMsgStoretimeResponseHeader>;
