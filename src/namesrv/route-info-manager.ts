import type { Logger } from '../common/logger.js';
import { silentLogger } from '../common/logger.js';
import {
  type BrokerData,
  type ClusterInfo,
  type DataVersion,
  isWritable,
  MASTER_ID,
  Perm,
  type QueueData,
  sameDataVersion,
  type TopicConfig,
  type TopicConfigWrapper,
  type TopicList,
  type TopicRouteData,
} from './route-types.js';

/** Default time a broker stays alive after its last registration or heartbeat. */
export const DEFAULT_BROKER_TIMEOUT_MS = 120_000;

/** A REGISTER_BROKER request, decoded. */
export interface BrokerRegistration {
  clusterName: string;
  brokerAddr: string;
  brokerName: string;
  brokerId: number;
  haServerAddr: string;
  zoneName?: string | undefined;
  /** 5.x per-broker expiry; DEFAULT_BROKER_TIMEOUT_MS when absent. */
  heartbeatTimeoutMillis?: number | undefined;
  /** undefined ⇒ a pre-5.x broker. */
  enableActingMaster?: boolean | undefined;
  topicConfigWrapper: TopicConfigWrapper;
  filterServerList: string[];
  /** The connection the registration came on; closing it unregisters the broker. */
  connection?: object | undefined;
}

/** What a registering broker is told: its master's address and HA address when it is a slave and the master lives. */
export interface RegisterBrokerResult {
  masterAddr?: string | undefined;
  haServerAddr?: string | undefined;
}

/** The identity of one broker process: group, id and address within a cluster. */
export interface BrokerIdentity {
  clusterName: string;
  brokerAddr: string;
  brokerName: string;
  brokerId: number;
}

/** Liveness record of one registered broker address. */
export interface BrokerLiveInfo extends BrokerIdentity {
  lastUpdateTimestamp: number;
  heartbeatTimeoutMillis: number;
  dataVersion: DataVersion;
  haServerAddr: string;
  connection?: object | undefined;
}

export interface RouteInfoManagerOptions {
  /** Milliseconds since the epoch; injectable for expiry tests. */
  now?: () => number;
  logger?: Logger;
  /** Called whenever the route of `topic` may have changed (undefined: any topic). Used to drop cached bodies. */
  onRouteChange?: (topic: string | undefined) => void;
  /** Rewrite the smallest slave id to 0 for master-less read-only acting-master groups (NamesrvConfig). */
  supportActingMaster?: () => boolean;
  /** Drop a master's queues of topics missing from its registration (NamesrvConfig). */
  deleteTopicWithBrokerRegistration?: () => boolean;
}

function liveKey(clusterName: string, brokerAddr: string): string {
  return `${clusterName}\u0000${brokerAddr}`;
}

function sameQueueData(a: QueueData, b: QueueData): boolean {
  return (
    a.readQueueNums === b.readQueueNums &&
    a.writeQueueNums === b.writeQueueNums &&
    a.perm === b.perm &&
    a.topicSysFlag === b.topicSysFlag
  );
}

/**
 * The NameServer's route registry: which broker groups serve which topic, where each group's members are, and which
 * broker addresses are alive. Single-threaded (one event loop), so no locks; every mutation that can change a route
 * reports it through `onRouteChange` so cached route bodies can be dropped.
 */
export class RouteInfoManager {
  /** topic → brokerName → queues. */
  readonly topicQueueTable = new Map<string, Map<string, QueueData>>();
  /** brokerName → group members. */
  readonly brokerAddrTable = new Map<string, BrokerData>();
  /** cluster → brokerNames. */
  readonly clusterAddrTable = new Map<string, Set<string>>();
  /** cluster + brokerAddr → liveness. */
  readonly brokerLiveTable = new Map<string, BrokerLiveInfo>();
  /** cluster + brokerAddr → filter server addresses. */
  readonly filterServerTable = new Map<string, string[]>();

  private readonly now: () => number;
  private readonly logger: Logger;
  private readonly onRouteChange: (topic: string | undefined) => void;
  private readonly supportActingMaster: () => boolean;
  private readonly deleteTopicWithBrokerRegistration: () => boolean;

  constructor(options: RouteInfoManagerOptions = {}) {
    this.now = options.now ?? Date.now;
    this.logger = options.logger ?? silentLogger;
    this.onRouteChange = options.onRouteChange ?? (() => {});
    this.supportActingMaster = options.supportActingMaster ?? (() => false);
    this.deleteTopicWithBrokerRegistration = options.deleteTopicWithBrokerRegistration ?? (() => false);
  }

  /**
   * Record a broker's registration (reference §4.4). Returns undefined when the registration is ignored because an
   * alive broker with a newer stateVersion holds the same id.
   */
  registerBroker(reg: BrokerRegistration): RegisterBrokerResult | undefined {
    const { clusterName, brokerAddr, brokerName, brokerId } = reg;
    let names = this.clusterAddrTable.get(clusterName);
    if (!names) {
      names = new Set();
      this.clusterAddrTable.set(clusterName, names);
    }
    names.add(brokerName);

    const enableActingMaster = reg.enableActingMaster ?? false;
    let brokerData = this.brokerAddrTable.get(brokerName);
    let groupChanged = false;
    if (!brokerData) {
      brokerData = { cluster: clusterName, brokerName, brokerAddrs: new Map(), enableActingMaster };
      if (reg.zoneName !== undefined) brokerData.zoneName = reg.zoneName;
      this.brokerAddrTable.set(brokerName, brokerData);
      groupChanged = true;
    } else {
      if (brokerData.enableActingMaster !== enableActingMaster) groupChanged = true;
      brokerData.enableActingMaster = enableActingMaster;
      if (reg.zoneName !== undefined && brokerData.zoneName !== reg.zoneName) {
        brokerData.zoneName = reg.zoneName;
        groupChanged = true;
      }
    }
    const addrs = brokerData.brokerAddrs;

    // A slave promoted to master (or the reverse) keeps its address under a new id: drop the old id.
    for (const [id, addr] of addrs) {
      if (addr === brokerAddr && id !== brokerId) {
        addrs.delete(id);
        groupChanged = true;
      }
    }

    const dataVersion = reg.topicConfigWrapper.dataVersion;
    const previousAddr = addrs.get(brokerId);
    if (previousAddr !== undefined && previousAddr !== brokerAddr) {
      const holder = this.brokerLiveTable.get(liveKey(clusterName, previousAddr));
      if (holder && holder.dataVersion.stateVersion > dataVersion.stateVersion) {
        this.logger.warn(
          { brokerName, brokerId, brokerAddr, holder: previousAddr },
          'registration ignored: the alive broker holding this id has a newer stateVersion',
        );
        this.brokerLiveTable.delete(liveKey(clusterName, brokerAddr));
        if (groupChanged) this.notifyBrokerGroup(brokerName);
        return undefined;
      }
    }
    if (previousAddr !== brokerAddr) {
      addrs.set(brokerId, brokerAddr);
      groupChanged = true;
    }
    const registerFirst = previousAddr === undefined;

    const isOldVersionBroker = reg.enableActingMaster === undefined;
    const isMaster = brokerId === MASTER_ID;
    const isPrimeSlave = !isOldVersionBroker && !isMaster && brokerId === Math.min(...addrs.keys());
    const key = liveKey(clusterName, brokerAddr);
    if (isMaster || isPrimeSlave) {
      const previous = this.brokerLiveTable.get(key);
      if (registerFirst || !previous || !sameDataVersion(previous.dataVersion, dataVersion)) {
        this.updateQueueDatas(brokerData, reg.topicConfigWrapper.topicConfigTable, isPrimeSlave);
      }
    }

    this.brokerLiveTable.set(key, {
      clusterName,
      brokerAddr,
      brokerName,
      brokerId,
      lastUpdateTimestamp: this.now(),
      heartbeatTimeoutMillis: reg.heartbeatTimeoutMillis ?? DEFAULT_BROKER_TIMEOUT_MS,
      dataVersion: { ...dataVersion },
      haServerAddr: reg.haServerAddr,
      connection: reg.connection,
    });

    if (reg.filterServerList.length > 0) {
      this.filterServerTable.set(key, [...reg.filterServerList]);
      groupChanged = true;
    } else if (this.filterServerTable.delete(key)) {
      groupChanged = true;
    }
    if (groupChanged) this.notifyBrokerGroup(brokerName);

    const result: RegisterBrokerResult = {};
    if (!isMaster) {
      const masterAddr = addrs.get(MASTER_ID);
      const master = masterAddr === undefined ? undefined : this.brokerLiveTable.get(liveKey(clusterName, masterAddr));
      if (masterAddr !== undefined && master) {
        result.masterAddr = masterAddr;
        result.haServerAddr = master.haServerAddr;
      }
    }
    return result;
  }

  private updateQueueDatas(broker: BrokerData, topics: Map<string, TopicConfig>, isPrimeSlave: boolean): void {
    for (const config of topics.values()) {
      let perm = config.perm;
      // An acting master (prime slave) serves reads only.
      if (isPrimeSlave && broker.enableActingMaster) perm &= ~Perm.WRITE;
      this.putQueueData(config.topicName, {
        brokerName: broker.brokerName,
        readQueueNums: config.readQueueNums,
        writeQueueNums: config.writeQueueNums,
        perm,
        topicSysFlag: config.topicSysFlag,
      });
    }
    if (this.deleteTopicWithBrokerRegistration()) {
      for (const [topic, queues] of this.topicQueueTable) {
        if (!topics.has(topic) && queues.delete(broker.brokerName)) {
          if (queues.size === 0) this.topicQueueTable.delete(topic);
          this.onRouteChange(topic);
        }
      }
    }
  }

  private putQueueData(topic: string, queueData: QueueData): void {
    let queues = this.topicQueueTable.get(topic);
    if (!queues) {
      queues = new Map();
      this.topicQueueTable.set(topic, queues);
      this.logger.info({ topic, queueData }, 'new topic registered');
    }
    const old = queues.get(queueData.brokerName);
    if (old && sameQueueData(old, queueData)) return;
    queues.set(queueData.brokerName, queueData);
    this.onRouteChange(topic);
  }

  /** Tell the cache that every topic served by `brokerName` may have a new route. */
  private notifyBrokerGroup(brokerName: string): void {
    for (const [topic, queues] of this.topicQueueTable) {
      if (queues.has(brokerName)) this.onRouteChange(topic);
    }
  }

  /** Remove one broker address; the group goes (with its queues) when its last member goes. */
  unregisterBroker(id: BrokerIdentity): void {
    const key = liveKey(id.clusterName, id.brokerAddr);
    this.brokerLiveTable.delete(key);
    this.filterServerTable.delete(key);
    const brokerData = this.brokerAddrTable.get(id.brokerName);
    if (!brokerData) return;
    if (brokerData.brokerAddrs.get(id.brokerId) === id.brokerAddr) brokerData.brokerAddrs.delete(id.brokerId);
    this.logger.info(id, 'broker unregistered');
    if (brokerData.brokerAddrs.size > 0) {
      this.notifyBrokerGroup(id.brokerName);
      return;
    }
    this.brokerAddrTable.delete(id.brokerName);
    const names = this.clusterAddrTable.get(id.clusterName);
    if (names) {
      names.delete(id.brokerName);
      if (names.size === 0) this.clusterAddrTable.delete(id.clusterName);
    }
    for (const [topic, queues] of this.topicQueueTable) {
      if (queues.delete(id.brokerName)) {
        if (queues.size === 0) this.topicQueueTable.delete(topic);
        this.onRouteChange(topic);
      }
    }
  }

  /** BROKER_HEARTBEAT / unchanged QUERY_DATA_VERSION: the broker is still there. */
  touchBroker(clusterName: string, brokerAddr: string): boolean {
    const live = this.brokerLiveTable.get(liveKey(clusterName, brokerAddr));
    if (!live) return false;
    live.lastUpdateTimestamp = this.now();
    return true;
  }

  /** True when the NameServer holds no or another topic-table version for this broker (QUERY_DATA_VERSION). */
  isBrokerTopicConfigChanged(clusterName: string, brokerAddr: string, dataVersion: DataVersion): boolean {
    const live = this.brokerLiveTable.get(liveKey(clusterName, brokerAddr));
    return !live || !sameDataVersion(live.dataVersion, dataVersion);
  }

  /** The topic-table version last registered by this broker. */
  brokerDataVersion(clusterName: string, brokerAddr: string): DataVersion | undefined {
    return this.brokerLiveTable.get(liveKey(clusterName, brokerAddr))?.dataVersion;
  }

  /** Unregister every broker whose registration expired; returns them (their connections are for the caller). */
  scanNotActiveBrokers(): BrokerLiveInfo[] {
    const now = this.now();
    const expired: BrokerLiveInfo[] = [];
    for (const live of this.brokerLiveTable.values()) {
      if (live.lastUpdateTimestamp + live.heartbeatTimeoutMillis < now) expired.push(live);
    }
    for (const live of expired) {
      this.logger.warn({ brokerAddr: live.brokerAddr, brokerName: live.brokerName }, 'broker expired');
      this.unregisterBroker(live);
    }
    return expired;
  }

  /** A connection closed: unregister every broker address that registered on it. */
  onConnectionClosed(connection: object): BrokerLiveInfo[] {
    const gone = [...this.brokerLiveTable.values()].filter((live) => live.connection === connection);
    for (const live of gone) this.unregisterBroker(live);
    return gone;
  }

  /** The route of `topic`, or undefined when no broker serves it. */
  pickupTopicRouteData(topic: string): TopicRouteData | undefined {
    const queues = this.topicQueueTable.get(topic);
    if (!queues || queues.size === 0) return undefined;
    const queueDatas = [...queues.values()]
      .sort((a, b) => (a.brokerName < b.brokerName ? -1 : a.brokerName > b.brokerName ? 1 : 0))
      .map((q) => ({ ...q }));
    const brokerDatas: BrokerData[] = [];
    const filterServerTable = new Map<string, string[]>();
    for (const queueData of queueDatas) {
      const group = this.brokerAddrTable.get(queueData.brokerName);
      if (!group) continue;
      const copy: BrokerData = { ...group, brokerAddrs: new Map(group.brokerAddrs) };
      if (this.supportActingMaster()) this.actAsMaster(copy, queueData);
      brokerDatas.push(copy);
      for (const addr of group.brokerAddrs.values()) {
        const servers = this.filterServerTable.get(liveKey(group.cluster, addr));
        if (servers) filterServerTable.set(addr, [...servers]);
      }
    }
    if (brokerDatas.length === 0) return undefined;
    return { brokerDatas, queueDatas, filterServerTable };
  }

  /** A master-less, read-only acting-master group shows its smallest id as 0 (reference §4.1, 5.x). */
  private actAsMaster(group: BrokerData, queueData: QueueData): void {
    const addrs = group.brokerAddrs;
    if (addrs.size === 0 || addrs.has(MASTER_ID) || !group.enableActingMaster || isWritable(queueData.perm)) return;
    const smallest = Math.min(...addrs.keys());
    const addr = addrs.get(smallest)!;
    addrs.delete(smallest);
    addrs.set(MASTER_ID, addr);
  }

  /** Brokers and clusters (GET_BROKER_CLUSTER_INFO). */
  clusterInfo(): ClusterInfo {
    return { brokerAddrTable: this.brokerAddrTable, clusterAddrTable: this.clusterAddrTable };
  }

  /** Clear (`wipe`) or restore the write permission on every queue of a broker group; returns the topic count. */
  setWritePermOfBroker(brokerName: string, mode: 'wipe' | 'add'): number {
    let count = 0;
    for (const [topic, queues] of this.topicQueueTable) {
      const queueData = queues.get(brokerName);
      if (!queueData) continue;
      queueData.perm = mode === 'wipe' ? queueData.perm & ~Perm.WRITE : Perm.READ | Perm.WRITE;
      count++;
      this.onRouteChange(topic);
    }
    return count;
  }

  /** Every topic with a route. */
  allTopicList(): TopicList {
    return { topicList: [...this.topicQueueTable.keys()] };
  }

  /** Topics served by any broker group of `cluster`. */
  topicsByCluster(cluster: string): TopicList {
    const names = this.clusterAddrTable.get(cluster);
    const topicList: string[] = [];
    if (names) {
      for (const [topic, queues] of this.topicQueueTable) {
        for (const name of names) {
          if (queues.has(name)) {
            topicList.push(topic);
            break;
          }
        }
      }
    }
    return { topicList };
  }

  /** Cluster and broker names (the system topics of each), with the address of one registered broker. */
  systemTopicList(): TopicList {
    const topicList: string[] = [];
    let brokerAddr: string | undefined;
    for (const [cluster, names] of this.clusterAddrTable) {
      topicList.push(cluster, ...names);
    }
    for (const group of this.brokerAddrTable.values()) {
      const first = group.brokerAddrs.values().next();
      if (!first.done) {
        brokerAddr = first.value;
        break;
      }
    }
    return brokerAddr === undefined ? { topicList } : { topicList, brokerAddr };
  }

  /** Remove a topic everywhere, or only from the broker groups of `clusterName`. */
  deleteTopic(topic: string, clusterName?: string): void {
    const queues = this.topicQueueTable.get(topic);
    if (!queues) return;
    if (clusterName) {
      for (const name of this.clusterAddrTable.get(clusterName) ?? []) queues.delete(name);
      if (queues.size === 0) this.topicQueueTable.delete(topic);
    } else {
      this.topicQueueTable.delete(topic);
    }
    this.onRouteChange(topic);
  }

  /** REGISTER_TOPIC_IN_NAMESRV: add queues for broker groups the NameServer knows. */
  registerTopic(topic: string, queueDatas: QueueData[]): void {
    for (const queueData of queueDatas) {
      if (this.brokerAddrTable.has(queueData.brokerName)) this.putQueueData(topic, { ...queueData });
    }
  }
}
