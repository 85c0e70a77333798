import { homedir } from 'node:os';
import { join } from 'node:path';
import { RocketMQError } from '../common/errors.js';
import { type Logger, silentLogger } from '../common/logger.js';
import { createResponse } from '../protocol/command.js';
import { formatHostAddress, type HostAddress, parseHostAddress, parseIp } from '../protocol/message/host.js';
import { ResponseCode } from '../protocol/response-code.js';
import { FileStore } from '../store/file-store.js';
import type { MessageStore } from '../store/message-store.js';
import { RemotingClient } from '../transport/client.js';
import { requestCodeNotSupported } from '../transport/dispatcher.js';
import { RemotingServer } from '../transport/server.js';
import { BrokerStatsSampler, createBrokerAdminHandlers } from './broker-admin.js';
import type { BrokerConfig } from './broker-config.js';
import { type ClientServices, createClientServices } from './client-services.js';
import type { BrokerContext, HandlerTable } from './context.js';
import { callConsumerHandlers } from './processors/call-consumer.js';
import { delayLevelsOf, parseDelayLevels, scheduleTagsCodeOf } from './delay-levels.js';
import { type BrokerIdentity, NamesrvApi, splitNamesrvAddr } from './namesrv-api.js';
import { checkClientConfigHandlers } from './processors/check-client-config.js';
import { lockHandlers } from './processors/lock.js';
import { queryHandlers } from './processors/query.js';
import { resetOffsetHandlers } from './processors/reset-offset.js';
import { createSendBackHandlers } from './processors/send-back.js';
import { createPullHandlers } from './pull.js';
import { PullHoldService } from './pull-hold.js';
import { RebalanceLockManager } from './rebalance-lock-manager.js';
import { ScheduleMessageService } from './schedule-message-service.js';
import { createSendHandlers } from './send.js';
import { TimerMessageService } from './timer/timer-message-service.js';
import { createTopicAdminHandlers } from './topic-admin.js';
import { TopicConfigManager } from './topic-config-manager.js';
import { createEndTransactionHandlers } from './transaction/end-transaction.js';
import { TransactionService } from './transaction/transaction-service.js';

/** Options of {@link BrokerController}. */
export interface BrokerControllerOptions {
  config: BrokerConfig;
  logger?: Logger;
  /** Milliseconds since the epoch; injectable for expiry tests. */
  now?: () => number;
  /** A store to use instead of the FileStore under storePathRootDir (tests). */
  store?: (storeHost: HostAddress) => MessageStore;
  /** Replaces the client-management half (tests of this half alone). */
  clientServices?: typeof createClientServices;
  /** Time shutdown waits for requests in flight (ms). Default 5000. */
  closeGraceMs?: number;
}

/** Key names of the store schema a FileStore accepts from the broker config. */
const STORE_KEYS = [
  'storePathRootDir',
  'storePathCommitLog',
  'mappedFileSizeCommitLog',
  'mappedFileSizeConsumeQueue',
  'flushDiskType',
  'flushIntervalCommitLog',
  'flushIntervalConsumeQueue',
  'flushCheckpointInterval',
  'syncFlushTimeout',
  'fileReservedTime',
  'deleteWhen',
  'deleteCommitLogFilesInterval',
  'cleanResourceInterval',
  'diskMaxUsedSpaceRatio',
  'diskSpaceHardLimitRatio',
  'maxMessageSize',
  'maxHashSlotNum',
  'maxIndexNum',
  'messageIndexEnable',
  'writeBufferSize',
  'tailCacheChunks',
] as const;

/** `~/x` → the home directory's x. */
export function expandHome(path: string): string {
  return path === '~' || path.startsWith('~/') ? join(homedir(), path.slice(1)) : path;
}

/**
 * One broker: the remoting server, the message store, the topic table, the client-management half, the
 * processors and the NameServer registration. `start()` listens (so port 0 resolves before the store records its
 * host), starts the store, loads topics and client state, serves, and registers with every NameServer at once and
 * every registerNameServerPeriod. `shutdown()` unregisters, answers held pulls, drains the server, persists and
 * closes the store.
 */
export class BrokerController {
  readonly config: BrokerConfig;
  readonly server: RemotingServer;
  /** Orderly-consumption queue locks (LOCK_BATCH_MQ / UNLOCK_BATCH_MQ), lifetime rebalanceLockMaxLiveTime. */
  readonly lockManager: RebalanceLockManager;
  private readonly logger: Logger;
  private readonly options: BrokerControllerOptions;
  private readonly now: () => number;
  private readonly namesrvClient: RemotingClient;
  private readonly namesrvApi: NamesrvApi;
  private started: { ctx: BrokerContext; topics: TopicConfigManager; clients: ClientServices } | undefined;
  private store: MessageStore | undefined;
  private hold: PullHoldService | undefined;
  private schedule: ScheduleMessageService | undefined;
  private transactions: TransactionService | undefined;
  private timer: TimerMessageService | undefined;
  private sampler: BrokerStatsSampler | undefined;
  private registerTimer: NodeJS.Timeout | undefined;
  private registering: Promise<void> | undefined;
  private registerAgain = false;
  private identity: BrokerIdentity | undefined;
  private stopping: Promise<void> | undefined;
  private ready = false;

  constructor(options: BrokerControllerOptions) {
    this.options = options;
    this.config = options.config;
    this.now = options.now ?? Date.now;
    this.logger = (options.logger ?? silentLogger).child({ component: 'broker' });
    if (this.config.brokerRole !== 'SLAVE' && this.config.brokerId !== 0) {
      this.logger.warn({ brokerId: this.config.brokerId }, 'a master broker has brokerId 0; forcing it');
      this.config.brokerId = 0;
    }
    if (this.config.brokerRole === 'SLAVE' && this.config.brokerId <= 0) {
      throw new RocketMQError('CONFIG_INVALID', 'a SLAVE broker needs brokerId > 0');
    }
    parseDelayLevels(this.config.messageDelayLevel);
    this.server = new RemotingServer({
      host: this.config.listenAddress,
      port: this.config.listenPort,
      logger: options.logger ?? silentLogger,
      idleTimeoutMs: this.config.serverChannelMaxIdleTimeSeconds * 1000,
    });
    this.server.setDefaultHandler((request) =>
      this.ready
        ? requestCodeNotSupported(request)
        : createResponse(request, ResponseCode.SYSTEM_BUSY, { remark: 'broker is starting or shutting down' }),
    );
    this.namesrvClient = new RemotingClient({ logger: options.logger ?? silentLogger });
    this.lockManager = new RebalanceLockManager({
      lockMaxLiveTimeMs: this.config.rebalanceLockMaxLiveTime,
      now: this.now,
      logger: this.logger,
    });
    this.namesrvApi = new NamesrvApi(this.namesrvClient, this.logger);
  }

  /** The shared context (after start). */
  get context(): BrokerContext {
    if (!this.started) throw new RocketMQError('SERVICE_NOT_AVAILABLE', 'the broker is not started');
    return this.started.ctx;
  }

  /** The topic table (after start). */
  get topicManager(): TopicConfigManager {
    if (!this.started) throw new RocketMQError('SERVICE_NOT_AVAILABLE', 'the broker is not started');
    return this.started.topics;
  }

  /** Delivery of delay-level messages (after start). */
  get scheduleMessageService(): ScheduleMessageService {
    if (!this.schedule) throw new RocketMQError('SERVICE_NOT_AVAILABLE', 'the broker is not started');
    return this.schedule;
  }

  /** Timer messages (after start; undefined when timerWheelEnable is false or on a SLAVE). */
  get timerMessageService(): TimerMessageService | undefined {
    return this.timer;
  }

  /** Transactional messages: END_TRANSACTION and the check-back (after start). */
  get transactionService(): TransactionService {
    if (!this.transactions) throw new RocketMQError('SERVICE_NOT_AVAILABLE', 'the broker is not started');
    return this.transactions;
  }

  /** The client-management half (after start). */
  get clientServices(): ClientServices {
    if (!this.started) throw new RocketMQError('SERVICE_NOT_AVAILABLE', 'the broker is not started');
    return this.started.clients;
  }

  /** `host:port` this broker registers with the NameServers (after start). */
  get brokerAddr(): string {
    return this.context.brokerAddr;
  }

  /** Starts everything; resolves with the bound address and the advertised broker address. */
  async start(): Promise<{ host: string; port: number; brokerAddr: string }> {
    const bound = await this.server.listen();
    const advertised = this.config.advertisedAddress ? parseHostAddress(this.config.advertisedAddress) : undefined;
    if (this.config.advertisedAddress && !advertised) {
      await this.server.close(0);
      throw new RocketMQError(
        'CONFIG_INVALID',
        `advertisedAddress "${this.config.advertisedAddress}" is not host:port`,
      );
    }
    const brokerAddr = advertised
      ? formatHostAddress(advertised)
      : formatHostAddress({ host: this.config.brokerIP1, port: bound.port });
    const storeHost =
      advertised && parseIp(advertised.host) ? advertised : { host: this.config.brokerIP1, port: bound.port };
    const rootDir = expandHome(this.config.storePathRootDir);
    const configDir = join(rootDir, 'config');

    try {
      const store = this.options.store
        ? this.options.store(storeHost)
        : new FileStore({
            config: {
              ...Object.fromEntries(STORE_KEYS.map((k) => [k, this.config[k]])),
              brokerIP1: storeHost.host,
              listenPort: storeHost.port,
            },
            logger: this.options.logger ?? silentLogger,
            tagsCodeOf: (topic, props, storeTimestamp) =>
              scheduleTagsCodeOf(topic, props, storeTimestamp, delayLevelsOf(this.config.messageDelayLevel)),
          });
      this.store = store;
      await store.start();

      const registerBrokerAll = () => this.registerBrokerAll();
      const topics = new TopicConfigManager({
        config: this.config,
        logger: this.logger,
        configDir,
        registerBrokerAll,
        now: this.now,
      });
      await topics.load();
      const clients = (this.options.clientServices ?? createClientServices)({
        config: this.config,
        logger: this.options.logger ?? silentLogger,
        store,
        server: this.server,
        topics,
        registerBrokerAll,
        now: this.now,
        configDir,
      });
      await clients.start();
      const ctx: BrokerContext = {
        config: this.config,
        logger: this.logger,
        store,
        server: this.server,
        storeHost,
        brokerAddr,
        topics,
        subscriptionGroups: clients.subscriptionGroups,
        consumerOffsets: clients.consumerOffsets,
        consumers: clients.consumers,
        registerBrokerAll,
        now: this.now,
      };
      this.started = { ctx, topics, clients };
      this.identity = {
        clusterName: this.config.brokerClusterName,
        brokerName: this.config.brokerName,
        brokerId: this.config.brokerId,
        brokerAddr,
        haServerAddr: `${this.config.brokerIP2 || storeHost.host}:${bound.port + 1}`,
      };

      const hold = new PullHoldService({
        logger: this.logger,
        now: this.now,
        maxOffsetInQueue: (topic, queueId) => store.getMaxOffsetInQueue(topic, queueId),
      });
      this.hold = hold;
      store.onMessageArrived((topic, queueId, queueOffset, tagsCode) =>
        hold.notifyMessageArriving(topic, queueId, queueOffset, tagsCode),
      );
      hold.start();
      const schedule = new ScheduleMessageService({
        store,
        levels: parseDelayLevels(this.config.messageDelayLevel),
        configDir,
        logger: this.logger,
        now: this.now,
      });
      this.schedule = schedule;
      await schedule.start();
      const transactions = new TransactionService({
        config: this.config,
        store,
        logger: this.logger,
        now: this.now,
        storeHost,
        brokerAddr,
        consumerOffsets: clients.consumerOffsets,
        topics,
        findProducer: (group) => clients.producers.anyConnection(group),
        invokeOneway: (connection, request) => this.server.invokeOneway(connection, request),
      });
      this.transactions = transactions;
      await transactions.start();
      if (this.config.timerWheelEnable && this.config.brokerRole !== 'SLAVE') {
        this.timer = new TimerMessageService({
          store,
          rootDir,
          config: this.config,
          fileReservedTimeHours: this.config.fileReservedTime,
          logger: this.logger,
          now: this.now,
        });
        await this.timer.start();
      }
      const bootTimestamp = this.now();
      this.sampler = new BrokerStatsSampler(() => store.stats(), this.now);
      this.sampler.start();

      const tables: HandlerTable[] = [
        createSendHandlers(ctx, topics, (group) => !this.lockManager.isLockAllExpired(group)),
        createSendBackHandlers(ctx),
        schedule.handlers(),
        createEndTransactionHandlers(transactions, () => this.config.brokerRole === 'SLAVE'),
        createPullHandlers(ctx, hold),
        createTopicAdminHandlers(ctx, topics),
        createBrokerAdminHandlers(ctx, this.sampler, bootTimestamp, (keys) => {
          if (keys.includes('brokerPermission')) void this.registerBrokerAll();
        }),
        clients.handlers,
        checkClientConfigHandlers(() => this.config.enablePropertyFilter, this.logger),
        lockHandlers(this.lockManager),
        queryHandlers({ ctx, consumers: clients.consumers, consumerOffsets: clients.consumerOffsets }),
        resetOffsetHandlers({ ctx, consumers: clients.consumers, consumerOffsets: clients.consumerOffsets }),
        callConsumerHandlers({ ctx, consumers: clients.consumers }),
      ];
      for (const table of tables) for (const [code, handler] of table) this.server.registerHandler(code, handler);
      this.ready = true;
    } catch (err) {
      await this.server.close(0);
      await this.schedule?.shutdown().catch(() => undefined);
      await this.transactions?.shutdown().catch(() => undefined);
      await this.timer?.shutdown().catch(() => undefined);
      await this.store?.shutdown().catch(() => undefined);
      throw err;
    }

    await this.registerBrokerAll();
    const period = Math.min(Math.max(this.config.registerNameServerPeriod, 10_000), 60_000);
    this.registerTimer = setInterval(() => void this.registerBrokerAll(), period);
    this.registerTimer.unref();
    this.logger.info({ bound, brokerAddr, namesrvAddr: this.config.namesrvAddr }, 'broker started');
    return { host: bound.host, port: bound.port, brokerAddr };
  }

  /**
   * Registers with every NameServer. Calls made while one registration runs coalesce into one more run after it,
   * so the NameServers always end with the newest topic table. Never throws.
   */
  registerBrokerAll(): Promise<void> {
    if (this.registering) {
      this.registerAgain = true;
      return this.registering;
    }
    const run = async (): Promise<void> => {
      do {
        this.registerAgain = false;
        await this.registerOnce();
      } while (this.registerAgain && !this.stopping);
    };
    this.registering = run().finally(() => {
      this.registering = undefined;
    });
    return this.registering;
  }

  private async registerOnce(): Promise<void> {
    const addrs = splitNamesrvAddr(this.config.namesrvAddr);
    if (addrs.length === 0 || !this.identity || !this.started) return;
    const wrapper = this.started.topics.wrapper();
    if ((this.config.brokerPermission & 2) === 0 || (this.config.brokerPermission & 4) === 0) {
      // Java registers topics with the broker's perm applied when the broker is not fully readable/writable
      for (const [name, config] of Object.entries(wrapper.topicConfigTable)) {
        wrapper.topicConfigTable[name] = { ...config, perm: config.perm & this.config.brokerPermission };
      }
    }
    const results = await this.namesrvApi.registerBrokerAll(
      addrs,
      this.identity,
      wrapper,
      this.config.registerBrokerTimeoutMills,
    );
    for (const r of results) {
      if (!r.ok) this.logger.warn({ namesrvAddr: r.namesrvAddr, error: r.error }, 'register broker failed');
    }
  }

  /** Graceful stop: unregister, answer held pulls, drain the server, persist, close the store. Idempotent. */
  shutdown(): Promise<void> {
    this.stopping ??= this.stop();
    return this.stopping;
  }

  private async stop(): Promise<void> {
    if (this.registerTimer) clearInterval(this.registerTimer);
    this.registerTimer = undefined;
    await this.registering;
    const addrs = splitNamesrvAddr(this.config.namesrvAddr);
    if (this.identity && addrs.length > 0) {
      await this.namesrvApi.unregisterBrokerAll(
        addrs,
        this.identity,
        Math.min(this.config.registerBrokerTimeoutMills, 3000),
      );
    }
    await this.hold?.shutdown();
    this.sampler?.shutdown();
    await this.server.close(this.options.closeGraceMs ?? 5000);
    await this.schedule?.shutdown();
    await this.transactions?.shutdown();
    await this.timer?.shutdown();
    this.ready = false;
    if (this.started) {
      await this.started.clients.shutdown();
      await this.started.topics.flush();
    }
    await this.store?.shutdown();
    await this.namesrvClient.close();
    this.logger.info('broker stopped');
  }
}
