/**
 * The data the NameServer keeps and serves (reference §4.1, §4.3, §4.5), as plain TypeScript shapes. JSON forms are
 * built in route-body.ts; decoding of broker bodies lives in register-body.ts.
 */

/** `PermName` bits (reference §6.1). */
export const Perm = { PRIORITY: 8, READ: 4, WRITE: 2, INHERIT: 1 } as const;

/** Broker id of a master. */
export const MASTER_ID = 0;

/** A broker's topic-table version: `{counter, stateVersion, timestamp}`. */
export interface DataVersion {
  timestamp: number;
  counter: number;
  /** 5.x; 0 from 4.x brokers. */
  stateVersion: number;
}

/** One topic as a broker registers it (only the fields the NameServer uses). */
export interface TopicConfig {
  topicName: string;
  readQueueNums: number;
  writeQueueNums: number;
  perm: number;
  topicSysFlag: number;
}

/** A broker's topic table with its version (TopicConfigSerializeWrapper). */
export interface TopicConfigWrapper {
  dataVersion: DataVersion;
  topicConfigTable: Map<string, TopicConfig>;
}

/** The queues one broker group serves for one topic. */
export interface QueueData {
  brokerName: string;
  readQueueNums: number;
  writeQueueNums: number;
  perm: number;
  topicSysFlag: number;
}

/** One broker group: its cluster, name and the address of each member by broker id (0 = master). */
export interface BrokerData {
  cluster: string;
  brokerName: string;
  brokerAddrs: Map<number, string>;
  enableActingMaster: boolean;
  zoneName?: string | undefined;
}

/** The route of one topic (body of GET_ROUTEINFO_BY_TOPIC). */
export interface TopicRouteData {
  brokerDatas: BrokerData[];
  queueDatas: QueueData[];
  /** brokerAddr → filter server addresses; normally empty. */
  filterServerTable: Map<string, string[]>;
  /** `"broker-a:4;broker-b:4"`, only when orderMessageEnable and a KV entry exists. */
  orderTopicConf?: string | undefined;
}

/** The body of GET_BROKER_CLUSTER_INFO. */
export interface ClusterInfo {
  brokerAddrTable: Map<string, BrokerData>;
  clusterAddrTable: Map<string, Set<string>>;
}

/** Body of the topic-list answers (GET_ALL_TOPIC_LIST_FROM_NAMESERVER and friends). */
export interface TopicList {
  topicList: string[];
  brokerAddr?: string | undefined;
}

export function isWritable(perm: number): boolean {
  return (perm & Perm.WRITE) === Perm.WRITE;
}

export function sameDataVersion(a: DataVersion, b: DataVersion): boolean {
  return a.counter === b.counter && a.timestamp === b.timestamp && a.stateVersion === b.stateVersion;
}
