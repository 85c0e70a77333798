/**
 * Parity inventory (style.md #12): who serves each RocketMQ request code, from reference §2.1's "served by" column —
 * where rocketmq-ts answers it once implemented. It is the map, not the list of what works today: a server answers a
 * code it has no handler for with REQUEST_CODE_NOT_SUPPORTED, and docs/broker.md and docs/namesrv.md list what they
 * serve.
 */
import type { RequestCodeName } from './request-code.js';

/** Who answers a request code: the NameServer, the broker, the client SDK (broker → client calls), or nobody. */
export type ServedBy = 'namesrv' | 'broker' | 'client' | 'out-of-scope';

/** One row of the inventory. */
export interface ParityEntry {
  readonly name: RequestCodeName;
  readonly servedBy: ServedBy;
  /** Why, in a few words. */
  readonly reason: string;
}

const NOT_SERVED_BY_JAVA = 'defined but answered REQUEST_CODE_NOT_SUPPORTED by the Java 5.x broker';
const CONTROLLER = '5.x controller mode (automatic failover), not implemented';
const ACL1 = 'ACL 1.0 admin, removed at Java HEAD';
const ACL2 = 'ACL 2.0 admin, not implemented';

function row(name: RequestCodeName, servedBy: ServedBy, reason: string): ParityEntry {
  return { name, servedBy, reason };
}

/** Every request code exactly once (checked by test/protocol/request-code-parity.test.ts). */
export const REQUEST_CODE_PARITY: readonly ParityEntry[] = [
  // client data plane
  row('SEND_MESSAGE', 'broker', 'send, V1 header'),
  row('SEND_MESSAGE_V2', 'broker', 'send, V2 header (Java client default)'),
  row('SEND_BATCH_MESSAGE', 'broker', 'batch send'),
  row('SEND_REPLY_MESSAGE', 'broker', 'request-reply'),
  row('SEND_REPLY_MESSAGE_V2', 'broker', 'request-reply, V2 header'),
  row('PUSH_REPLY_MESSAGE_TO_CLIENT', 'client', 'broker pushes the reply to the requester'),
  row('RECALL_MESSAGE', 'broker', '5.x recall of delay/timer messages'),
  row('PULL_MESSAGE', 'broker', 'pull / long polling'),
  row('LITE_PULL_MESSAGE', 'broker', 'lite pull consumer'),
  row('QUERY_MESSAGE', 'broker', 'query by key / unique key'),
  row('VIEW_MESSAGE_BY_ID', 'broker', 'view by commitlog offset'),
  row('HEART_BEAT', 'broker', 'client heartbeat'),
  row('UNREGISTER_CLIENT', 'broker', 'client shutdown'),
  row('CHECK_CLIENT_CONFIG', 'broker', 'subscription validation'),
  row('CONSUMER_SEND_MSG_BACK', 'broker', 'retry / DLQ'),
  row('END_TRANSACTION', 'broker', 'commit / rollback half message'),
  row('CHECK_TRANSACTION_STATE', 'client', 'broker checks back with the producer'),
  row('GET_CONSUMER_LIST_BY_GROUP', 'broker', 'rebalance input'),
  row('NOTIFY_CONSUMER_IDS_CHANGED', 'client', 'broker asks consumers to rebalance'),
  row('LOCK_BATCH_MQ', 'broker', 'orderly consumption locks'),
  row('UNLOCK_BATCH_MQ', 'broker', 'orderly consumption locks'),
  row('QUERY_CONSUMER_OFFSET', 'broker', 'consumer offsets'),
  row('UPDATE_CONSUMER_OFFSET', 'broker', 'consumer offsets'),
  row('GET_MAX_OFFSET', 'broker', 'queue offsets'),
  row('GET_MIN_OFFSET', 'broker', 'queue offsets'),
  row('SEARCH_OFFSET_BY_TIMESTAMP', 'broker', 'queue offsets'),
  row('GET_EARLIEST_MSG_STORETIME', 'broker', 'queue offsets'),
  row('QUERY_ASSIGNMENT', 'broker', '5.x server-side rebalance'),
  row('SET_MESSAGE_REQUEST_MODE', 'broker', '5.x server-side rebalance'),
  row('GET_ALL_MESSAGE_REQUEST_MODE', 'broker', '5.x server-side rebalance'),
  row('POP_MESSAGE', 'broker', '5.x POP consumption'),
  row('ACK_MESSAGE', 'broker', '5.x POP consumption'),
  row('BATCH_ACK_MESSAGE', 'broker', '5.x POP consumption'),
  row('PEEK_MESSAGE', 'broker', '5.x POP consumption'),
  row('CHANGE_MESSAGE_INVISIBLETIME', 'broker', '5.x POP consumption'),
  row('NOTIFICATION', 'broker', '5.x POP consumption'),
  row('POLLING_INFO', 'broker', '5.x POP consumption'),
  row('POP_ROLLBACK', 'out-of-scope', 'admin-only POP rollback, no client sends it'),
  // NameServer
  row('PUT_KV_CONFIG', 'namesrv', 'KV config'),
  row('GET_KV_CONFIG', 'namesrv', 'KV config'),
  row('DELETE_KV_CONFIG', 'namesrv', 'KV config'),
  row('GET_KVLIST_BY_NAMESPACE', 'namesrv', 'KV config'),
  row('REGISTER_BROKER', 'namesrv', 'broker registration'),
  row('UNREGISTER_BROKER', 'namesrv', 'broker registration'),
  row('BROKER_HEARTBEAT', 'namesrv', '5.x lightweight broker keep-alive'),
  row('QUERY_DATA_VERSION', 'namesrv', 'broker registration shortcut'),
  row('GET_ROUTEINFO_BY_TOPIC', 'namesrv', 'topic routes'),
  row('GET_BROKER_CLUSTER_INFO', 'namesrv', 'cluster info'),
  row('WIPE_WRITE_PERM_OF_BROKER', 'namesrv', 'broker write permission'),
  row('ADD_WRITE_PERM_OF_BROKER', 'namesrv', 'broker write permission'),
  row('GET_ALL_TOPIC_LIST_FROM_NAMESERVER', 'namesrv', 'topic list'),
  row('DELETE_TOPIC_IN_NAMESRV', 'namesrv', 'topic admin'),
  row('REGISTER_TOPIC_IN_NAMESRV', 'namesrv', '5.x topic registration'),
  row('GET_TOPICS_BY_CLUSTER', 'namesrv', 'topic list'),
  row('GET_SYSTEM_TOPIC_LIST_FROM_NS', 'namesrv', 'topic list'),
  row('GET_UNIT_TOPIC_LIST', 'namesrv', 'legacy unit topic list'),
  row('GET_HAS_UNIT_SUB_TOPIC_LIST', 'namesrv', 'legacy unit topic list'),
  row('GET_HAS_UNIT_SUB_UNUNIT_TOPIC_LIST', 'namesrv', 'legacy unit topic list'),
  row('UPDATE_NAMESRV_CONFIG', 'namesrv', 'NameServer config'),
  row('GET_NAMESRV_CONFIG', 'namesrv', 'NameServer config'),
  row('GET_BROKER_MEMBER_GROUP', 'namesrv', '5.x broker member group'),
  // broker admin
  row('UPDATE_AND_CREATE_TOPIC', 'broker', 'topic admin'),
  row('UPDATE_AND_CREATE_TOPIC_LIST', 'broker', '5.x topic admin'),
  row('DELETE_TOPIC_IN_BROKER', 'broker', 'topic admin'),
  row('GET_ALL_TOPIC_CONFIG', 'broker', 'topic admin / slave sync'),
  row('GET_TOPIC_CONFIG', 'broker', '5.x topic admin'),
  row('GET_TOPIC_STATS_INFO', 'broker', 'stats'),
  row('GET_CONSUME_STATS', 'broker', 'stats'),
  row('GET_BROKER_CONSUME_STATS', 'broker', 'stats'),
  row('GET_CONSUMER_CONNECTION_LIST', 'broker', 'connections'),
  row('GET_PRODUCER_CONNECTION_LIST', 'broker', 'connections'),
  row('GET_ALL_PRODUCER_INFO', 'broker', 'connections'),
  row('UPDATE_AND_CREATE_SUBSCRIPTIONGROUP', 'broker', 'group admin'),
  row('UPDATE_AND_CREATE_SUBSCRIPTIONGROUP_LIST', 'broker', '5.x group admin'),
  row('GET_ALL_SUBSCRIPTIONGROUP_CONFIG', 'broker', 'group admin / slave sync'),
  row('GET_SUBSCRIPTIONGROUP_CONFIG', 'broker', '5.x group admin'),
  row('DELETE_SUBSCRIPTIONGROUP', 'broker', 'group admin'),
  row('GET_ALL_CONSUMER_OFFSET', 'broker', 'slave sync'),
  row('GET_ALL_DELAY_OFFSET', 'broker', 'slave sync'),
  row('UPDATE_BROKER_CONFIG', 'broker', 'broker config'),
  row('GET_BROKER_CONFIG', 'broker', 'broker config'),
  row('GET_BROKER_RUNTIME_INFO', 'broker', 'runtime info'),
  row('INVOKE_BROKER_TO_RESET_OFFSET', 'broker', 'offset reset, pushes RESET_CONSUMER_CLIENT_OFFSET'),
  row('RESET_CONSUMER_CLIENT_OFFSET', 'client', 'broker pushes the reset offsets'),
  row('INVOKE_BROKER_TO_GET_CONSUMER_STATUS', 'broker', 'asks clients for their offsets'),
  row('GET_CONSUMER_STATUS_FROM_CLIENT', 'client', 'broker asks the client for its offsets'),
  row('GET_CONSUMER_RUNNING_INFO', 'broker', 'forwarded to the client, which serves it too'),
  row('CONSUME_MESSAGE_DIRECTLY', 'broker', 'forwarded to the client, which serves it too'),
  row('QUERY_TOPIC_CONSUME_BY_WHO', 'broker', 'group list of a topic'),
  row('QUERY_TOPICS_BY_CONSUMER', 'broker', 'topics of a group'),
  row('QUERY_SUBSCRIPTION_BY_CONSUMER', 'broker', 'subscription of a group'),
  row('QUERY_CONSUME_TIME_SPAN', 'broker', 'consume time span'),
  row('GET_SYSTEM_TOPIC_LIST_FROM_BROKER', 'broker', 'topic list'),
  row('CLEAN_EXPIRED_CONSUMEQUEUE', 'broker', 'maintenance'),
  row('DELETE_EXPIRED_COMMITLOG', 'broker', 'maintenance'),
  row('CLEAN_UNUSED_TOPIC', 'broker', 'maintenance'),
  row('QUERY_CORRECTION_OFFSET', 'broker', 'correction offset'),
  row('CLONE_GROUP_OFFSET', 'broker', 'offset admin'),
  row('VIEW_BROKER_STATS_DATA', 'broker', 'stats'),
  row('QUERY_CONSUME_QUEUE', 'broker', 'debug: consume queue entries'),
  row('RESUME_CHECK_HALF_MESSAGE', 'broker', 'transaction admin'),
  row('UPDATE_AND_GET_GROUP_FORBIDDEN', 'broker', '5.x group forbidden flags'),
  row('GET_TIMER_CHECK_POINT', 'broker', '5.x timer slave sync'),
  row('GET_TIMER_METRICS', 'broker', '5.x timer slave sync'),
  row('GET_BROKER_HA_STATUS', 'broker', 'HA status for mqadmin'),
  // out of scope
  row('QUERY_BROKER_OFFSET', 'out-of-scope', NOT_SERVED_BY_JAVA),
  row('GET_TOPIC_CONFIG_LIST', 'out-of-scope', NOT_SERVED_BY_JAVA),
  row('GET_TOPIC_NAME_LIST', 'out-of-scope', NOT_SERVED_BY_JAVA),
  row('TRIGGER_DELETE_FILES', 'out-of-scope', NOT_SERVED_BY_JAVA),
  row('GET_CLIENT_CONFIG', 'out-of-scope', NOT_SERVED_BY_JAVA),
  row('SUSPEND_CONSUMER', 'out-of-scope', NOT_SERVED_BY_JAVA),
  row('RESUME_CONSUMER', 'out-of-scope', NOT_SERVED_BY_JAVA),
  row('RESET_CONSUMER_OFFSET_IN_CONSUMER', 'out-of-scope', NOT_SERVED_BY_JAVA),
  row('RESET_CONSUMER_OFFSET_IN_BROKER', 'out-of-scope', NOT_SERVED_BY_JAVA),
  row('ADJUST_CONSUMER_THREAD_POOL', 'out-of-scope', NOT_SERVED_BY_JAVA),
  row('WHO_CONSUME_THE_MESSAGE', 'out-of-scope', NOT_SERVED_BY_JAVA),
  row('REGISTER_FILTER_SERVER', 'out-of-scope', 'filter server, removed in Java 5.x'),
  row('REGISTER_MESSAGE_FILTER_CLASS', 'out-of-scope', 'filter server, removed in Java 5.x'),
  row('UPDATE_AND_CREATE_ACL_CONFIG', 'out-of-scope', ACL1),
  row('DELETE_ACL_CONFIG', 'out-of-scope', ACL1),
  row('GET_BROKER_CLUSTER_ACL_INFO', 'out-of-scope', ACL1),
  row('UPDATE_GLOBAL_WHITE_ADDRS_CONFIG', 'out-of-scope', ACL1),
  row('GET_BROKER_CLUSTER_ACL_CONFIG', 'out-of-scope', ACL1),
  row('AUTH_CREATE_USER', 'out-of-scope', ACL2),
  row('AUTH_UPDATE_USER', 'out-of-scope', ACL2),
  row('AUTH_DELETE_USER', 'out-of-scope', ACL2),
  row('AUTH_GET_USER', 'out-of-scope', ACL2),
  row('AUTH_LIST_USER', 'out-of-scope', ACL2),
  row('AUTH_CREATE_ACL', 'out-of-scope', ACL2),
  row('AUTH_UPDATE_ACL', 'out-of-scope', ACL2),
  row('AUTH_DELETE_ACL', 'out-of-scope', ACL2),
  row('AUTH_GET_ACL', 'out-of-scope', ACL2),
  row('AUTH_LIST_ACL', 'out-of-scope', ACL2),
  row('UPDATE_AND_CREATE_STATIC_TOPIC', 'out-of-scope', '5.x static topics (logical queues), not implemented'),
  row('CHECK_ROCKSDB_CQ_WRITE_PROGRESS', 'out-of-scope', 'RocksDB consume queue store, not implemented'),
  row('ADD_BROKER', 'out-of-scope', '5.x broker container, not implemented'),
  row('REMOVE_BROKER', 'out-of-scope', '5.x broker container, not implemented'),
  row('NOTIFY_MIN_BROKER_ID_CHANGE', 'out-of-scope', CONTROLLER),
  row('EXCHANGE_BROKER_HA_INFO', 'out-of-scope', CONTROLLER),
  row('RESET_MASTER_FLUSH_OFFSET', 'out-of-scope', CONTROLLER),
  row('CONTROLLER_ALTER_SYNC_STATE_SET', 'out-of-scope', CONTROLLER),
  row('CONTROLLER_ELECT_MASTER', 'out-of-scope', CONTROLLER),
  row('CONTROLLER_REGISTER_BROKER', 'out-of-scope', CONTROLLER),
  row('CONTROLLER_GET_REPLICA_INFO', 'out-of-scope', CONTROLLER),
  row('CONTROLLER_GET_METADATA_INFO', 'out-of-scope', CONTROLLER),
  row('CONTROLLER_GET_SYNC_STATE_DATA', 'out-of-scope', CONTROLLER),
  row('GET_BROKER_EPOCH_CACHE', 'out-of-scope', CONTROLLER),
  row('NOTIFY_BROKER_ROLE_CHANGED', 'out-of-scope', CONTROLLER),
  row('UPDATE_CONTROLLER_CONFIG', 'out-of-scope', CONTROLLER),
  row('GET_CONTROLLER_CONFIG', 'out-of-scope', CONTROLLER),
  row('CLEAN_BROKER_DATA', 'out-of-scope', CONTROLLER),
  row('CONTROLLER_GET_NEXT_BROKER_ID', 'out-of-scope', CONTROLLER),
  row('CONTROLLER_APPLY_BROKER_ID', 'out-of-scope', CONTROLLER),
  row('BROKER_CLOSE_CHANNEL_REQUEST', 'out-of-scope', CONTROLLER),
  row('CHECK_NOT_ACTIVE_BROKER_REQUEST', 'out-of-scope', CONTROLLER),
  row('GET_BROKER_LIVE_INFO_REQUEST', 'out-of-scope', CONTROLLER),
  row('GET_SYNC_STATE_DATA_REQUEST', 'out-of-scope', CONTROLLER),
  row('RAFT_BROKER_HEART_BEAT_EVENT_REQUEST', 'out-of-scope', CONTROLLER),
  row('UPDATE_COLD_DATA_FLOW_CTR_CONFIG', 'out-of-scope', '5.x cold-data flow control, not implemented'),
  row('REMOVE_COLD_DATA_FLOW_CTR_CONFIG', 'out-of-scope', '5.x cold-data flow control, not implemented'),
  row('GET_COLD_DATA_FLOW_CTR_INFO', 'out-of-scope', '5.x cold-data flow control, not implemented'),
  row('SET_COMMITLOG_READ_MODE', 'out-of-scope', '5.x cold-data read mode, not implemented'),
];

/** The request code names `servedBy` is expected to implement. */
export function requestCodesServedBy(servedBy: ServedBy): RequestCodeName[] {
  return REQUEST_CODE_PARITY.filter((e) => e.servedBy === servedBy).map((e) => e.name);
}
