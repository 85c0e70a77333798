import { join } from 'node:path';
import type { Logger } from '../common/logger.js';
import { createRequest } from '../protocol/command.js';
import { NotifyConsumerIdsChangedRequestHeader } from '../protocol/headers/client.js';
import { RequestCode } from '../protocol/request-code.js';
import type { MessageStore } from '../store/message-store.js';
import type { RemotingConnection } from '../transport/connection.js';
import type { RequestHandler } from '../transport/dispatcher.js';
import type { RemotingServer } from '../transport/server.js';
import type { BrokerConfig } from './broker-config.js';
import { ConsumerManager } from './consumer-manager.js';
import { ConsumerOffsetManager } from './consumer-offset-manager.js';
import type { HandlerTable, TopicConfigs } from './context.js';
import { clientHandlers } from './processors/client.js';
import type { ClientParts } from './processors/client-parts.js';
import { groupAdminHandlers } from './processors/group-admin.js';
import { offsetHandlers } from './processors/offsets.js';
import { ProducerManager } from './producer-manager.js';
import { SubscriptionGroupManager } from './subscription-group-manager.js';

/** File names under the config dir, as in Java (`<storePathRootDir>/config/`). */
export const CONSUMER_OFFSET_FILE = 'consumerOffset.json';
export const SUBSCRIPTION_GROUP_FILE = 'subscriptionGroup.json';

/** How often idle clients are looked for (Java scans every 10 s). */
export const CLIENT_EXPIRY_SCAN_INTERVAL_MS = 10_000;

/** What the client services need from the broker. */
export interface ClientServicesInit {
  config: BrokerConfig;
  logger: Logger;
  store: MessageStore;
  server: RemotingServer;
  topics: TopicConfigs;
  /** Register with every NameServer now (the retry topic of a new group was created). */
  registerBrokerAll(): Promise<void>;
  /** Milliseconds since the epoch; injectable for expiry tests. */
  now(): number;
  /** Directory of consumerOffset.json and subscriptionGroup.json. */
  configDir: string;
}

/** The broker's client-management half: managers, their request handlers and their timers. */
export interface ClientServices {
  consumers: ConsumerManager;
  producers: ProducerManager;
  subscriptionGroups: SubscriptionGroupManager;
  consumerOffsets: ConsumerOffsetManager;
  /** HEART_BEAT, UNREGISTER_CLIENT, GET_CONSUMER_LIST_BY_GROUP, the offset codes and the group admin codes. */
  handlers: HandlerTable;
  /** Loads the json files and starts the offset-persist and client-expiry timers. */
  start(): Promise<void>;
  /** Stops the timers and persists offsets and groups. Idempotent. */
  shutdown(): Promise<void>;
  /** Runs one client-expiry scan now (the timer does it every 10 s). */
  scanExpiredClients(): void;
}

/**
 * Builds the consumer/producer managers, subscription groups and consumer offsets with their request handlers.
 * Clients leave when their connection closes (server.onConnectionClose) or 120 s (clientChannelMaxIdleTimeSeconds)
 * after their last heartbeat; offsets are written every flushConsumerOffsetInterval and on shutdown.
 */
export function createClientServices(init: ClientServicesInit): ClientServices {
  const logger = init.logger.child({ component: 'broker-clients' });
  const expiryMs = init.config.clientChannelMaxIdleTimeSeconds * 1000;
  const subscriptionGroups = new SubscriptionGroupManager(
    join(init.configDir, SUBSCRIPTION_GROUP_FILE),
    logger,
    () => init.config.autoCreateSubscriptionGroup,
    init.now,
  );
  const consumerOffsets = new ConsumerOffsetManager(join(init.configDir, CONSUMER_OFFSET_FILE), logger);
  const notify = (connection: RemotingConnection, group: string): void => {
    const request = createRequest(RequestCode.NOTIFY_CONSUMER_IDS_CHANGED, {
      extFields: NotifyConsumerIdsChangedRequestHeader.encode({ consumerGroup: group }),
      oneway: true,
    });
    init.server.invokeOneway(connection, request).catch((err: unknown) => {
      logger.debug({ err, group, peer: connection.remoteAddress }, 'NOTIFY_CONSUMER_IDS_CHANGED not sent');
    });
  };
  const consumers = new ConsumerManager({
    logger,
    channelExpiredTimeoutMs: expiryMs,
    notifyEnabled: (group) => subscriptionGroups.get(group)?.notifyConsumerIdsChangedEnable ?? true,
    notify,
  });
  const producers = new ProducerManager(logger, expiryMs);
  init.server.onConnectionClose((connection) => {
    consumers.connectionClosed(connection);
    producers.connectionClosed(connection);
  });

  const parts: ClientParts = {
    config: init.config,
    logger,
    store: init.store,
    topics: init.topics,
    consumers,
    producers,
    subscriptionGroups,
    consumerOffsets,
    now: init.now,
  };
  const handlers = new Map<number, RequestHandler>([
    ...clientHandlers(parts),
    ...offsetHandlers(parts),
    ...groupAdminHandlers(parts),
  ]);

  let persistTimer: NodeJS.Timeout | undefined;
  let expiryTimer: NodeJS.Timeout | undefined;
  let stopped: Promise<void> | undefined;

  const persistOffsets = (): void => {
    consumerOffsets.persist().catch((err: unknown) => logger.error({ err }, 'consumer offsets not persisted'));
  };
  const scanExpiredClients = (): void => {
    const now = init.now();
    consumers.scanExpired(now);
    producers.scanExpired(now);
  };

  return {
    consumers,
    producers,
    subscriptionGroups,
    consumerOffsets,
    handlers,
    scanExpiredClients,
    async start() {
      await subscriptionGroups.load();
      await consumerOffsets.load();
      persistTimer = setInterval(persistOffsets, init.config.flushConsumerOffsetInterval);
      persistTimer.unref();
      expiryTimer = setInterval(scanExpiredClients, CLIENT_EXPIRY_SCAN_INTERVAL_MS);
      expiryTimer.unref();
    },
    shutdown() {
      stopped ??= (async () => {
        clearInterval(persistTimer);
        clearInterval(expiryTimer);
        await consumerOffsets.persist();
        await subscriptionGroups.persist();
      })();
      return stopped;
    },
  };
}
