import { stringifyJsonBuffer } from '../protocol/fastjson.js';
import type { BrokerData, ClusterInfo, DataVersion, QueueData, TopicList, TopicRouteData } from './route-types.js';

/**
 * JSON bodies the NameServer answers with (reference §4.1, §4.5, §4.6, §4.8), with fastjson's alphabetical property
 * order. Broker address maps are JS Maps keyed by broker id, so the fastjson form writes `{0:"addr"}` and the
 * standard form `{"0":"addr"}`.
 */

/** Which JSON a route body is written in: quoted map keys (`standard`) or fastjson's bare numeric keys. */
export type JsonForm = 'standard' | 'fastjson';

function byKey<V>(map: Map<number, V>): Map<number, V> {
  return new Map([...map.entries()].sort((a, b) => a[0] - b[0]));
}

function brokerDataJson(b: BrokerData): Record<string, unknown> {
  const out: Record<string, unknown> = {
    brokerAddrs: byKey(b.brokerAddrs),
    brokerName: b.brokerName,
    cluster: b.cluster,
    enableActingMaster: b.enableActingMaster,
  };
  if (b.zoneName !== undefined) out.zoneName = b.zoneName;
  return out;
}

function queueDataJson(q: QueueData): Record<string, unknown> {
  return {
    brokerName: q.brokerName,
    perm: q.perm,
    readQueueNums: q.readQueueNums,
    topicSysFlag: q.topicSysFlag,
    writeQueueNums: q.writeQueueNums,
  };
}

function toBuffer(value: unknown, form: JsonForm): Buffer {
  return stringifyJsonBuffer(value, { fastjson: form === 'fastjson', sortKeys: true });
}

/** The GET_ROUTEINFO_BY_TOPIC body. */
export function encodeTopicRouteData(route: TopicRouteData, form: JsonForm): Buffer {
  const filterServerTable: Record<string, string[]> = {};
  for (const addr of [...route.filterServerTable.keys()].sort())
    filterServerTable[addr] = route.filterServerTable.get(addr)!;
  const out: Record<string, unknown> = {
    brokerDatas: route.brokerDatas.map(brokerDataJson),
    filterServerTable,
  };
  if (route.orderTopicConf !== undefined) out.orderTopicConf = route.orderTopicConf;
  out.queueDatas = route.queueDatas.map(queueDataJson);
  return toBuffer(out, form);
}

/** The GET_BROKER_CLUSTER_INFO body; Java always writes it with fastjson's bare numeric keys. */
export function encodeClusterInfo(info: ClusterInfo, form: JsonForm = 'fastjson'): Buffer {
  const brokerAddrTable: Record<string, unknown> = {};
  for (const name of [...info.brokerAddrTable.keys()].sort()) {
    brokerAddrTable[name] = brokerDataJson(info.brokerAddrTable.get(name)!);
  }
  const clusterAddrTable: Record<string, string[]> = {};
  for (const cluster of [...info.clusterAddrTable.keys()].sort()) {
    clusterAddrTable[cluster] = [...info.clusterAddrTable.get(cluster)!].sort();
  }
  return toBuffer({ brokerAddrTable, clusterAddrTable }, form);
}

/** A TopicList body `{"brokerAddr":…, "topicList":[…]}`. */
export function encodeTopicList(list: TopicList): Buffer {
  const out: Record<string, unknown> = {};
  if (list.brokerAddr !== undefined) out.brokerAddr = list.brokerAddr;
  out.topicList = list.topicList;
  return toBuffer(out, 'standard');
}

/** A KVTable body `{"table":{k:v}}`. */
export function encodeKvTable(table: Map<string, string>): Buffer {
  const sorted: Record<string, string> = {};
  for (const key of [...table.keys()].sort()) sorted[key] = table.get(key)!;
  return toBuffer({ table: sorted }, 'standard');
}

/** A DataVersion body `{"counter":…,"stateVersion":…,"timestamp":…}`. */
export function encodeDataVersion(v: DataVersion): Buffer {
  return toBuffer({ counter: v.counter, stateVersion: v.stateVersion, timestamp: v.timestamp }, 'standard');
}

/**
 * Encoded route bodies per topic and JSON form, so a lookup never re-serialises. `invalidate(topic)` drops one
 * topic's bodies, `invalidate()` all of them.
 */
export class RouteBodyCache {
  private readonly bodies = new Map<string, { standard?: Buffer; fastjson?: Buffer }>();

  get(topic: string, form: JsonForm): Buffer | undefined {
    return this.bodies.get(topic)?.[form];
  }

  set(topic: string, form: JsonForm, body: Buffer): void {
    let entry = this.bodies.get(topic);
    if (!entry) {
      entry = {};
      this.bodies.set(topic, entry);
    }
    entry[form] = body;
  }

  invalidate(topic?: string): void {
    if (topic === undefined) this.bodies.clear();
    else this.bodies.delete(topic);
  }

  /** Topics with at least one cached body. */
  get size(): number {
    return this.bodies.size;
  }
}
