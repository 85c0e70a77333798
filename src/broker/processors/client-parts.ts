import type { Logger } from '../../common/logger.js';
import type { MessageStore } from '../../store/message-store.js';
import type { BrokerConfig } from '../broker-config.js';
import type { ConsumerManager } from '../consumer-manager.js';
import type { ConsumerOffsetManager } from '../consumer-offset-manager.js';
import type { TopicConfigs } from '../context.js';
import type { ProducerManager } from '../producer-manager.js';
import type { SubscriptionGroupManager } from '../subscription-group-manager.js';

/** What the client-management processors (client.ts, offsets.ts, group-admin.ts) work on. */
export interface ClientParts {
  config: BrokerConfig;
  logger: Logger;
  store: MessageStore;
  topics: TopicConfigs;
  consumers: ConsumerManager;
  producers: ProducerManager;
  subscriptionGroups: SubscriptionGroupManager;
  consumerOffsets: ConsumerOffsetManager;
  /** Milliseconds since the epoch. */
  now(): number;
}

/** PermName bits (reference §6.1). */
export const PERM_READ = 4;
export const PERM_WRITE = 2;

/** Prefix of a group's retry topic. */
export const RETRY_TOPIC_PREFIX = '%RETRY%';
