import type { Logger } from '../common/logger.js';
import type { HostAddress } from '../protocol/message/host.js';
import type { SubscriptionData } from '../protocol/headers/client.js';
import type { SubscriptionGroupConfig } from '../protocol/subscription-group.js';
import type { MessageStore } from '../store/message-store.js';
import type { RequestHandler } from '../transport/dispatcher.js';
import type { RemotingServer } from '../transport/server.js';
import type { BrokerConfig } from './broker-config.js';

/**
 * The contract between the broker's parts. The BrokerController (broker.ts) builds one BrokerContext and hands it
 * to every processor; managers are reached through the narrow interfaces below so that each part can be written,
 * tested and faked on its own.
 */

/** TopicConfig as RocketMQ persists it in topics.json (reference §4.3). */
export interface TopicConfig {
  topicName: string;
  readQueueNums: number;
  writeQueueNums: number;
  /** PermName bits: 4 read, 2 write, 1 inherit (reference §6.1). */
  perm: number;
  topicFilterType: 'SINGLE_TAG' | 'MULTI_TAG';
  topicSysFlag: number;
  order: boolean;
  attributes: Record<string, string>;
}

/** Topics hosted by this broker (topics.json). Implemented in topic-config-manager.ts. */
export interface TopicConfigs {
  get(topic: string): TopicConfig | undefined;
  all(): TopicConfig[];
  /** Create or replace a topic; persists and re-registers with the NameServers. */
  upsert(config: TopicConfig): Promise<void>;
  /**
   * `%RETRY%<group>` / `%DLQ%<group>` and other internal topics: return the existing config or create it with the
   * given queue count and perm, persisting and registering with the NameServers at once.
   */
  getOrCreateInternal(topic: string, queueNums: number, perm: number): Promise<TopicConfig>;
  delete(topic: string): Promise<boolean>;
}

export type { SubscriptionData };

export type { SubscriptionGroupConfig };

/** Subscription groups. Implemented in subscription-group-manager.ts. */
export interface SubscriptionGroups {
  get(group: string): SubscriptionGroupConfig | undefined;
  /** The group's config, auto-created with defaults when `autoCreateSubscriptionGroup` is on; else undefined. */
  getOrCreate(group: string): Promise<SubscriptionGroupConfig | undefined>;
}

/** Committed consumer offsets (consumerOffset.json). Implemented in consumer-offset-manager.ts. */
export interface ConsumerOffsets {
  /** The committed offset, or -1 when the group has none for that queue. */
  query(group: string, topic: string, queueId: number): number;
  commit(clientHost: string, group: string, topic: string, queueId: number, offset: number): void;
  /** Forgets every group's offsets on a topic (DELETE_TOPIC_IN_BROKER). */
  removeTopic?(topic: string): void;
}

/** Online consumer groups, from heartbeats. Implemented in consumer-manager.ts. */
export interface Consumers {
  /** The subscription a group registered for a topic through heartbeats, if any. */
  findSubscription(group: string, topic: string): SubscriptionData | undefined;
  /** Client ids of a group's live members. */
  clientIds(group: string): string[];
  /** Whether the group consumes in BROADCASTING mode (offsets then stay with the clients). */
  isBroadcasting(group: string): boolean;
}

export interface BrokerContext {
  config: BrokerConfig;
  logger: Logger;
  store: MessageStore;
  server: RemotingServer;
  /** The address this broker registers and writes into offset message ids (advertisedAddress or the bind address). */
  storeHost: HostAddress;
  /** `host:port` form of storeHost. */
  brokerAddr: string;
  topics: TopicConfigs;
  subscriptionGroups: SubscriptionGroups;
  consumerOffsets: ConsumerOffsets;
  consumers: Consumers;
  /** Register with every NameServer now (topics changed). Failures are logged, never thrown. */
  registerBrokerAll(): Promise<void>;
  /** Milliseconds since the epoch; injectable for expiry tests. */
  now(): number;
}

/** What a family of processors contributes: handlers keyed by request code. */
export type HandlerTable = ReadonlyMap<number, RequestHandler>;
