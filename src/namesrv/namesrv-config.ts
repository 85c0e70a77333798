import { homedir } from 'node:os';
import { join } from 'node:path';
import { type ConfigOf, defineSchema, formatConfig, type ResolveOptions, resolveConfig } from '../common/config.js';

/**
 * NameServer configuration: the keys of Java's NamesrvConfig and NettyServerConfig that mean something here, with
 * the same names and defaults, plus `listenAddress` (the bind host).
 */
export const namesrvConfigSchema = defineSchema({
  listenPort: { type: 'int', default: 9876, min: 0, max: 65535, doc: 'TCP port the NameServer listens on' },
  listenAddress: { type: 'string', default: '0.0.0.0', doc: 'host/IP the NameServer binds to' },
  kvConfigPath: {
    type: 'string',
    default: join(homedir(), 'namesrv', 'kvConfig.json'),
    doc: 'file where PUT_KV_CONFIG entries are persisted',
  },
  configStorePath: {
    type: 'string',
    default: join(homedir(), 'namesrv', 'namesrv.properties'),
    doc: 'accepted for compatibility; UPDATE_NAMESRV_CONFIG changes are kept in memory only',
  },
  productEnvName: { type: 'string', default: 'center', doc: 'environment name (informational)' },
  clusterTest: { type: 'bool', default: false, doc: 'accepted for compatibility; no effect' },
  orderMessageEnable: {
    type: 'bool',
    default: false,
    doc: 'add orderTopicConf (KV namespace ORDER_TOPIC_CONFIG) to route bodies',
  },
  returnOrderTopicConfigToBroker: {
    type: 'bool',
    default: true,
    doc: 'answer REGISTER_BROKER with the ORDER_TOPIC_CONFIG KV table',
  },
  scanNotActiveBrokerInterval: {
    type: 'long',
    default: 5000,
    min: 100,
    doc: 'ms between scans for brokers whose registration expired',
  },
  supportActingMaster: {
    type: 'bool',
    default: false,
    doc: 'in routes, show the smallest-id slave of a master-less read-only group as id 0',
  },
  enableAllTopicList: { type: 'bool', default: true, doc: 'serve GET_ALL_TOPIC_LIST_FROM_NAMESERVER' },
  enableTopicList: {
    type: 'bool',
    default: true,
    doc: 'serve GET_TOPICS_BY_CLUSTER and GET_SYSTEM_TOPIC_LIST_FROM_NS',
  },
  notifyMinBrokerIdChanged: { type: 'bool', default: false, doc: 'accepted for compatibility; not implemented' },
  deleteTopicWithBrokerRegistration: {
    type: 'bool',
    default: false,
    doc: "on a master's registration, drop its queues for topics missing from its topic table",
  },
  configBlackList: {
    type: 'string',
    default: 'configBlackList;configStorePath;kvConfigPath',
    doc: 'keys UPDATE_NAMESRV_CONFIG may not change (";"-separated)',
  },
  serverChannelMaxIdleTimeSeconds: {
    type: 'int',
    default: 120,
    min: 0,
    doc: 'close connections idle this long (0 = never)',
  },
});

/** Literal default types (`false`, `9876`) widened to their base types. */
type Widen<T> = T extends boolean ? boolean : T extends number ? number : T extends string ? string : T;

/** The effective NameServer configuration. */
export type NamesrvConfig = {
  [K in keyof ConfigOf<typeof namesrvConfigSchema>]: Widen<ConfigOf<typeof namesrvConfigSchema>[K]>;
};

/** Keys whose new value only applies after a restart. */
export const RESTART_REQUIRED_KEYS: ReadonlySet<string> = new Set([
  'listenPort',
  'listenAddress',
  'kvConfigPath',
  'serverChannelMaxIdleTimeSeconds',
]);

/** Defaults overlaid with `input`; throws RocketMQError CONFIG_INVALID naming the first bad key. */
export function resolveNamesrvConfig(
  input: Map<string, string> | Record<string, unknown> = {},
  options: ResolveOptions = {},
): NamesrvConfig {
  return resolveConfig(namesrvConfigSchema, input, options);
}

/** The configuration as properties text, keys in schema order (what `-p` and GET_NAMESRV_CONFIG print). */
export function formatNamesrvConfig(config: NamesrvConfig): string {
  return formatConfig(namesrvConfigSchema, config as ConfigOf<typeof namesrvConfigSchema>);
}
