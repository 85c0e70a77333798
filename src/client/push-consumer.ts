/**
 * PushConsumer: subscribe to topics and have a handler called for each message (reference §6.5–§6.9). Under the
 * hood it pulls with long polling from the queues the rebalance gives it, keeps pulled messages in per-queue process
 * queues (flow control by count and bytes), calls the handler concurrently or orderly, and commits offsets to the
 * broker (CLUSTERING) or a local file (BROADCASTING) every 5 s and on shutdown.
 */
import { RocketMQError } from '../common/errors.js';
import type { RemotingCommand } from '../protocol/command.js';
import { createResponse } from '../protocol/command.js';
import { parseJson, stringifyJsonBuffer } from '../protocol/fastjson.js';
import {
  ConsumeMessageDirectlyResultRequestHeader,
  GetConsumerRunningInfoRequestHeader,
  GetConsumerStatusRequestHeader,
} from '../protocol/headers/admin.js';
import { NotifyConsumerIdsChangedRequestHeader } from '../protocol/headers/client.js';
import { type MessageExt, toMessageExt } from '../protocol/message/message.js';
import { MessageConst } from '../protocol/message/properties.js';
import { decodeRecord } from '../protocol/message/record.js';
import { RequestCode } from '../protocol/request-code.js';
import { ResponseCode } from '../protocol/response-code.js';
import { AllocateStrategies, type AllocateStrategy } from './allocate.js';
import { ClientInstance, type ClientOptions, type SubscriptionData } from './client-instance.js';
import { ConcurrentConsumeService, type ConsumeHost, type MessageHandler } from './consume-concurrently.js';
import { OrderlyConsumeService, type OrderlyMessageHandler } from './consume-orderly.js';
import { withNamespace, withoutNamespace } from './namespace.js';
import {
  type ConsumeFromWhere,
  computeStartOffset,
  defaultLocalOffsetDir,
  LocalFileOffsetStore,
  masterAddressOf,
  type OffsetStore,
  RemoteBrokerOffsetStore,
} from './offset-store.js';
import { DEFAULT_FLOW_CONTROL, ProcessQueue } from './process-queue.js';
import {
  lockBatchMq,
  PULL_SUSPEND_TIMEOUT_MS,
  PULL_TIMEOUT_MS,
  pullMessage,
  republishToRetryTopic,
  sendMessageBack,
  unlockBatchMq,
} from './pull-api.js';
import {
  buildSubscriptionData,
  clientRebalancer,
  type MessageSelector,
  type Rebalancer,
  retryTopicOf,
} from './rebalance.js';
import { type MessageQueue, mqKey, publishQueues } from './route.js';
import { encodeConsumerRunningInfo } from './running-info.js';

/** Options of a {@link PushConsumer}. Intervals are shortened in tests; the defaults are Java's. */
export interface PushConsumerOptions extends ClientOptions {
  consumerGroup: string;
  /** CLUSTERING (default): the group shares the queues. BROADCASTING: every member gets every message. */
  messageModel?: 'CLUSTERING' | 'BROADCASTING';
  /** Where to start when the group has no offset yet. Default CONSUME_FROM_LAST_OFFSET. */
  consumeFromWhere?: ConsumeFromWhere;
  /** With CONSUME_FROM_TIMESTAMP: epoch ms. Default 30 minutes ago. */
  consumeTimestamp?: number;
  /** Allocation strategy (CLUSTERING): a name or a function. Default 'AVG'. */
  allocateStrategy?: keyof typeof AllocateStrategies | AllocateStrategy;
  /** Concurrent handlers at once. Default 20. */
  concurrency?: number;
  /** Messages per pull. Default 32. */
  pullBatchSize?: number;
  /** Failures before the DLQ. Default 16 (concurrent) / unlimited (orderly). */
  maxReconsumeTimes?: number;
  /** Flow control: cached messages per queue. Default 1000. */
  maxCachedMessagesPerQueue?: number;
  /** Flow control: cached body bytes per queue. Default 100 MiB. */
  maxCachedBytesPerQueue?: number;
  /** Default 20 000 ms. */
  rebalanceIntervalMs?: number;
  /** Default 5000 ms. */
  persistOffsetIntervalMs?: number;
  /** Orderly: lock renewal. Default 20 000 ms. */
  lockIntervalMs?: number;
  /** Orderly: pause before a failed message is retried. Default 1000 ms. */
  orderlySuspendMs?: number;
  /** Long-poll hold time asked of the broker. Default 15 000 ms. */
  brokerSuspendMs?: number;
  /** Pause after a pull error. Default 3000 ms. */
  pullErrorDelayMs?: number;
  /** Local retry delay when send-back failed. Default 5000 ms. */
  retryLaterMs?: number;
  /** BROADCASTING offsets directory. Default ~/.rocketmq_offsets. */
  localOffsetStoreDir?: string;
}

/** How the consumer handles messages, chosen by {@link PushConsumer.onMessage} or {@link PushConsumer.onMessageOrderly}. */
type HandlerChoice = { orderly: false; handler: MessageHandler } | { orderly: true; handler: OrderlyMessageHandler };

/** A queue being consumed: its process queue and the next offset to pull. */
interface QueueState {
  mq: MessageQueue;
  pq: ProcessQueue;
  nextOffset: number;
}

const FLOW_CONTROL_PAUSE_MS = 50;
const LOCK_MAX_LIVE_MS = 30_000;
/** How long removing an orderly queue waits for its running handler. */
const ORDERLY_REMOVE_WAIT_MS = 3000;

/** A push consumer: `subscribe`, `onMessage` (or `onMessageOrderly`), `start`, and later `shutdown`. */
export class PushConsumer {
  /** The client this consumer talks through (one per consumer). */
  readonly client: ClientInstance;
  /** The consumer group (with namespace). */
  readonly group: string;
  /** `%RETRY%<group>`. */
  private readonly retryTopic: string;
  readonly messageModel: 'CLUSTERING' | 'BROADCASTING';
  private readonly options: PushConsumerOptions;
  private readonly logger;
  private readonly subscriptions = new Map<string, SubscriptionData>();
  private readonly queues = new Map<string, QueueState>();
  private readonly timers: NodeJS.Timeout[] = [];
  private choice: HandlerChoice | undefined;
  private service: ConcurrentConsumeService | OrderlyConsumeService | undefined;
  private offsetStore!: OffsetStore;
  private rebalancer!: Rebalancer;
  private state: 'created' | 'running' | 'stopping' | 'stopped' = 'created';
  private startTimestamp = 0;

  constructor(options: PushConsumerOptions) {
    if (options.consumerGroup === '') throw new RocketMQError('INVALID_PARAMETER', 'consumerGroup is required');
    this.options = options;
    this.client = new ClientInstance(options);
    this.group = withNamespace(options.namespace, options.consumerGroup);
    this.retryTopic = retryTopicOf(this.group);
    this.messageModel = options.messageModel ?? 'CLUSTERING';
    this.logger = this.client.options.logger.child({ component: 'push-consumer', group: this.group });
  }

  /** The client id brokers know this consumer by. */
  get clientId(): string {
    return this.client.clientId;
  }

  /**
   * Subscribes to `topic` with tags (`'TagA || TagB'`, `'*'`) or `{ type: 'SQL92', expression }`. Replaces an
   * earlier subscription of the topic; allowed before and after start.
   */
  subscribe(topic: string, selector: MessageSelector = '*'): this {
    const full = withNamespace(this.options.namespace, topic);
    this.subscriptions.set(full, buildSubscriptionData(full, selector));
    this.client.subscribeRouteTopic(full);
    if (this.state === 'running') void this.refreshAndRebalance();
    return this;
  }

  /** Stops consuming `topic`; its queues are released at the next rebalance (run at once when started). */
  unsubscribe(topic: string): this {
    this.subscriptions.delete(withNamespace(this.options.namespace, topic));
    if (this.state === 'running') void this.rebalancer.rebalance();
    return this;
  }

  /** Consumes concurrently with `handler` (returning 'RECONSUME_LATER' or throwing retries the message later). */
  onMessage(handler: MessageHandler): this {
    this.setChoice({ orderly: false, handler });
    return this;
  }

  /** Consumes orderly with `handler`: one message at a time per queue, queues locked on the brokers. */
  onMessageOrderly(handler: OrderlyMessageHandler): this {
    this.setChoice({ orderly: true, handler });
    return this;
  }

  private setChoice(choice: HandlerChoice): void {
    if (this.state !== 'created') throw new RocketMQError('INVALID_PARAMETER', 'set the handler before start()');
    this.choice = choice;
  }

  /** The queues this consumer currently owns. */
  assignedQueues(): MessageQueue[] {
    return [...this.queues.values()].map((s) => ({ ...s.mq }));
  }

  /** Connects, registers the group, runs a first rebalance and starts pulling. */
  async start(): Promise<void> {
    if (this.state !== 'created') throw new RocketMQError('INVALID_PARAMETER', 'a PushConsumer starts only once');
    if (this.choice === undefined) throw new RocketMQError('INVALID_PARAMETER', 'call onMessage() before start()');
    if (this.subscriptions.size === 0) throw new RocketMQError('INVALID_PARAMETER', 'subscribe() before start()');
    this.state = 'running';
    this.startTimestamp = Date.now();
    const o = this.options;
    if (this.messageModel === 'CLUSTERING') {
      const retryTopic = retryTopicOf(this.group);
      this.subscriptions.set(retryTopic, buildSubscriptionData(retryTopic, '*'));
    }
    this.offsetStore =
      this.messageModel === 'CLUSTERING'
        ? new RemoteBrokerOffsetStore(
            {
              client: this.client,
              brokerAddress: (name) => this.masterAddress(name),
              onError: (err, mq) => this.logger.debug({ err, mq }, 'offset persist failed'),
            },
            this.group,
          )
        : new LocalFileOffsetStore(o.localOffsetStoreDir ?? defaultLocalOffsetDir(), this.clientId, this.group);
    await this.offsetStore.load();
    this.service = this.createService(this.choice);
    this.rebalancer = this.createRebalancer();
    this.client.registerConsumer({
      groupName: this.group,
      consumeType: 'CONSUME_PASSIVELY',
      messageModel: this.messageModel,
      consumeFromWhere: o.consumeFromWhere ?? 'CONSUME_FROM_LAST_OFFSET',
      subscriptions: () => [...this.subscriptions.values()],
      onTopicRouteChanged: () => void this.rebalancer.rebalance(),
    });
    this.client.onBrokerRequest(RequestCode.NOTIFY_CONSUMER_IDS_CHANGED, (req) => this.onIdsChanged(req));
    this.client.onBrokerRequest(RequestCode.RESET_CONSUMER_CLIENT_OFFSET, (req) => this.onResetOffset(req));
    this.client.onBrokerRequest(RequestCode.GET_CONSUMER_RUNNING_INFO, (req) => this.onRunningInfo(req));
    this.client.onBrokerRequest(RequestCode.CONSUME_MESSAGE_DIRECTLY, (req) => this.onConsumeDirectly(req));
    this.client.onBrokerRequest(RequestCode.GET_CONSUMER_STATUS_FROM_CLIENT, (req) => this.onConsumerStatus(req));
    await this.client.start();
    await this.refreshAndRebalance();
    this.every(o.rebalanceIntervalMs ?? 20_000, () => this.refreshAndRebalance());
    this.every(o.persistOffsetIntervalMs ?? 5000, () => this.persistOffsets());
    if (this.choice.orderly && this.messageModel === 'CLUSTERING') {
      this.every(o.lockIntervalMs ?? 20_000, () => this.lockAll());
    }
  }

  /**
   * Graceful shutdown: stops pulling, waits for running handlers (messages not yet started are re-delivered
   * later), commits offsets, releases orderly locks, unregisters and closes connections. With `abort`, handlers see
   * their AbortSignal aborted.
   */
  async shutdown(options: { abort?: boolean } = {}): Promise<void> {
    if (this.state !== 'running') {
      this.state = 'stopped';
      return;
    }
    this.state = 'stopping';
    for (const timer of this.timers) clearInterval(timer);
    await this.rebalancer.stop();
    await this.service?.stop(options.abort === true);
    for (const { mq, pq } of this.queues.values()) {
      pq.dropped = true;
      try {
        await this.offsetStore.persist(mq);
      } catch (err) {
        this.logger.warn({ err, mq }, 'could not commit the offset at shutdown');
      }
    }
    if (this.choice?.orderly && this.messageModel === 'CLUSTERING') await this.unlockAll();
    this.queues.clear();
    this.state = 'stopped';
    await this.client.shutdown();
  }

  private every(ms: number, task: () => Promise<void>): void {
    const timer = setInterval(() => {
      if (this.state === 'running') void task().catch((err) => this.logger.warn({ err }, 'periodic task failed'));
    }, ms);
    timer.unref();
    this.timers.push(timer);
  }

  private createService(choice: HandlerChoice): ConcurrentConsumeService | OrderlyConsumeService {
    const host: ConsumeHost = {
      messageModel: this.messageModel,
      logger: this.logger,
      commit: (mq, pq, offset) => {
        if (offset >= 0 && !pq.dropped) this.offsetStore.update(mq, offset, true);
      },
      sendBack: (msg, mq, max, delayLevel) => this.sendBack(msg, mq, max, delayLevel),
    };
    const o = this.options;
    if (choice.orderly) {
      return new OrderlyConsumeService(host, choice.handler, {
        maxReconsumeTimes:
          o.maxReconsumeTimes === undefined || o.maxReconsumeTimes < 0 ? Number.MAX_SAFE_INTEGER : o.maxReconsumeTimes,
        suspendMs: o.orderlySuspendMs ?? 1000,
        needsLock: this.messageModel === 'CLUSTERING',
        lockMaxLiveMs: LOCK_MAX_LIVE_MS,
      });
    }
    return new ConcurrentConsumeService(host, choice.handler, {
      concurrency: o.concurrency ?? 20,
      maxReconsumeTimes: o.maxReconsumeTimes === undefined || o.maxReconsumeTimes < 0 ? 16 : o.maxReconsumeTimes,
      retryLaterMs: o.retryLaterMs ?? 5000,
    });
  }

  private createRebalancer(): Rebalancer {
    const orderlyClustering = this.choice?.orderly === true && this.messageModel === 'CLUSTERING';
    return clientRebalancer(this.client, {
      group: this.group,
      messageModel: this.messageModel,
      strategy: this.options.allocateStrategy ?? 'AVG',
      logger: this.logger,
      topics: () => [...this.subscriptions.keys()],
      lock: orderlyClustering ? (mqs) => this.lockQueues(mqs) : undefined,
      addQueue: (mq) => this.addQueue(mq),
      removeQueue: (mq) => this.removeQueue(mq),
    });
  }

  /** Refreshes the routes of the subscribed topics, heartbeats, then rebalances. */
  private async refreshAndRebalance(): Promise<void> {
    await Promise.all(
      [...this.subscriptions.keys()].map((topic) =>
        this.client.getTopicRoute(topic, true).catch((err) => this.logger.debug({ err, topic }, 'no route yet')),
      ),
    );
    await this.client.sendHeartbeatToAllBrokers().catch((err) => this.logger.warn({ err }, 'heartbeat failed'));
    // the heartbeat creates %RETRY%<group> on the brokers: fetch its route now if it was missing
    const missing = [...this.subscriptions.keys()].filter((t) => this.client.cachedTopicRoute(t) === undefined);
    await Promise.all(missing.map((t) => this.client.getTopicRoute(t, true).catch(() => undefined)));
    if (this.state === 'running') await this.rebalancer.rebalance();
  }

  private masterAddress(brokerName: string): Promise<string | undefined> {
    return masterAddressOf(this.client, brokerName);
  }

  /** The offset to start `mq` from: the committed one, else by consumeFromWhere (reference §6.9). */
  private initialOffset(mq: MessageQueue): Promise<number> {
    return computeStartOffset(
      this.client,
      this.offsetStore,
      mq,
      this.messageModel === 'CLUSTERING' ? 'STORE' : 'MEMORY',
      this.options.consumeFromWhere ?? 'CONSUME_FROM_LAST_OFFSET',
      this.options.consumeTimestamp ?? Date.now() - 30 * 60_000,
    );
  }

  private async addQueue(mq: MessageQueue): Promise<boolean> {
    if (this.state !== 'running') return false;
    const nextOffset = await this.initialOffset(mq);
    this.offsetStore.update(mq, nextOffset, false);
    const state: QueueState = { mq, pq: new ProcessQueue(), nextOffset };
    if (this.choice?.orderly && this.messageModel === 'CLUSTERING') {
      state.pq.locked = true;
      state.pq.lastLockTimestamp = Date.now();
    }
    this.queues.set(mqKey(mq), state);
    void this.pullLoop(state);
    return true;
  }

  private async removeQueue(mq: MessageQueue): Promise<void> {
    const key = mqKey(mq);
    const state = this.queues.get(key);
    if (state === undefined) return;
    this.queues.delete(key);
    state.pq.dropped = true;
    const orderlyClustering = this.choice?.orderly === true && this.messageModel === 'CLUSTERING';
    // orderly: let the handler running on the queue finish first, so the next owner cannot overlap it
    if (orderlyClustering) await waitUntil(() => !state.pq.consumingNow, ORDERLY_REMOVE_WAIT_MS);
    try {
      await this.offsetStore.persist(mq);
    } finally {
      this.offsetStore.remove(mq);
      const addr = this.client.findBrokerAddress(mq.brokerName, true);
      // a handler still running keeps the lock: it expires on the broker instead
      if (orderlyClustering && !state.pq.consumingNow && addr !== undefined) {
        await unlockBatchMq(this.client, addr, this.group, this.clientId, [mq]).catch(() => undefined);
      }
    }
  }

  private pullLimits() {
    return {
      maxCachedCount: this.options.maxCachedMessagesPerQueue ?? DEFAULT_FLOW_CONTROL.maxCachedCount,
      maxCachedBytes: this.options.maxCachedBytesPerQueue ?? DEFAULT_FLOW_CONTROL.maxCachedBytes,
    };
  }

  /** Pulls `state.mq` until it is dropped: long polling, flow control, hand-off to the consume service. */
  private async pullLoop(state: QueueState): Promise<void> {
    const { mq, pq } = state;
    const limits = this.pullLimits();
    const o = this.options;
    while (!pq.dropped && this.state === 'running') {
      if (pq.isFlowControlled(limits)) {
        await pause(FLOW_CONTROL_PAUSE_MS);
        continue;
      }
      const subscription = this.subscriptions.get(mq.topic);
      const addr = this.client.findBrokerAddress(mq.brokerName);
      if (subscription === undefined || addr === undefined) {
        await pause(o.pullErrorDelayMs ?? 3000);
        continue;
      }
      try {
        const commitOffset = this.messageModel === 'CLUSTERING' ? await this.offsetStore.read(mq, 'MEMORY') : 0;
        const suspend = o.brokerSuspendMs ?? PULL_SUSPEND_TIMEOUT_MS;
        const result = await pullMessage(this.client, addr, {
          consumerGroup: this.group,
          mq,
          queueOffset: state.nextOffset,
          maxMsgNums: o.pullBatchSize ?? 32,
          subscription,
          commitOffset,
          suspendTimeoutMillis: suspend,
          timeoutMs: Math.max(PULL_TIMEOUT_MS, suspend + 15_000),
        });
        if (pq.dropped || this.state !== 'running') return;
        pq.lastPullTimestamp = Date.now();
        state.nextOffset = result.nextBeginOffset;
        if (result.status === 'FOUND' && result.messages.length > 0) {
          for (const msg of result.messages) this.restoreRetryTopic(msg);
          pq.put(result.messages);
          this.service?.submit(mq, pq, result.messages);
        } else if (result.status === 'OFFSET_ILLEGAL') {
          this.logger.warn({ mq, nextBeginOffset: result.nextBeginOffset }, 'pull offset illegal, corrected');
          this.offsetStore.update(mq, result.nextBeginOffset, false);
          await this.offsetStore.persist(mq).catch(() => undefined);
        } else if (pq.count === 0) {
          // nothing cached: everything before nextBeginOffset is consumed or filtered out
          this.offsetStore.update(mq, result.nextBeginOffset, true);
        }
      } catch (err) {
        if (pq.dropped || this.state !== 'running') return;
        this.logger.warn({ err, mq }, 'pull failed');
        await pause(o.pullErrorDelayMs ?? 3000);
      }
    }
  }

  /** A message from `%RETRY%<group>` is shown with its real topic (RETRY_TOPIC), without the namespace. */
  private restoreRetryTopic(msg: MessageExt): void {
    // The topic is compared first: reading `properties` decodes them, which most messages never need.
    if (msg.topic === this.retryTopic) {
      const real = msg.properties[MessageConst.RETRY_TOPIC];
      if (real !== undefined) msg.topic = real;
    }
    msg.topic = withoutNamespace(this.options.namespace, msg.topic);
  }

  /** CONSUMER_SEND_MSG_BACK, falling back to re-publishing to the retry topic (reference §6.5). */
  private async sendBack(msg: MessageExt, mq: MessageQueue, maxReconsumeTimes: number, delayLevel = 0) {
    const originTopic = withNamespace(this.options.namespace, msg.topic);
    const addr = this.client.findBrokerAddress(mq.brokerName, true);
    try {
      if (addr === undefined) throw new RocketMQError('SERVICE_NOT_AVAILABLE', `broker ${mq.brokerName} unknown`);
      await sendMessageBack(this.client, addr, this.group, msg, originTopic, maxReconsumeTimes, delayLevel);
      return true;
    } catch (err) {
      this.logger.warn({ err, msgId: msg.msgId }, 'send-back failed, re-publishing to the retry topic');
    }
    try {
      const retryTopic = retryTopicOf(this.group);
      const queues = publishQueues(await this.client.getTopicRoute(retryTopic), retryTopic);
      const target = queues[Math.floor(Math.random() * queues.length)];
      const targetAddr = target && this.client.findBrokerAddress(target.brokerName, true);
      if (target === undefined || targetAddr === undefined) return false;
      await republishToRetryTopic(
        this.client,
        targetAddr,
        target.queueId,
        this.group,
        msg,
        originTopic,
        maxReconsumeTimes,
      );
      return true;
    } catch (err) {
      this.logger.warn({ err, msgId: msg.msgId }, 're-publishing to the retry topic failed');
      return false;
    }
  }

  /** Orderly: locks `mqs` on their masters; returns those locked. */
  private async lockQueues(mqs: readonly MessageQueue[]): Promise<MessageQueue[]> {
    const byBroker = new Map<string, MessageQueue[]>();
    for (const mq of mqs) byBroker.set(mq.brokerName, [...(byBroker.get(mq.brokerName) ?? []), mq]);
    const locked: MessageQueue[] = [];
    for (const [brokerName, list] of byBroker) {
      const addr = this.client.findBrokerAddress(brokerName, true);
      if (addr === undefined) continue;
      try {
        locked.push(...(await lockBatchMq(this.client, addr, this.group, this.clientId, list)));
      } catch (err) {
        this.logger.warn({ err, brokerName }, 'LOCK_BATCH_MQ failed');
      }
    }
    return locked;
  }

  /** Orderly: renews every owned queue's lock (every 20 s); queues that lost it stop until they get it back. */
  private async lockAll(): Promise<void> {
    const states = [...this.queues.values()];
    const locked = new Set((await this.lockQueues(states.map((s) => s.mq))).map(mqKey));
    const now = Date.now();
    for (const s of states) {
      if (locked.has(mqKey(s.mq))) {
        s.pq.locked = true;
        s.pq.lastLockTimestamp = now;
        this.service?.submit(s.mq, s.pq, []);
      } else {
        s.pq.locked = false;
      }
    }
  }

  private async unlockAll(): Promise<void> {
    const byBroker = new Map<string, MessageQueue[]>();
    for (const mq of this.rebalancer.owned.values()) {
      byBroker.set(mq.brokerName, [...(byBroker.get(mq.brokerName) ?? []), mq]);
    }
    await Promise.allSettled(
      [...byBroker].map(async ([brokerName, list]) => {
        const addr = this.client.findBrokerAddress(brokerName, true);
        if (addr !== undefined) await unlockBatchMq(this.client, addr, this.group, this.clientId, list);
      }),
    );
  }

  /** Persists every owned queue's offset (one-way). */
  private async persistOffsets(): Promise<void> {
    await this.offsetStore.persistAll([...this.queues.values()].map((s) => s.mq));
  }

  private onIdsChanged(request: RemotingCommand): undefined {
    try {
      const { consumerGroup } = NotifyConsumerIdsChangedRequestHeader.decode(request.extFields);
      if (consumerGroup === this.group && this.state === 'running') void this.rebalancer.rebalance();
    } catch (err) {
      this.logger.debug({ err }, 'bad NOTIFY_CONSUMER_IDS_CHANGED');
    }
    return undefined;
  }

  /**
   * GET_CONSUMER_RUNNING_INFO (broker → client, for `mqadmin consumerStatus` and dashboards): this consumer's
   * settings, subscriptions and, per owned queue, the offset it would commit and the state of its cache.
   */
  private async onRunningInfo(request: RemotingCommand): Promise<RemotingCommand> {
    const { consumerGroup } = GetConsumerRunningInfoRequestHeader.decode(request.extFields);
    if (consumerGroup !== this.group) return notThisGroup(request, consumerGroup);
    const o = this.options;
    const queues = await Promise.all(
      [...this.queues.values()].map(async ({ mq, pq }) => ({
        mq,
        pq,
        commitOffset: await this.offsetStore.read(mq, 'MEMORY_FIRST_THEN_STORE').catch(() => -1),
      })),
    );
    const body = encodeConsumerRunningInfo({
      settings: {
        consumerGroup: this.group,
        messageModel: this.messageModel,
        consumeFromWhere: o.consumeFromWhere ?? 'CONSUME_FROM_LAST_OFFSET',
        consumeTimestamp: o.consumeTimestamp,
        allocateMessageQueueStrategy: typeof o.allocateStrategy === 'string' ? o.allocateStrategy : 'AVG',
        pullBatchSize: o.pullBatchSize ?? 32,
        pullThresholdForQueue: o.maxCachedMessagesPerQueue ?? DEFAULT_FLOW_CONTROL.maxCachedCount,
        pullThresholdSizeForQueue: Math.floor(
          (o.maxCachedBytesPerQueue ?? DEFAULT_FLOW_CONTROL.maxCachedBytes) / (1024 * 1024),
        ),
        maxReconsumeTimes: o.maxReconsumeTimes ?? -1,
        namespace: o.namespace,
      },
      namesrvAddrs: this.client.options.namesrvAddrs,
      concurrency: o.concurrency ?? 20,
      orderly: this.choice?.orderly === true,
      startTimestamp: this.startTimestamp,
      subscriptions: [...this.subscriptions.values()],
      queues,
    });
    return createResponse(request, ResponseCode.SUCCESS, { body });
  }

  /**
   * CONSUME_MESSAGE_DIRECTLY (broker → client, for `mqadmin consumeMessage`): runs the handler once on the stored
   * record the broker sends, outside the queues (no offset moves, nothing is sent back), and reports the outcome as
   * Java's ConsumeMessageDirectlyResult.
   */
  private async onConsumeDirectly(request: RemotingCommand): Promise<RemotingCommand> {
    const h = ConsumeMessageDirectlyResultRequestHeader.decode(request.extFields);
    if (h.consumerGroup !== this.group || this.choice === undefined) return notThisGroup(request, h.consumerGroup);
    if (request.body === undefined || request.body.length === 0) {
      return createResponse(request, ResponseCode.SYSTEM_ERROR, { remark: 'the request carries no message' });
    }
    const msg = toMessageExt(decodeRecord(request.body, 0));
    this.restoreRetryTopic(msg);
    const mq = { topic: msg.topic, brokerName: h.brokerName ?? '', queueId: msg.queueId };
    const orderly = this.choice.orderly;
    const started = Date.now();
    let consumeResult: 'CR_SUCCESS' | 'CR_LATER' | 'CR_THROW_EXCEPTION';
    let remark: string | undefined;
    try {
      const r: unknown = await this.choice.handler(msg, { mq, signal: new AbortController().signal });
      const later = r === 'RECONSUME_LATER' || (orderly && r === 'SUSPEND_CURRENT_QUEUE_A_MOMENT');
      consumeResult = later ? 'CR_LATER' : 'CR_SUCCESS';
    } catch (err) {
      consumeResult = 'CR_THROW_EXCEPTION';
      remark = err instanceof Error ? (err.stack ?? err.message) : String(err);
    }
    const result = { order: orderly, autoCommit: true, consumeResult, remark, spentTimeMills: Date.now() - started };
    return createResponse(request, ResponseCode.SUCCESS, { body: stringifyJsonBuffer(result) });
  }

  /**
   * GET_CONSUMER_STATUS_FROM_CLIENT (broker → client, for `mqadmin getConsumerStatus`): the offsets this consumer
   * holds for the topic's queues (GetConsumerStatusBody `messageQueueTable`); empty for another group, as in Java.
   */
  private onConsumerStatus(request: RemotingCommand): RemotingCommand {
    const h = GetConsumerStatusRequestHeader.decode(request.extFields);
    const messageQueueTable = new Map<MessageQueue, number>();
    if (h.group === this.group && this.state === 'running') {
      for (const { mq, offset } of this.offsetStore.entries())
        if (mq.topic === h.topic) messageQueueTable.set(mq, offset);
    }
    return createResponse(request, ResponseCode.SUCCESS, {
      body: stringifyJsonBuffer({ messageQueueTable }, { fastjson: true }),
    });
  }

  /**
   * RESET_CONSUMER_CLIENT_OFFSET (broker → client, ResetOffsetBody): drops the cached messages of the listed queues,
   * records the new offsets and re-adds the queues at once, so consumption resumes from there.
   */
  private async onResetOffset(request: RemotingCommand): Promise<RemotingCommand> {
    const table =
      request.body === undefined ? undefined : (parseJson(request.body) as { offsetTable?: unknown })?.offsetTable;
    if (typeof table === 'object' && table !== null && this.state === 'running') {
      for (const [key, value] of Object.entries(table as Record<string, unknown>)) {
        const mq = JSON.parse(key) as MessageQueue;
        if (typeof value !== 'number' || this.queues.get(mqKey(mq)) === undefined) continue;
        const state = this.queues.get(mqKey(mq))!;
        this.queues.delete(mqKey(mq));
        this.rebalancer.owned.delete(mqKey(mq));
        state.pq.dropped = true;
        this.offsetStore.update(mq, value, false);
        await this.offsetStore.persist(mq).catch((err) => this.logger.warn({ err, mq }, 'reset commit failed'));
      }
      void this.rebalancer.rebalance();
    }
    return createResponse(request, ResponseCode.SUCCESS);
  }
}

/** Java's answer when an admin call names a group this client does not consume for. */
function notThisGroup(request: RemotingCommand, group: string): RemotingCommand {
  return createResponse(request, ResponseCode.SYSTEM_ERROR, {
    remark: `The Consumer Group <${group}> not exist in this consumer`,
  });
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** Resolves when `check()` holds or after `timeoutMs`, polling every 10 ms. */
async function waitUntil(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check() && Date.now() < deadline) await pause(10);
}
