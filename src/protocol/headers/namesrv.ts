/** NameServer request/response headers (reference §3.5). */
import { defineHeader, type HeaderOf, RPC_FIELDS, TOPIC_RPC_FIELDS } from './header.js';

/** Optional ext field of REGISTER_BROKER carrying the broker's zone name. */
export const ZONE_NAME_EXT_KEY = '__ZONE_NAME';

/** GET_ROUTEINFO_BY_TOPIC (105). `acceptStandardJsonOnly` asks for a body without fastjson's non-string map keys. */
export const GetRouteInfoRequestHeader = defineHeader('GetRouteInfoRequestHeader', {
  topic: { type: 'string', required: true },
  acceptStandardJsonOnly: { type: 'bool' },
  ...TOPIC_RPC_FIELDS,
});
export type GetRouteInfoRequestHeader = HeaderOf<typeof GetRouteInfoRequestHeader>;

/** REGISTER_BROKER (103); body = RegisterBrokerBody. `bodyCrc32` 0 ⇒ the NameServer skips the CRC check. */
export const RegisterBrokerRequestHeader = defineHeader('RegisterBrokerRequestHeader', {
  brokerName: { type: 'string', required: true },
  brokerAddr: { type: 'string', required: true },
  clusterName: { type: 'string', required: true },
  haServerAddr: { type: 'string', required: true },
  brokerId: { type: 'long', required: true },
  heartbeatTimeoutMillis: { type: 'long' },
  enableActingMaster: { type: 'bool' },
  compressed: { type: 'bool' },
  bodyCrc32: { type: 'int' },
});
export type RegisterBrokerRequestHeader = HeaderOf<typeof RegisterBrokerRequestHeader>;

/** REGISTER_BROKER response: master's addresses, filled only for a slave registrant while the master is alive. */
export const RegisterBrokerResponseHeader = defineHeader('RegisterBrokerResponseHeader', {
  haServerAddr: { type: 'string' },
  masterAddr: { type: 'string' },
});
export type RegisterBrokerResponseHeader = HeaderOf<typeof RegisterBrokerResponseHeader>;

const BROKER_IDENTITY = {
  brokerName: { type: 'string', required: true },
  brokerAddr: { type: 'string', required: true },
  clusterName: { type: 'string', required: true },
  brokerId: { type: 'long', required: true },
} as const;

/** UNREGISTER_BROKER (104). */
export const UnRegisterBrokerRequestHeader = defineHeader('UnRegisterBrokerRequestHeader', { ...BROKER_IDENTITY });
export type UnRegisterBrokerRequestHeader = HeaderOf<typeof UnRegisterBrokerRequestHeader>;

/** QUERY_DATA_VERSION (322); body = the broker's DataVersion. */
export const QueryDataVersionRequestHeader = defineHeader('QueryDataVersionRequestHeader', { ...BROKER_IDENTITY });
export type QueryDataVersionRequestHeader = HeaderOf<typeof QueryDataVersionRequestHeader>;

/** QUERY_DATA_VERSION response: whether the NameServer's DataVersion differs; body = the NameServer's DataVersion. */
export const QueryDataVersionResponseHeader = defineHeader('QueryDataVersionResponseHeader', {
  changed: { type: 'bool', required: true },
});
export type QueryDataVersionResponseHeader = HeaderOf<typeof QueryDataVersionResponseHeader>;

/** BROKER_HEARTBEAT (904, 5.x): lightweight keep-alive. `heartbeatTimeoutMills` is spelled as in Java. */
export const BrokerHeartbeatRequestHeader = defineHeader('BrokerHeartbeatRequestHeader', {
  clusterName: { type: 'string', required: true },
  brokerAddr: { type: 'string', required: true },
  brokerName: { type: 'string', required: true },
  brokerId: { type: 'long' },
  epoch: { type: 'int' },
  maxOffset: { type: 'long' },
  confirmOffset: { type: 'long' },
  heartbeatTimeoutMills: { type: 'long' },
  electionPriority: { type: 'int' },
});
export type BrokerHeartbeatRequestHeader = HeaderOf<typeof BrokerHeartbeatRequestHeader>;

/** PUT_KV_CONFIG (100). */
export const PutKVConfigRequestHeader = defineHeader('PutKVConfigRequestHeader', {
  namespace: { type: 'string', required: true },
  key: { type: 'string', required: true },
  value: { type: 'string', required: true },
});
export type PutKVConfigRequestHeader = HeaderOf<typeof PutKVConfigRequestHeader>;

/** GET_KV_CONFIG (101); not found ⇒ QUERY_NOT_FOUND. */
export const GetKVConfigRequestHeader = defineHeader('GetKVConfigRequestHeader', {
  namespace: { type: 'string', required: true },
  key: { type: 'string', required: true },
});
export type GetKVConfigRequestHeader = HeaderOf<typeof GetKVConfigRequestHeader>;

/** GET_KV_CONFIG response. */
export const GetKVConfigResponseHeader = defineHeader('GetKVConfigResponseHeader', {
  value: { type: 'string' },
});
export type GetKVConfigResponseHeader = HeaderOf<typeof GetKVConfigResponseHeader>;

/** DELETE_KV_CONFIG (102). */
export const DeleteKVConfigRequestHeader = defineHeader('DeleteKVConfigRequestHeader', {
  namespace: { type: 'string', required: true },
  key: { type: 'string', required: true },
});
export type DeleteKVConfigRequestHeader = HeaderOf<typeof DeleteKVConfigRequestHeader>;

/** GET_KVLIST_BY_NAMESPACE (219) → body KVTable, or QUERY_NOT_FOUND. */
export const GetKVListByNamespaceRequestHeader = defineHeader('GetKVListByNamespaceRequestHeader', {
  namespace: { type: 'string', required: true },
});
export type GetKVListByNamespaceRequestHeader = HeaderOf<typeof GetKVListByNamespaceRequestHeader>;

/** DELETE_TOPIC_IN_NAMESRV (216); without `clusterName` the topic goes from every cluster. */
export const DeleteTopicFromNamesrvRequestHeader = defineHeader('DeleteTopicFromNamesrvRequestHeader', {
  topic: { type: 'string', required: true },
  clusterName: { type: 'string' },
  ...RPC_FIELDS,
});
export type DeleteTopicFromNamesrvRequestHeader = HeaderOf<typeof DeleteTopicFromNamesrvRequestHeader>;

/** REGISTER_TOPIC_IN_NAMESRV (217, 5.x); body = TopicRouteData (queueDatas used). */
export const RegisterTopicRequestHeader = defineHeader('RegisterTopicRequestHeader', {
  topic: { type: 'string', required: true },
  ...TOPIC_RPC_FIELDS,
});
export type RegisterTopicRequestHeader = HeaderOf<typeof RegisterTopicRequestHeader>;

/** GET_TOPICS_BY_CLUSTER (224) → body TopicList. */
export const GetTopicsByClusterRequestHeader = defineHeader('GetTopicsByClusterRequestHeader', {
  cluster: { type: 'string', required: true },
  ...RPC_FIELDS,
});
export type GetTopicsByClusterRequestHeader = HeaderOf<typeof GetTopicsByClusterRequestHeader>;

/** WIPE_WRITE_PERM_OF_BROKER (205). */
export const WipeWritePermOfBrokerRequestHeader = defineHeader('WipeWritePermOfBrokerRequestHeader', {
  brokerName: { type: 'string', required: true },
});
export type WipeWritePermOfBrokerRequestHeader = HeaderOf<typeof WipeWritePermOfBrokerRequestHeader>;

/** WIPE_WRITE_PERM_OF_BROKER response: how many topics lost write permission. */
export const WipeWritePermOfBrokerResponseHeader = defineHeader('WipeWritePermOfBrokerResponseHeader', {
  wipeTopicCount: { type: 'int', required: true },
});
export type WipeWritePermOfBrokerResponseHeader = HeaderOf<typeof WipeWritePermOfBrokerResponseHeader>;

/** ADD_WRITE_PERM_OF_BROKER (327). */
export const AddWritePermOfBrokerRequestHeader = defineHeader('AddWritePermOfBrokerRequestHeader', {
  brokerName: { type: 'string', required: true },
});
export type AddWritePermOfBrokerRequestHeader = HeaderOf<typeof AddWritePermOfBrokerRequestHeader>;

/** ADD_WRITE_PERM_OF_BROKER response: how many topics got write permission back. */
export const AddWritePermOfBrokerResponseHeader = defineHeader('AddWritePermOfBrokerResponseHeader', {
  addTopicCount: { type: 'int', required: true },
});
export type AddWritePermOfBrokerResponseHeader = HeaderOf<typeof AddWritePermOfBrokerResponseHeader>;
