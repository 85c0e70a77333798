import {
  type ConfigOf,
  defineSchema,
  type EnumSpec,
  type FieldSpec,
  formatConfig,
  type ResolveOptions,
  resolveConfig,
} from '../common/config.js';
import { storeConfigSchema } from '../store/config.js';
import { DEFAULT_MESSAGE_DELAY_LEVEL } from './delay-levels.js';
import { timerConfigSchema } from './timer/timer-config.js';
import { transactionConfigSchema } from './transaction/config.js';

/**
 * Broker configuration: the keys of Java's BrokerConfig, NettyServerConfig and MessageStoreConfig that mean
 * something here, with the Java names and defaults (reference §6.11), so one `broker.conf` configures the broker and
 * its store. Additions: `listenAddress` (the bind host) and `advertisedAddress`.
 */
export const brokerConfigSchema = defineSchema({
  ...storeConfigSchema,
  ...transactionConfigSchema,
  ...timerConfigSchema,
  brokerClusterName: { type: 'string', default: 'DefaultCluster', doc: 'Cluster this broker registers under' },
  brokerName: {
    type: 'string',
    default: 'broker-a',
    doc: 'Broker group name (Java defaults to the hostname; rocketmq-ts uses broker-a)',
  },
  brokerId: { type: 'long', default: 0, min: 0, doc: '0 = master, > 0 = slave (forced 0 for *_MASTER roles)' },
  listenAddress: { type: 'string', default: '0.0.0.0', doc: 'rocketmq-ts: host/IP the broker binds to' },
  listenPort: { type: 'int', default: 10911, min: 0, max: 65535, doc: 'TCP port the broker listens on (0 = any)' },
  brokerIP1: {
    type: 'string',
    default: '127.0.0.1',
    doc: 'Address registered with the NameServers and written into message ids',
  },
  brokerIP2: { type: 'string', default: '', doc: 'HA address (accepted for compatibility; empty = brokerIP1)' },
  advertisedAddress: {
    type: 'string',
    default: '',
    doc: 'rocketmq-ts: host:port to register instead of brokerIP1:<bound port> (e.g. behind NAT)',
  },
  namesrvAddr: { type: 'string', default: '', doc: 'NameServer addresses, host:port separated by ";"' },
  brokerRole: {
    type: 'enum',
    values: ['ASYNC_MASTER', 'SYNC_MASTER', 'SLAVE'] as const,
    default: 'ASYNC_MASTER',
    doc: 'ASYNC_MASTER or SYNC_MASTER accept writes; SLAVE rejects them',
  },
  brokerPermission: { type: 'int', default: 6, min: 0, max: 7, doc: 'PermName bits: 4 read, 2 write, 1 inherit' },
  autoCreateTopicEnable: { type: 'bool', default: true, doc: 'Create unknown topics on first send (via TBW102)' },
  autoCreateSubscriptionGroup: { type: 'bool', default: true, doc: 'Create unknown consumer groups on first use' },
  defaultTopicQueueNums: { type: 'int', default: 8, min: 1, max: 1024, doc: 'Queues of auto-created topics' },
  clusterTopicEnable: { type: 'bool', default: true, doc: 'Host a topic named after the cluster' },
  brokerTopicEnable: { type: 'bool', default: true, doc: 'Host a topic named after the broker' },
  traceTopicEnable: { type: 'bool', default: false, doc: 'Host the message trace topic' },
  msgTraceTopicName: { type: 'string', default: 'RMQ_SYS_TRACE_TOPIC', doc: 'Name of the message trace topic' },
  regionId: { type: 'string', default: 'DefaultRegion', doc: 'MSG_REGION ext field of every send response' },
  traceOn: { type: 'bool', default: true, doc: 'TRACE_ON ext field of every send response' },
  longPollingEnable: { type: 'bool', default: true, doc: 'Hold pulls that find nothing until a message arrives' },
  shortPollingTimeMills: {
    type: 'long',
    default: 1000,
    min: 0,
    doc: 'Hold time of a pull that asked for suspension while long polling is off (ms)',
  },
  slaveReadEnable: {
    type: 'bool',
    default: false,
    doc: 'A SLAVE serves pulls; otherwise it answers PULL_RETRY_IMMEDIATELY pointing at the master',
  },
  enablePropertyFilter: {
    type: 'bool',
    default: false,
    doc: 'SQL92 property filtering on pull and CHECK_CLIENT_CONFIG (docs/filters.md); off answers SQL92 with SYSTEM_ERROR',
  },
  registerBrokerTimeoutMills: { type: 'int', default: 24000, min: 100, doc: 'Timeout of one REGISTER_BROKER (ms)' },
  registerNameServerPeriod: {
    type: 'int',
    default: 30000,
    min: 1000,
    max: 60000,
    doc: 'Period of re-registration with the NameServers (ms, clamped to 10 000–60 000)',
  },
  forceRegister: {
    type: 'bool',
    default: true,
    doc: 'Accepted for compatibility; registration is always forced (no QUERY_DATA_VERSION first)',
  },
  clientChannelMaxIdleTimeSeconds: {
    type: 'int',
    default: 120,
    min: 1,
    doc: 'A client without heartbeat for this long is dropped (s)',
  },
  serverChannelMaxIdleTimeSeconds: {
    type: 'int',
    default: 120,
    min: 0,
    doc: 'Close connections idle this long (0 = never)',
  },
  flushConsumerOffsetInterval: { type: 'int', default: 5000, min: 100, doc: 'Consumer offset persist period (ms)' },
  maxMsgsNumBatch: {
    type: 'int',
    default: 64,
    min: 1,
    doc: 'Most messages one QUERY_MESSAGE returns',
  },
  defaultQueryMaxNum: {
    type: 'int',
    default: 32,
    min: 1,
    doc: 'maxNum of a QUERY_MESSAGE by UNIQ_KEY (_UNIQUE_KEY_QUERY), whatever the request asks',
  },
  rebalanceLockMaxLiveTime: {
    type: 'long',
    default: 60000,
    min: 1,
    doc: "Lifetime of an orderly queue lock without renewal (ms; Java's rocketmq.broker.rebalance.lockMaxLiveTime)",
  },
  maxTransferBytesOnMessageInMemory: {
    type: 'int',
    default: 262144,
    min: 1024,
    doc: 'Most bytes one pull returns',
  },
  maxTransferCountOnMessageInMemory: { type: 'int', default: 32, min: 1, doc: 'Most messages one pull returns' },
  messageDelayLevel: {
    type: 'string',
    default: DEFAULT_MESSAGE_DELAY_LEVEL,
    doc: 'Delay of each level (1, 2, ...) of delayed and retried messages: <n>s|m|h|d, space-separated',
  },
});

/** A spec's value type with the literal default widened (enums keep their union). */
type ValueType<F extends FieldSpec> =
  F extends EnumSpec<infer V>
    ? V
    : F['default'] extends string
      ? string
      : F['default'] extends number
        ? number
        : boolean;

type Schema = typeof brokerConfigSchema;

/** The effective broker configuration (broker and store keys). */
export type BrokerConfig = { -readonly [K in keyof Schema]: ValueType<Schema[K]> };

/** Keys whose new value only applies after a restart (UPDATE_BROKER_CONFIG keeps them for the next start). */
export const BROKER_RESTART_REQUIRED_KEYS: ReadonlySet<string> = new Set([
  'listenPort',
  'listenAddress',
  'brokerIP1',
  'advertisedAddress',
  'brokerName',
  'brokerClusterName',
  'brokerId',
  'storePathRootDir',
  'storePathCommitLog',
  'mappedFileSizeCommitLog',
  'mappedFileSizeConsumeQueue',
  'flushDiskType',
  'messageDelayLevel',
]);

/** Defaults overlaid with `input` (parsed broker.conf or typed values); throws RocketMQError CONFIG_INVALID. */
export function resolveBrokerConfig(
  input: Map<string, string> | Record<string, unknown> = {},
  options: ResolveOptions = {},
): BrokerConfig {
  return resolveConfig(brokerConfigSchema, input, options) as BrokerConfig;
}

/** The configuration as properties text, keys in schema order (what `-p` and GET_BROKER_CONFIG print). */
export function formatBrokerConfig(config: BrokerConfig): string {
  return formatConfig(brokerConfigSchema, config as ConfigOf<Schema>);
}
