/** Client management headers (reference §3.6): heartbeat, unregister, consumer lists. */
import { defineHeader, type HeaderOf, RPC_FIELDS } from './header.js';

/** HEART_BEAT (34): no own fields; the body is HeartbeatData JSON. */
export const HeartbeatRequestHeader = defineHeader('HeartbeatRequestHeader', { ...RPC_FIELDS });
export type HeartbeatRequestHeader = HeaderOf<typeof HeartbeatRequestHeader>;

/** UNREGISTER_CLIENT (35). `clientID` is spelled as in Java. */
export const UnregisterClientRequestHeader = defineHeader('UnregisterClientRequestHeader', {
  clientID: { type: 'string', required: true },
  producerGroup: { type: 'string' },
  consumerGroup: { type: 'string' },
  ...RPC_FIELDS,
});
export type UnregisterClientRequestHeader = HeaderOf<typeof UnregisterClientRequestHeader>;

/** UNREGISTER_CLIENT response: no fields. */
export const UnregisterClientResponseHeader = defineHeader('UnregisterClientResponseHeader', {});
export type UnregisterClientResponseHeader = HeaderOf<typeof UnregisterClientResponseHeader>;

/** GET_CONSUMER_LIST_BY_GROUP (38) → body GetConsumerListByGroupResponseBody. */
export const GetConsumerListByGroupRequestHeader = defineHeader('GetConsumerListByGroupRequestHeader', {
  consumerGroup: { type: 'string', required: true },
  ...RPC_FIELDS,
});
export type GetConsumerListByGroupRequestHeader = HeaderOf<typeof GetConsumerListByGroupRequestHeader>;

/** Body of the GET_CONSUMER_LIST_BY_GROUP response. */
export interface GetConsumerListByGroupResponseBody {
  /** Client ids (`ip@pid#…`) of the group's live consumers. */
  consumerIdList: string[];
}

/** NOTIFY_CONSUMER_IDS_CHANGED (40, broker → client, oneway): the client rebalances. */
export const NotifyConsumerIdsChangedRequestHeader = defineHeader('NotifyConsumerIdsChangedRequestHeader', {
  consumerGroup: { type: 'string', required: true },
  ...RPC_FIELDS,
});
export type NotifyConsumerIdsChangedRequestHeader = HeaderOf<typeof NotifyConsumerIdsChangedRequestHeader>;

/** GET_CONSUMER_CONNECTION_LIST (203) → body ConsumerConnection, or CONSUMER_NOT_ONLINE. */
export const GetConsumerConnectionListRequestHeader = defineHeader('GetConsumerConnectionListRequestHeader', {
  consumerGroup: { type: 'string', required: true },
  ...RPC_FIELDS,
});
export type GetConsumerConnectionListRequestHeader = HeaderOf<typeof GetConsumerConnectionListRequestHeader>;

/** GET_PRODUCER_CONNECTION_LIST (204) → body ProducerConnection. */
export const GetProducerConnectionListRequestHeader = defineHeader('GetProducerConnectionListRequestHeader', {
  producerGroup: { type: 'string', required: true },
  ...RPC_FIELDS,
});
export type GetProducerConnectionListRequestHeader = HeaderOf<typeof GetProducerConnectionListRequestHeader>;

/** SubscriptionData as carried in HeartbeatData and ConsumerConnection bodies (reference §4.2). */
export interface SubscriptionData {
  topic: string;
  subString: string;
  expressionType: string;
  tagsSet: string[];
  codeSet: number[];
  subVersion: number;
  classFilterMode?: boolean;
}
