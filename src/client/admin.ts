/**
 * The admin API (Java's DefaultMQAdminExt, the subset mqadmin users need most): topics, subscription groups,
 * consumer progress and connections, offset resets, message queries. Each operation is one awaited call.
 */
import { errorFromResponse, RocketMQError } from '../common/errors.js';
import { createRequest, type RemotingCommand } from '../protocol/command.js';
import { stringifyJsonBuffer } from '../protocol/fastjson.js';
import {
  CreateTopicRequestHeader,
  DeleteSubscriptionGroupRequestHeader,
  DeleteTopicRequestHeader,
  GetConsumerRunningInfoRequestHeader,
  GetConsumeStatsRequestHeader,
  GetTopicStatsInfoRequestHeader,
  ResetOffsetRequestHeader,
} from '../protocol/headers/admin.js';
import { GetConsumerConnectionListRequestHeader } from '../protocol/headers/client.js';
import { DeleteTopicFromNamesrvRequestHeader } from '../protocol/headers/namesrv.js';
import {
  QueryMessageRequestHeader,
  UNIQUE_KEY_QUERY_EXT_KEY,
  ViewMessageRequestHeader,
} from '../protocol/headers/query.js';
import { formatHostAddress } from '../protocol/message/host.js';
import { type MessageExt, toMessageExt } from '../protocol/message/message.js';
import { decodeOffsetMsgId, uniqIdTimestamp } from '../protocol/message/message-id.js';
import { decodeRecords } from '../protocol/message/record.js';
import { RequestCode } from '../protocol/request-code.js';
import { ResponseCode } from '../protocol/response-code.js';
import { defaultSubscriptionGroupConfig } from '../protocol/subscription-group.js';
import {
  type ClusterInfo,
  type ConsumerConnection,
  type ConsumerRunningInfo,
  type ConsumeStatsBody,
  parseClusterInfo,
  parseConsumerConnection,
  parseConsumerRunningInfo,
  parseConsumeStats,
  parseResetOffsetBody,
  parseTopicList,
  parseTopicStats,
  type QueueConsumeProgress,
  type TopicQueueStatus,
} from './admin-bodies.js';
import { compareQueues } from './allocate.js';
import { ClientInstance, type ClientOptions } from './client-instance.js';
import {
  type DeadLetterQuery,
  type DeadLetterSelection,
  listDeadLetters,
  type ResendResult,
  resendDeadLetters,
} from './dead-letters.js';
import { withNamespace, withoutNamespace } from './namespace.js';
import { MASTER_ID, type MessageQueue, Perm, type TopicRouteData } from './route.js';

export type * from './admin-bodies.js';

/** The broker waits up to 10 s for the client it passes a call on to; allow for that and the way back. */
const CALL_CLIENT_TIMEOUT_MS = 12_000;
export type { DeadLetterQuery, DeadLetterSelection, ResendResult } from './dead-letters.js';

/** Options of an {@link Admin}. */
export interface AdminOptions extends ClientOptions {
  /** Share an existing client instance (then neither started nor shut down by the admin). */
  client?: ClientInstance;
}

/** Where a topic or group is created or deleted: a cluster's masters, one broker, or (default) every master. */
export interface BrokerTarget {
  clusterName?: string;
  brokerAddr?: string;
}

/** Settings of a topic to create or update. */
export interface TopicSettings extends BrokerTarget {
  /** Default 8. */
  readQueueNums?: number;
  /** Default 8. */
  writeQueueNums?: number;
  /** Default 6 (read + write). */
  perm?: number;
  /** Default false. */
  order?: boolean;
  /** 'SINGLE_TAG' (default) or 'MULTI_TAG'. */
  topicFilterType?: 'SINGLE_TAG' | 'MULTI_TAG';
  /** 5.x attributes, e.g. { 'message.type': 'FIFO' }. */
  attributes?: Record<string, string>;
}

/** Settings of a subscription group (reference §4.6); unset fields take the broker defaults. */
export interface SubscriptionGroupSettings extends BrokerTarget {
  consumeEnable?: boolean;
  consumeFromMinEnable?: boolean;
  consumeBroadcastEnable?: boolean;
  consumeMessageOrderly?: boolean;
  retryQueueNums?: number;
  retryMaxTimes?: number;
  brokerId?: number;
  whichBrokerWhenConsumeSlowly?: number;
  notifyConsumerIdsChangedEnable?: boolean;
}

/** A consumer group's progress over all brokers. */
export interface ConsumeProgress {
  consumeTps: number;
  queues: QueueConsumeProgress[];
  /** Sum of the queues' lag. */
  totalLag: number;
}

/** Options of a query by key. */
export interface QueryByKeyOptions {
  /** Most messages per broker. Default 32. */
  maxNum?: number;
  /** Store-time range start (epoch ms). Default 0. */
  beginTimestamp?: number;
  /** Store-time range end (epoch ms). Default now. */
  endTimestamp?: number;
}

const DEFAULT_QUERY_MAX_NUM = 32;

function check(response: RemotingCommand): RemotingCommand {
  if (response.code !== ResponseCode.SUCCESS) throw errorFromResponse(response.code, response.remark);
  return response;
}

/** The RocketMQ admin client. */
export class Admin {
  /** The client instance the admin talks through. */
  readonly client: ClientInstance;
  private readonly ownsClient: boolean;

  constructor(options: AdminOptions) {
    this.client = options.client ?? new ClientInstance(options);
    this.ownsClient = options.client === undefined;
  }

  /** Starts the client instance (when the admin owns it). */
  async start(): Promise<void> {
    if (this.ownsClient) await this.client.start();
  }

  /** Closes the client instance (when the admin owns it). */
  async shutdown(): Promise<void> {
    if (this.ownsClient) await this.client.shutdown();
  }

  /** The cluster layout from the NameServer (GET_BROKER_CLUSTER_INFO). */
  async clusterInfo(): Promise<ClusterInfo> {
    const response = check(await this.client.invokeNameServer(createRequest(RequestCode.GET_BROKER_CLUSTER_INFO)));
    return parseClusterInfo(response.body);
  }

  /** Every topic the NameServer knows (GET_ALL_TOPIC_LIST_FROM_NAMESERVER), without this client's namespace. */
  async listTopics(): Promise<string[]> {
    const request = createRequest(RequestCode.GET_ALL_TOPIC_LIST_FROM_NAMESERVER);
    const topics = parseTopicList(check(await this.client.invokeNameServer(request)).body);
    const namespace = this.client.options.namespace;
    if (namespace === undefined) return topics;
    const prefix = `${namespace}%`;
    return topics.filter((t) => t.startsWith(prefix)).map((t) => t.slice(prefix.length));
  }

  /** The current route of `topic` from the NameServer; unknown ⇒ RocketMQError TOPIC_NOT_EXIST. */
  topicRoute(topic: string): Promise<TopicRouteData> {
    return this.client.getTopicRoute(this.ns(topic), true);
  }

  /**
   * Creates or updates `topic` (UPDATE_AND_CREATE_TOPIC) on every master of the target; resolves with the broker
   * addresses updated once all of them accepted it.
   */
  async createTopic(topic: string, settings: TopicSettings = {}): Promise<string[]> {
    const attributes = Object.entries(settings.attributes ?? {})
      .map(([k, v]) => `+${k}=${v}`)
      .join(',');
    const extFields = CreateTopicRequestHeader.encode({
      topic: this.ns(topic),
      defaultTopic: 'TBW102',
      readQueueNums: settings.readQueueNums ?? 8,
      writeQueueNums: settings.writeQueueNums ?? 8,
      perm: settings.perm ?? Perm.READ | Perm.WRITE,
      topicFilterType: settings.topicFilterType ?? 'SINGLE_TAG',
      topicSysFlag: 0,
      order: settings.order ?? false,
      attributes: attributes === '' ? undefined : attributes,
    });
    const masters = await this.targetMasters(settings);
    await Promise.all(
      masters.map(async (addr) =>
        check(await this.client.invokeBroker(addr, createRequest(RequestCode.UPDATE_AND_CREATE_TOPIC, { extFields }))),
      ),
    );
    return masters;
  }

  /**
   * Deletes `topic` from every master of the target (DELETE_TOPIC_IN_BROKER), then from every NameServer
   * (DELETE_TOPIC_IN_NAMESRV, restricted to `clusterName` when given).
   */
  async deleteTopic(topic: string, target: BrokerTarget = {}): Promise<void> {
    const name = this.ns(topic);
    const masters = await this.targetMasters(target);
    const extFields = DeleteTopicRequestHeader.encode({ topic: name });
    await Promise.all(
      masters.map(async (addr) =>
        check(await this.client.invokeBroker(addr, createRequest(RequestCode.DELETE_TOPIC_IN_BROKER, { extFields }))),
      ),
    );
    const nsFields = DeleteTopicFromNamesrvRequestHeader.encode({ topic: name, clusterName: target.clusterName });
    await Promise.all(
      this.client.options.namesrvAddrs.map(async (addr) => {
        const request = createRequest(RequestCode.DELETE_TOPIC_IN_NAMESRV, { extFields: nsFields });
        check(await this.client.remoting.invoke(addr, request, this.client.options.requestTimeoutMs));
      }),
    );
  }

  /** Min/max offsets of every queue of `topic` (GET_TOPIC_STATS_INFO on each of its brokers). */
  async topicStatus(topic: string): Promise<TopicQueueStatus[]> {
    const name = this.ns(topic);
    const route = await this.client.getTopicRoute(name, true);
    const extFields = GetTopicStatsInfoRequestHeader.encode({ topic: name });
    const perBroker = await Promise.all(
      this.routeMasters(route).map(async (addr) => {
        const response = check(
          await this.client.invokeBroker(addr, createRequest(RequestCode.GET_TOPIC_STATS_INFO, { extFields })),
        );
        return parseTopicStats(response.body);
      }),
    );
    return perBroker
      .flat()
      .map((s) => ({ ...s, messageQueue: this.visibleQueue(s.messageQueue) }))
      .sort(byQueue);
  }

  /** Creates or updates a subscription group on every master of the target (UPDATE_AND_CREATE_SUBSCRIPTIONGROUP). */
  async createSubscriptionGroup(group: string, settings: SubscriptionGroupSettings = {}): Promise<string[]> {
    const { clusterName, brokerAddr, ...overrides } = settings;
    // the broker's defaults for what is not set (no attributes: this call does not manage them)
    const { attributes: _attributes, ...defaults } = defaultSubscriptionGroupConfig(this.ns(group));
    const config = { ...defaults, ...overrides };
    const body = stringifyJsonBuffer(config);
    const masters = await this.targetMasters({ clusterName, brokerAddr });
    await Promise.all(
      masters.map(async (addr) =>
        check(
          await this.client.invokeBroker(
            addr,
            createRequest(RequestCode.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, { body }),
          ),
        ),
      ),
    );
    return masters;
  }

  /** Deletes a subscription group from every master of the target; `cleanOffset` removes its offsets too. */
  async deleteSubscriptionGroup(group: string, options: BrokerTarget & { cleanOffset?: boolean } = {}): Promise<void> {
    const extFields = DeleteSubscriptionGroupRequestHeader.encode({
      groupName: this.ns(group),
      cleanOffset: options.cleanOffset ?? false,
    });
    const masters = await this.targetMasters(options);
    await Promise.all(
      masters.map(async (addr) =>
        check(await this.client.invokeBroker(addr, createRequest(RequestCode.DELETE_SUBSCRIPTIONGROUP, { extFields }))),
      ),
    );
  }

  /**
   * A consumer group's progress and per-queue lag (GET_CONSUME_STATS) over the brokers of its retry topic, or every
   * master when that topic has no route; `topic` narrows it to one topic.
   */
  async consumeProgress(group: string, topic?: string): Promise<ConsumeProgress> {
    const extFields = GetConsumeStatsRequestHeader.encode({
      consumerGroup: this.ns(group),
      topic: topic === undefined ? undefined : this.ns(topic),
    });
    const brokers = await this.groupBrokers(group);
    const stats: ConsumeStatsBody[] = await Promise.all(
      brokers.map(async (addr) => {
        const response = check(
          await this.client.invokeBroker(addr, createRequest(RequestCode.GET_CONSUME_STATS, { extFields })),
        );
        return parseConsumeStats(response.body);
      }),
    );
    const queues = stats
      .flatMap((s) => s.queues)
      .map((q) => ({ ...q, messageQueue: this.visibleQueue(q.messageQueue) }))
      .sort(byQueue);
    return {
      consumeTps: stats.reduce((sum, s) => sum + s.consumeTps, 0),
      queues,
      totalLag: queues.reduce((sum, q) => sum + q.lag, 0),
    };
  }

  /** The live clients of a consumer group (GET_CONSUMER_CONNECTION_LIST); none ⇒ RocketMQError CONSUMER_NOT_ONLINE. */
  async consumerConnections(group: string): Promise<ConsumerConnection> {
    const extFields = GetConsumerConnectionListRequestHeader.encode({ consumerGroup: this.ns(group) });
    let lastError: unknown;
    for (const addr of await this.groupBrokers(group)) {
      const response = await this.client.invokeBroker(
        addr,
        createRequest(RequestCode.GET_CONSUMER_CONNECTION_LIST, { extFields }),
      );
      if (response.code === ResponseCode.SUCCESS) return parseConsumerConnection(response.body);
      lastError = errorFromResponse(response.code, response.remark);
    }
    throw lastError ?? new RocketMQError('CONSUMER_NOT_ONLINE', `the consumer group ${group} has no client online`);
  }

  /**
   * What one client of a consumer group reports about itself (GET_CONSUMER_RUNNING_INFO, which a broker holding the
   * client's connection passes on): its settings, subscriptions and, per queue, its offset and cache; what
   * `mqadmin consumerStatus` shows. A client not online ⇒ RocketMQError SYSTEM_ERROR from the broker.
   */
  async consumerRunningInfo(
    group: string,
    clientId: string,
    options: { jstack?: boolean } = {},
  ): Promise<ConsumerRunningInfo> {
    const extFields = GetConsumerRunningInfoRequestHeader.encode({
      consumerGroup: this.ns(group),
      clientId,
      jstackEnable: options.jstack ?? false,
    });
    let lastError: unknown;
    for (const addr of await this.groupBrokers(group)) {
      const response = await this.client.invokeBroker(
        addr,
        createRequest(RequestCode.GET_CONSUMER_RUNNING_INFO, { extFields }),
        CALL_CLIENT_TIMEOUT_MS,
      );
      if (response.code === ResponseCode.SUCCESS) return parseConsumerRunningInfo(response.body);
      lastError = errorFromResponse(response.code, response.remark);
    }
    throw lastError ?? new RocketMQError('CONSUMER_NOT_ONLINE', `the consumer group ${group} has no client online`);
  }

  /**
   * Moves a consumer group's offsets of `topic` to the first message stored at or after `timestamp`
   * (INVOKE_BROKER_TO_RESET_OFFSET on each of the topic's brokers, which also tell the online consumers). Resolves
   * with the new offset of each queue.
   */
  async resetOffsetByTime(
    group: string,
    topic: string,
    timestamp: number,
    options: { force?: boolean } = {},
  ): Promise<Array<{ messageQueue: MessageQueue; offset: number }>> {
    const name = this.ns(topic);
    const route = await this.client.getTopicRoute(name, true);
    const extFields = ResetOffsetRequestHeader.encode({
      group: this.ns(group),
      topic: name,
      queueId: -1,
      timestamp,
      isForce: options.force ?? true,
    });
    const perBroker = await Promise.all(
      this.routeMasters(route).map(async (addr) => {
        const response = check(
          await this.client.invokeBroker(addr, createRequest(RequestCode.INVOKE_BROKER_TO_RESET_OFFSET, { extFields })),
        );
        return parseResetOffsetBody(response.body);
      }),
    );
    return perBroker
      .flat()
      .map((r) => ({ ...r, messageQueue: this.visibleQueue(r.messageQueue) }))
      .sort((a, b) => byQueue(a, b));
  }

  /** The message with offset message id `offsetMsgId`, read from the broker the id names (VIEW_MESSAGE_BY_ID). */
  async viewMessage(offsetMsgId: string): Promise<MessageExt> {
    const { storeHost, physicalOffset } = decodeOffsetMsgId(offsetMsgId);
    const extFields = ViewMessageRequestHeader.encode({ offset: physicalOffset });
    const response = check(
      await this.client.invokeBroker(
        formatHostAddress(storeHost),
        createRequest(RequestCode.VIEW_MESSAGE_BY_ID, { extFields }),
      ),
    );
    const [record] = decodeRecords(response.body ?? Buffer.alloc(0));
    if (record === undefined) throw new RocketMQError('QUERY_NOT_FOUND', `no message at ${offsetMsgId}`);
    return this.visibleMessage(toMessageExt(record));
  }

  /**
   * The message of `topic` with id `msgId`: an offset message id of one of the topic's brokers is viewed directly,
   * anything else is looked up as a UNIQ_KEY (QUERY_MESSAGE with _UNIQUE_KEY_QUERY). Not found ⇒ QUERY_NOT_FOUND.
   */
  async queryMessageById(topic: string, msgId: string): Promise<MessageExt> {
    const route = await this.client.getTopicRoute(this.ns(topic), true);
    let storeAddr: string | undefined;
    try {
      storeAddr = formatHostAddress(decodeOffsetMsgId(msgId).storeHost);
    } catch {
      storeAddr = undefined;
    }
    const brokerAddrs = new Set(route.brokerDatas.flatMap((b) => Object.values(b.brokerAddrs)));
    if (storeAddr !== undefined && brokerAddrs.has(storeAddr)) return this.viewMessage(msgId);
    let begin = 0;
    try {
      begin = Math.max(0, uniqIdTimestamp(msgId) - 1000);
    } catch {
      throw new RocketMQError('INVALID_PARAMETER', `not a message id: ${msgId}`);
    }
    const found = await this.query(topic, msgId, { maxNum: DEFAULT_QUERY_MAX_NUM, beginTimestamp: begin }, true);
    const match = found.find((m) => m.msgId === msgId);
    if (match === undefined) throw new RocketMQError('QUERY_NOT_FOUND', `no message ${msgId} in topic ${topic}`);
    return match;
  }

  /** Messages of `topic` indexed under business key `key` (KEYS) within a store-time range. */
  async queryMessagesByKey(topic: string, key: string, options: QueryByKeyOptions = {}): Promise<MessageExt[]> {
    const found = await this.query(topic, key, options, false);
    return found.filter((m) => (m.keys ?? '').split(' ').includes(key));
  }

  private async query(topic: string, key: string, options: QueryByKeyOptions, uniqKey: boolean): Promise<MessageExt[]> {
    const name = this.ns(topic);
    const route = await this.client.getTopicRoute(name, true);
    const ext = QueryMessageRequestHeader.encode({
      topic: name,
      key,
      maxNum: options.maxNum ?? DEFAULT_QUERY_MAX_NUM,
      beginTimestamp: options.beginTimestamp ?? 0,
      endTimestamp: options.endTimestamp ?? (uniqKey ? Number.MAX_SAFE_INTEGER : Date.now()),
    });
    const extFields = uniqKey ? { ...ext, [UNIQUE_KEY_QUERY_EXT_KEY]: 'true' } : ext;
    const perBroker = await Promise.all(
      this.routeMasters(route).map(async (addr) => {
        const response = await this.client.invokeBroker(addr, createRequest(RequestCode.QUERY_MESSAGE, { extFields }));
        if (response.code === ResponseCode.QUERY_NOT_FOUND) return [];
        check(response);
        return decodeRecords(response.body ?? Buffer.alloc(0)).map((r) => this.visibleMessage(toMessageExt(r)));
      }),
    );
    return perBroker.flat();
  }

  /**
   * Dead letters of a consumer group (`%DLQ%<group>`), read with ordinary pulls: within a store-time range, at most
   * `max` (default 1000), each with `topic` set to its original topic. A group without a DLQ has none.
   */
  listDeadLetters(group: string, query: DeadLetterQuery = {}): Promise<MessageExt[]> {
    return listDeadLetters(this.client, group, query);
  }

  /**
   * Re-sends dead letters of a group to their original topics, chosen by id (msgId or offset id) or by store-time
   * range; they arrive as new messages (retry and DLQ properties stripped; body, tags, keys and user properties
   * kept). Resolves with counts once every send is done.
   */
  resendDeadLetters(group: string, selection: DeadLetterSelection): Promise<ResendResult> {
    return resendDeadLetters(this.client, group, selection);
  }

  /** Master addresses of the target: one broker, a cluster's masters, or every master. */
  private async targetMasters(target: BrokerTarget): Promise<string[]> {
    if (target.brokerAddr !== undefined) return [target.brokerAddr];
    const info = await this.clusterInfo();
    const names =
      target.clusterName === undefined
        ? Object.keys(info.brokerAddrTable)
        : (info.clusterAddrTable[target.clusterName] ?? []);
    if (target.clusterName !== undefined && names.length === 0) {
      throw new RocketMQError('INVALID_PARAMETER', `no cluster named ${target.clusterName}`);
    }
    const masters = names
      .map((name) => info.brokerAddrTable[name]?.brokerAddrs[MASTER_ID])
      .filter((a): a is string => a !== undefined);
    if (masters.length === 0) throw new RocketMQError('SERVICE_NOT_AVAILABLE', 'no master broker found');
    return masters;
  }

  /** Masters of a consumer group: those hosting its retry topic, else every master. */
  private async groupBrokers(group: string): Promise<string[]> {
    try {
      const route = await this.client.getTopicRoute(
        withNamespace(this.client.options.namespace, `%RETRY%${group}`),
        true,
      );
      const masters = this.routeMasters(route);
      if (masters.length > 0) return masters;
    } catch (err) {
      if (!(err instanceof RocketMQError) || err.code !== 'TOPIC_NOT_EXIST') throw err;
    }
    return this.targetMasters({});
  }

  private routeMasters(route: TopicRouteData): string[] {
    return route.brokerDatas.map((b) => b.brokerAddrs[MASTER_ID]).filter((a): a is string => a !== undefined);
  }

  private ns(name: string): string {
    return withNamespace(this.client.options.namespace, name);
  }

  private visibleQueue(mq: MessageQueue): MessageQueue {
    return { ...mq, topic: withoutNamespace(this.client.options.namespace, mq.topic) };
  }

  private visibleMessage(msg: MessageExt): MessageExt {
    msg.topic = withoutNamespace(this.client.options.namespace, msg.topic);
    return msg;
  }
}

function byQueue(a: { messageQueue: MessageQueue }, b: { messageQueue: MessageQueue }): number {
  return compareQueues(a.messageQueue, b.messageQueue);
}
