/**
 * The client core shared by producers, consumers and the admin (Java's MQClientInstance): NameServer lookups with a
 * route cache polled every 30 s, the broker address table, heartbeats to brokers, unregistration on shutdown, and the
 * handlers for requests brokers send to clients.
 */
import { randomBytes } from 'node:crypto';
import { networkInterfaces } from 'node:os';
import type { SubscriptionData } from '../protocol/headers/client.js';
import { errorFromResponse, RocketMQError } from '../common/errors.js';
import { type Logger, silentLogger } from '../common/logger.js';
import { createRequest, FLAG_ONEWAY, newOpaque, type RemotingCommand, SerializeType } from '../protocol/command.js';
import { stringifyJsonBuffer } from '../protocol/fastjson.js';
import { UnregisterClientRequestHeader } from '../protocol/headers/client.js';
import { GetRouteInfoRequestHeader } from '../protocol/headers/namesrv.js';
import { RequestCode } from '../protocol/request-code.js';
import { ResponseCode } from '../protocol/response-code.js';
import { RemotingClient } from '../transport/client.js';
import type { RequestHandler } from '../transport/dispatcher.js';
import { MASTER_ID, mqKey, parseTopicRoute, publishQueues, subscribeQueues, type TopicRouteData } from './route.js';

export type { SubscriptionData } from '../protocol/headers/client.js';
export type { RequestHandler } from '../transport/dispatcher.js';

/** Options shared by every client (producer, consumer, admin). */
export interface ClientOptions {
  /** NameServer addresses: "127.0.0.1:9876;127.0.0.2:9876" or an array. */
  namesrvAddr: string | string[];
  /** Distinguishes clients in one process. Default `${process.pid}#${random}`. */
  instanceName?: string;
  /** The IP this client announces. Default: the first non-internal IPv4 address, else 127.0.0.1. */
  clientIP?: string;
  /** Tenant namespace: topics and groups become `namespace%name`. */
  namespace?: string;
  /** Timeout of one request. Default 3000 ms. */
  requestTimeoutMs?: number;
  /** How often routes are refreshed from the NameServer. Default 30 000 ms. */
  pollNameServerIntervalMs?: number;
  /** How often heartbeats go to brokers. Default 30 000 ms. */
  heartbeatBrokerIntervalMs?: number;
  /**
   * Header encoding of this client's requests: `SerializeType.ROCKETMQ` (binary, the default: about twice as cheap to
   * encode and decode as JSON on both sides) or `SerializeType.JSON` (what Java clients send unless
   * `rocketmq.serialize.type` says otherwise). Every RocketMQ broker and NameServer reads both and answers in kind.
   */
  serializeType?: SerializeType;
  logger?: Logger;
}

/** {@link ClientOptions} with every default applied. */
export interface ResolvedClientOptions {
  namesrvAddrs: string[];
  instanceName: string;
  clientIP: string;
  namespace: string | undefined;
  requestTimeoutMs: number;
  pollNameServerIntervalMs: number;
  heartbeatBrokerIntervalMs: number;
  serializeType: SerializeType;
  logger: Logger;
}

/** What a consumer registers with its client instance so heartbeats describe it. */
export interface ConsumerRegistration {
  groupName: string;
  consumeType: 'CONSUME_ACTIVELY' | 'CONSUME_PASSIVELY';
  messageModel: 'CLUSTERING' | 'BROADCASTING';
  /** e.g. 'CONSUME_FROM_LAST_OFFSET'. */
  consumeFromWhere: string;
  /** The current subscriptions (read at every heartbeat). */
  subscriptions(): SubscriptionData[];
  /** Called after a route refresh changed the queues of one of its subscribed topics. */
  onTopicRouteChanged?(topic: string): void;
}

/** Default request timeout (ms). */
export const DEFAULT_REQUEST_TIMEOUT_MS = 3000;
/** Default route refresh interval (ms). */
export const DEFAULT_POLL_NAMESERVER_INTERVAL_MS = 30_000;
/** Default heartbeat interval (ms). */
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 30_000;

/** Splits a NameServer address list ("a:9876;b:9876" or an array) into addresses. */
export function parseNamesrvAddrs(addrs: string | string[]): string[] {
  const list = (Array.isArray(addrs) ? addrs : addrs.split(';')).map((a) => a.trim()).filter((a) => a !== '');
  if (list.length === 0) throw new RocketMQError('INVALID_PARAMETER', 'namesrvAddr names no NameServer');
  return list;
}

/** The first non-internal IPv4 address of this host, else 127.0.0.1. */
export function localIPv4(): string {
  for (const addrs of Object.values(networkInterfaces())) {
    for (const addr of addrs ?? []) {
      if (addr.family === 'IPv4' && !addr.internal) return addr.address;
    }
  }
  return '127.0.0.1';
}

function resolveOptions(options: ClientOptions): ResolvedClientOptions {
  return {
    namesrvAddrs: parseNamesrvAddrs(options.namesrvAddr),
    instanceName: options.instanceName ?? `${process.pid}#${randomBytes(6).readUIntBE(0, 6)}`,
    clientIP: options.clientIP ?? localIPv4(),
    namespace: options.namespace === '' ? undefined : options.namespace,
    requestTimeoutMs: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    pollNameServerIntervalMs: options.pollNameServerIntervalMs ?? DEFAULT_POLL_NAMESERVER_INTERVAL_MS,
    heartbeatBrokerIntervalMs: options.heartbeatBrokerIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS,
    serializeType: options.serializeType ?? SerializeType.ROCKETMQ,
    logger: options.logger ?? silentLogger,
  };
}

/** A fingerprint of the queues a route offers, to tell whether a refresh changed anything. */
function routeFingerprint(route: TopicRouteData, topic: string): string {
  const pub = publishQueues(route, topic).map(mqKey).join(',');
  const sub = subscribeQueues(route, topic).map(mqKey).join(',');
  const brokers = route.brokerDatas
    .map((b) => `${b.brokerName}=${JSON.stringify(Object.entries(b.brokerAddrs).sort())}`)
    .sort()
    .join(',');
  return `${pub}|${sub}|${brokers}`;
}

/**
 * One client's connection to a RocketMQ cluster. Producers, consumers and the admin each use one (or share one).
 * Timers are unref'd: they never keep the process alive on their own.
 */
export class ClientInstance {
  /** `${clientIP}@${instanceName}`: how brokers know this client. */
  readonly clientId: string;
  /** The pooled remoting connections. */
  readonly remoting: RemotingClient;
  /** The options with defaults applied. */
  readonly options: ResolvedClientOptions;

  private readonly logger: Logger;
  private readonly routes = new Map<string, TopicRouteData>();
  private readonly fingerprints = new Map<string, string>();
  private readonly routeFetches = new Map<string, Promise<TopicRouteData>>();
  private readonly polledTopics = new Set<string>();
  /** brokerName → (brokerId → address), merged from every cached route. */
  private readonly brokerTable = new Map<string, Map<string, string>>();
  private readonly producerGroups = new Set<string>();
  private readonly consumers = new Map<string, ConsumerRegistration>();
  private namesrvIndex = 0;
  private pollTimer: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private started = false;
  private stopped = false;

  constructor(options: ClientOptions) {
    this.options = resolveOptions(options);
    this.clientId = `${this.options.clientIP}@${this.options.instanceName}`;
    this.logger = this.options.logger.child({ component: 'client', clientId: this.clientId });
    this.remoting = new RemotingClient({
      logger: this.options.logger,
      connectTimeoutMs: this.options.requestTimeoutMs,
      requestSerializeType: this.options.serializeType,
    });
    this.namesrvIndex = Math.floor(Math.random() * this.options.namesrvAddrs.length);
  }

  /** Starts route polling and heartbeats. Idempotent. */
  async start(): Promise<void> {
    if (this.stopped) throw new RocketMQError('SERVICE_NOT_AVAILABLE', 'the client instance was shut down');
    if (this.started) return;
    this.started = true;
    this.pollTimer = setInterval(() => void this.refreshAllRoutes(), this.options.pollNameServerIntervalMs);
    this.pollTimer.unref();
    this.heartbeatTimer = setInterval(() => void this.heartbeatQuietly(), this.options.heartbeatBrokerIntervalMs);
    this.heartbeatTimer.unref();
  }

  /** Unregisters every group from the brokers (UNREGISTER_CLIENT), stops the timers and closes the sockets. */
  async shutdown(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.pollTimer);
    clearInterval(this.heartbeatTimer);
    const unregistrations: Promise<void>[] = [];
    for (const group of this.producerGroups) unregistrations.push(this.unregisterFromBrokers(group, undefined));
    for (const group of this.consumers.keys()) unregistrations.push(this.unregisterFromBrokers(undefined, group));
    await Promise.allSettled(unregistrations);
    await this.remoting.close();
  }

  /**
   * The route of `topic`, from the cache unless `refresh` (or not cached). An unknown topic ⇒ RocketMQError
   * TOPIC_NOT_EXIST; concurrent lookups of one topic share one request.
   */
  async getTopicRoute(topic: string, refresh = false): Promise<TopicRouteData> {
    const cached = this.routes.get(topic);
    if (cached !== undefined && !refresh) return cached;
    const pending = this.routeFetches.get(topic);
    if (pending !== undefined) return pending;
    const fetching = this.fetchTopicRoute(topic).finally(() => this.routeFetches.delete(topic));
    this.routeFetches.set(topic, fetching);
    return fetching;
  }

  /** The cached route of `topic`, without any request. */
  cachedTopicRoute(topic: string): TopicRouteData | undefined {
    return this.routes.get(topic);
  }

  /** The address of broker `brokerName`: its master, or (unless `masterOnly`) any member when it has no master. */
  findBrokerAddress(brokerName: string, masterOnly = false): string | undefined {
    const members = this.brokerTable.get(brokerName);
    if (members === undefined) return undefined;
    const master = members.get(MASTER_ID);
    if (master !== undefined || masterOnly) return master;
    const ids = [...members.keys()].sort((a, b) => Number(a) - Number(b));
    return ids.length === 0 ? undefined : members.get(ids[0] as string);
  }

  /** Every broker address (masters and slaves) known from cached routes. */
  allBrokerAddresses(): string[] {
    const out = new Set<string>();
    for (const members of this.brokerTable.values()) for (const addr of members.values()) out.add(addr);
    return [...out];
  }

  /** Sends `request` to a broker and returns its response, whatever the code (the caller checks it). */
  invokeBroker(brokerAddr: string, request: RemotingCommand, timeoutMs?: number): Promise<RemotingCommand> {
    return this.remoting.invoke(brokerAddr, request, timeoutMs ?? this.options.requestTimeoutMs);
  }

  /** Sends a one-way request to a broker. */
  invokeBrokerOneway(brokerAddr: string, request: RemotingCommand): Promise<void> {
    return this.remoting.invokeOneway(brokerAddr, { ...request, flag: request.flag | FLAG_ONEWAY });
  }

  /**
   * Sends `request` to a NameServer, trying each in turn (starting with the last one that answered) until one
   * answers; the response is returned whatever its code. All unreachable ⇒ the last connection error.
   */
  async invokeNameServer(request: RemotingCommand, timeoutMs?: number): Promise<RemotingCommand> {
    const addrs = this.options.namesrvAddrs;
    let lastError: unknown;
    for (let attempt = 0; attempt < addrs.length; attempt++) {
      const index = (this.namesrvIndex + attempt) % addrs.length;
      const addr = addrs[index] as string;
      try {
        // a fresh opaque per attempt: the same command object must not be reused on another connection
        const response = await this.remoting.invoke(
          addr,
          attempt === 0 ? request : { ...request, opaque: newOpaque() },
          timeoutMs ?? this.options.requestTimeoutMs,
        );
        this.namesrvIndex = index;
        return response;
      } catch (err) {
        lastError = err;
        this.logger.debug({ err, namesrv: addr }, 'NameServer request failed, trying the next one');
      }
    }
    throw lastError;
  }

  /** Announces producer group `group` in heartbeats. */
  registerProducer(group: string): void {
    this.producerGroups.add(group);
  }

  /** Stops announcing producer group `group` and unregisters it from the brokers (in the background). */
  unregisterProducer(group: string): void {
    if (!this.producerGroups.delete(group)) return;
    if (!this.stopped) void this.unregisterFromBrokers(group, undefined);
  }

  /** Announces a consumer group in heartbeats. Its subscribed topics' routes are kept polled. */
  registerConsumer(reg: ConsumerRegistration): void {
    this.consumers.set(reg.groupName, reg);
    for (const sub of reg.subscriptions()) this.polledTopics.add(sub.topic);
  }

  /** Stops announcing consumer group `group` and unregisters it from the brokers (in the background). */
  unregisterConsumer(group: string): void {
    if (!this.consumers.delete(group)) return;
    if (!this.stopped) void this.unregisterFromBrokers(undefined, group);
  }

  /** Keeps `topic`'s route polled from the NameServer. */
  subscribeRouteTopic(topic: string): void {
    this.polledTopics.add(topic);
  }

  /** Routes requests with `code` from brokers (CHECK_TRANSACTION_STATE, NOTIFY_CONSUMER_IDS_CHANGED, …) to `handler`. */
  onBrokerRequest(code: number, handler: RequestHandler): void {
    this.remoting.registerHandler(code, handler);
  }

  /** The HeartbeatData body (reference §4.2) describing this client's groups. */
  heartbeatData(): Record<string, unknown> {
    return {
      clientID: this.clientId,
      consumerDataSet: [...this.consumers.values()].map((reg) => ({
        consumeFromWhere: reg.consumeFromWhere,
        consumeType: reg.consumeType,
        groupName: reg.groupName,
        messageModel: reg.messageModel,
        subscriptionDataSet: reg.subscriptions().map((s) => ({ classFilterMode: false, ...s })),
        unitMode: false,
      })),
      heartbeatFingerprint: 0,
      producerDataSet: [...this.producerGroups].map((groupName) => ({ groupName })),
      withoutSub: false,
    };
  }

  /**
   * Sends a heartbeat (HEART_BEAT with HeartbeatData JSON) to every master known from cached routes, and to slaves
   * too when consumers are registered. Resolves when every broker answered; fails with the first failure.
   */
  async sendHeartbeatToAllBrokers(): Promise<void> {
    if (this.producerGroups.size === 0 && this.consumers.size === 0) return;
    const body = stringifyJsonBuffer(this.heartbeatData());
    const targets = new Set<string>();
    for (const members of this.brokerTable.values()) {
      for (const [id, addr] of members) {
        if (id === MASTER_ID || this.consumers.size > 0) targets.add(addr);
      }
    }
    const results = await Promise.allSettled(
      [...targets].map(async (addr) => {
        const response = await this.invokeBroker(addr, createRequest(RequestCode.HEART_BEAT, { body }));
        if (response.code !== ResponseCode.SUCCESS) throw errorFromResponse(response.code, response.remark);
      }),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  }

  /** Refreshes every cached or polled topic's route; failures are logged. */
  async refreshAllRoutes(): Promise<void> {
    const topics = new Set([...this.routes.keys(), ...this.polledTopics]);
    for (const reg of this.consumers.values()) for (const sub of reg.subscriptions()) topics.add(sub.topic);
    await Promise.allSettled(
      [...topics].map((topic) =>
        this.getTopicRoute(topic, true).catch((err) => this.logger.debug({ err, topic }, 'route refresh failed')),
      ),
    );
  }

  private async heartbeatQuietly(): Promise<void> {
    try {
      await this.sendHeartbeatToAllBrokers();
    } catch (err) {
      this.logger.warn({ err }, 'heartbeat to a broker failed');
    }
  }

  private async fetchTopicRoute(topic: string): Promise<TopicRouteData> {
    const request = createRequest(RequestCode.GET_ROUTEINFO_BY_TOPIC, {
      extFields: GetRouteInfoRequestHeader.encode({ topic, acceptStandardJsonOnly: true }),
    });
    const response = await this.invokeNameServer(request);
    if (response.code !== ResponseCode.SUCCESS) throw errorFromResponse(response.code, response.remark);
    if (response.body === undefined || response.body.length === 0) {
      throw new RocketMQError('TOPIC_NOT_EXIST', `no route for topic ${topic}`);
    }
    const route = parseTopicRoute(response.body);
    this.updateRoute(topic, route);
    return route;
  }

  private updateRoute(topic: string, route: TopicRouteData): void {
    this.routes.set(topic, route);
    const newBroker = this.mergeBrokers(route);
    const fingerprint = routeFingerprint(route, topic);
    const previous = this.fingerprints.get(topic);
    this.fingerprints.set(topic, fingerprint);
    if (previous !== undefined && previous !== fingerprint) {
      this.logger.info({ topic }, 'topic route changed');
      for (const reg of this.consumers.values()) {
        if (reg.onTopicRouteChanged === undefined) continue;
        if (!reg.subscriptions().some((s) => s.topic === topic)) continue;
        try {
          reg.onTopicRouteChanged(topic);
        } catch (err) {
          this.logger.warn({ err, topic, group: reg.groupName }, 'onTopicRouteChanged failed');
        }
      }
    }
    // A broker we have never talked to must learn about our groups before it calls us back (transaction checks).
    if (newBroker && this.started && !this.stopped) void this.heartbeatQuietly();
  }

  /** Merges the route's broker addresses into the table; true when a new address appeared. */
  private mergeBrokers(route: TopicRouteData): boolean {
    let added = false;
    for (const broker of route.brokerDatas) {
      let members = this.brokerTable.get(broker.brokerName);
      if (members === undefined) {
        members = new Map();
        this.brokerTable.set(broker.brokerName, members);
      }
      const latest = new Map(Object.entries(broker.brokerAddrs));
      for (const [id, addr] of latest) {
        if (members.get(id) !== addr) added = true;
      }
      members.clear();
      for (const [id, addr] of latest) members.set(id, addr);
    }
    return added;
  }

  private async unregisterFromBrokers(producerGroup: string | undefined, consumerGroup: string | undefined) {
    const extFields = UnregisterClientRequestHeader.encode({ clientID: this.clientId, producerGroup, consumerGroup });
    await Promise.allSettled(
      this.allBrokerAddresses().map((addr) =>
        this.invokeBroker(addr, createRequest(RequestCode.UNREGISTER_CLIENT, { extFields })),
      ),
    );
  }
}
