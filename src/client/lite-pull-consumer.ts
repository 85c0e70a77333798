/**
 * LitePullConsumer: the application asks for messages (`poll()`, or `for await (const msg of consumer)`) instead of
 * registering a handler. Queues come from a subscription (rebalanced within the group) or from `assign()`. Behind
 * the scenes each queue is pulled ahead into a bounded cache; `poll` hands out one pulled batch at a time. Offsets
 * advance as batches are handed out and are committed every `autoCommitIntervalMs` (auto commit) or by
 * `commitSync()`; `seek*` moves a queue.
 */
import { RocketMQError } from '../common/errors.js';
import type { MessageExt } from '../protocol/message/message.js';
import { AllocateStrategies, type AllocateStrategy } from './allocate.js';
import { ClientInstance, type ClientOptions, type SubscriptionData } from './client-instance.js';
import { withNamespace } from './namespace.js';
import {
  type ConsumeFromWhere,
  computeStartOffset,
  defaultLocalOffsetDir,
  LocalFileOffsetStore,
  masterAddressOf,
  type OffsetStore,
  RemoteBrokerOffsetStore,
} from './offset-store.js';
import { ProcessQueue } from './process-queue.js';
import { getMaxOffset, getMinOffset, PULL_TIMEOUT_MS, pullMessage, searchOffset } from './pull-api.js';
import { buildSubscriptionData, clientRebalancer, type MessageSelector, type Rebalancer } from './rebalance.js';
import { type MessageQueue, mqKey, subscribeQueues } from './route.js';

/** Options of a {@link LitePullConsumer}. */
export interface LitePullConsumerOptions extends ClientOptions {
  consumerGroup: string;
  /** Default CLUSTERING. */
  messageModel?: 'CLUSTERING' | 'BROADCASTING';
  /** Where to start when the group has no offset. Default CONSUME_FROM_LAST_OFFSET. */
  consumeFromWhere?: ConsumeFromWhere;
  /** With CONSUME_FROM_TIMESTAMP: epoch ms. Default 30 minutes ago. */
  consumeTimestamp?: number;
  /** Default 'AVG'. */
  allocateStrategy?: keyof typeof AllocateStrategies | AllocateStrategy;
  /** Commit offsets in the background. Default true. */
  autoCommit?: boolean;
  /** Default 5000 ms. */
  autoCommitIntervalMs?: number;
  /** Messages per pull (and at most per poll). Default 10. */
  pullBatchSize?: number;
  /** Stop pulling a queue ahead when this many of its messages are cached. Default 1000. */
  maxCachedMessagesPerQueue?: number;
  /** Default `poll()` timeout. Default 5000 ms. */
  pollTimeoutMs?: number;
  /** Long-poll hold time asked of the broker. Default 15 000 ms. */
  brokerSuspendMs?: number;
  /** Default 20 000 ms. */
  rebalanceIntervalMs?: number;
  /** Pause after a pull error. Default 1000 ms. */
  pullErrorDelayMs?: number;
  /** BROADCASTING offsets directory. Default ~/.rocketmq_offsets. */
  localOffsetStoreDir?: string;
}

/** One consumed queue. `generation` changes on seek, so a pull in flight for the old position is discarded. */
interface LiteQueueState {
  mq: MessageQueue;
  pq: ProcessQueue;
  /** Next offset to pull. */
  nextOffset: number;
  /** Next offset the application has not received yet (what a commit stores). */
  consumedOffset: number;
  generation: number;
}

/** A pulled batch waiting for `poll`. */
interface ReadyBatch {
  state: LiteQueueState;
  generation: number;
  messages: MessageExt[];
}

/** A pull consumer driven by the application: `subscribe` or `assign`, `start`, then `poll` or async iteration. */
export class LitePullConsumer implements AsyncIterable<MessageExt> {
  /** The client this consumer talks through. */
  readonly client: ClientInstance;
  /** The consumer group (with namespace). */
  readonly group: string;
  readonly messageModel: 'CLUSTERING' | 'BROADCASTING';
  private readonly options: LitePullConsumerOptions;
  private readonly logger;
  private readonly subscriptions = new Map<string, SubscriptionData>();
  private assigned: MessageQueue[] | undefined;
  private readonly queues = new Map<string, LiteQueueState>();
  private readonly ready: ReadyBatch[] = [];
  private readonly readyWaiters = new Set<() => void>();
  private readonly timers: NodeJS.Timeout[] = [];
  private offsetStore!: OffsetStore;
  private rebalancer: Rebalancer | undefined;
  private state: 'created' | 'running' | 'stopped' = 'created';

  constructor(options: LitePullConsumerOptions) {
    if (options.consumerGroup === '') throw new RocketMQError('INVALID_PARAMETER', 'consumerGroup is required');
    this.options = options;
    this.client = new ClientInstance(options);
    this.group = withNamespace(options.namespace, options.consumerGroup);
    this.messageModel = options.messageModel ?? 'CLUSTERING';
    this.logger = this.client.options.logger.child({ component: 'lite-pull-consumer', group: this.group });
  }

  /** Subscribes to `topic` (tags or SQL92); queues are then allocated by rebalance. Not with `assign`. */
  subscribe(topic: string, selector: MessageSelector = '*'): this {
    if (this.assigned !== undefined) throw new RocketMQError('INVALID_PARAMETER', 'subscribe and assign do not mix');
    const full = withNamespace(this.options.namespace, topic);
    this.subscriptions.set(full, buildSubscriptionData(full, selector));
    this.client.subscribeRouteTopic(full);
    if (this.state === 'running') void this.refreshAndRebalance();
    return this;
  }

  /** Consumes exactly `mqs` (no rebalance). Replaces an earlier assignment. Not with `subscribe`. */
  assign(mqs: readonly MessageQueue[]): this {
    if (this.subscriptions.size > 0 && this.assigned === undefined) {
      throw new RocketMQError('INVALID_PARAMETER', 'subscribe and assign do not mix');
    }
    this.assigned = mqs.map((mq) => ({ ...mq, topic: withNamespace(this.options.namespace, mq.topic) }));
    for (const mq of this.assigned) {
      if (!this.subscriptions.has(mq.topic)) this.subscriptions.set(mq.topic, buildSubscriptionData(mq.topic, '*'));
    }
    if (this.state === 'running') void this.applyAssignment();
    return this;
  }

  /** The readable queues of `topic`, from its route. */
  async fetchMessageQueues(topic: string): Promise<MessageQueue[]> {
    const full = withNamespace(this.options.namespace, topic);
    return subscribeQueues(await this.client.getTopicRoute(full), full);
  }

  /** The queues being consumed now. */
  assignment(): MessageQueue[] {
    return [...this.queues.values()].map((s) => ({ ...s.mq }));
  }

  /** Starts: registers the group, assigns or rebalances queues, starts pulling ahead. */
  async start(): Promise<void> {
    if (this.state !== 'created') throw new RocketMQError('INVALID_PARAMETER', 'a LitePullConsumer starts only once');
    if (this.subscriptions.size === 0) throw new RocketMQError('INVALID_PARAMETER', 'subscribe() or assign() first');
    this.state = 'running';
    const o = this.options;
    this.offsetStore =
      this.messageModel === 'CLUSTERING'
        ? new RemoteBrokerOffsetStore(
            { client: this.client, brokerAddress: (name) => masterAddressOf(this.client, name) },
            this.group,
          )
        : new LocalFileOffsetStore(o.localOffsetStoreDir ?? defaultLocalOffsetDir(), this.clientId, this.group);
    await this.offsetStore.load();
    this.client.registerConsumer({
      groupName: this.group,
      consumeType: 'CONSUME_ACTIVELY',
      messageModel: this.messageModel,
      consumeFromWhere: o.consumeFromWhere ?? 'CONSUME_FROM_LAST_OFFSET',
      subscriptions: () => [...this.subscriptions.values()],
      onTopicRouteChanged: () => void this.rebalancer?.rebalance(),
    });
    await this.client.start();
    if (this.assigned === undefined) {
      this.rebalancer = clientRebalancer(this.client, {
        group: this.group,
        messageModel: this.messageModel,
        strategy: o.allocateStrategy ?? 'AVG',
        logger: this.logger,
        topics: () => [...this.subscriptions.keys()],
        addQueue: async (mq) => {
          await this.addQueue(mq);
          return true;
        },
        removeQueue: (mq) => this.removeQueue(mq),
      });
      await this.refreshAndRebalance();
      this.every(o.rebalanceIntervalMs ?? 20_000, () => this.refreshAndRebalance());
    } else {
      await this.applyAssignment();
    }
    if (o.autoCommit ?? true) this.every(o.autoCommitIntervalMs ?? 5000, () => this.commit(false));
  }

  /** The client id brokers know this consumer by. */
  get clientId(): string {
    return this.client.clientId;
  }

  /**
   * The next batch of messages (from one queue, in order), waiting up to `timeoutMs` (default `pollTimeoutMs`);
   * an empty array when none arrived in time. The messages count as consumed: their offsets are committed by the
   * next auto commit or `commitSync()`. Rejects with the signal's reason when `signal` aborts.
   */
  async poll(timeoutMs = this.options.pollTimeoutMs ?? 5000, signal?: AbortSignal): Promise<MessageExt[]> {
    if (this.state !== 'running') throw new RocketMQError('SERVICE_NOT_AVAILABLE', 'the consumer is not running');
    signal?.throwIfAborted();
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const batch = this.takeReady();
      if (batch !== undefined) return batch;
      const left = deadline - Date.now();
      if (left <= 0 || this.state !== 'running') return [];
      await this.waitReady(left, signal);
    }
  }

  /** Messages one by one until the consumer shuts down: `for await (const msg of consumer)`. */
  async *[Symbol.asyncIterator](): AsyncIterator<MessageExt> {
    while (this.state === 'running') {
      for (const msg of await this.poll(1000)) yield msg;
    }
  }

  /** Continues `mq` (an assigned queue) from `offset`; cached messages of the queue are dropped. */
  async seek(mq: MessageQueue, offset: number): Promise<void> {
    const state = this.stateOf(mq);
    const addr = await this.brokerOf(mq);
    const [min, max] = await Promise.all([getMinOffset(this.client, addr, mq), getMaxOffset(this.client, addr, mq)]);
    if (!Number.isInteger(offset) || offset < min || offset > max) {
      throw new RocketMQError('INVALID_PARAMETER', `seek offset ${offset} is outside [${min}, ${max}]`);
    }
    this.moveTo(state, offset);
  }

  /** Continues `mq` from its oldest stored message. */
  async seekToBegin(mq: MessageQueue): Promise<void> {
    const state = this.stateOf(mq);
    this.moveTo(state, await getMinOffset(this.client, await this.brokerOf(mq), mq));
  }

  /** Continues `mq` after its newest message. */
  async seekToEnd(mq: MessageQueue): Promise<void> {
    const state = this.stateOf(mq);
    this.moveTo(state, await getMaxOffset(this.client, await this.brokerOf(mq), mq));
  }

  /** Continues `mq` from the first message stored at or after `timestamp` (epoch ms). */
  async seekByTimestamp(mq: MessageQueue, timestamp: number): Promise<void> {
    const state = this.stateOf(mq);
    this.moveTo(state, await searchOffset(this.client, await this.brokerOf(mq), mq, timestamp));
  }

  /** The offset committed for `mq` on the broker (CLUSTERING) or in the local file; -1 when none. */
  committed(mq: MessageQueue): Promise<number> {
    return this.offsetStore.read({ ...mq, topic: withNamespace(this.options.namespace, mq.topic) }, 'STORE');
  }

  /** Commits the offsets of everything handed out by `poll` so far, awaiting the broker (or the file write). */
  async commitSync(): Promise<void> {
    await this.commit(true);
  }

  /** Stops pulling, commits (auto-commit mode) and closes connections. Pending `poll`s resolve empty. */
  async shutdown(): Promise<void> {
    if (this.state !== 'running') {
      this.state = 'stopped';
      return;
    }
    for (const timer of this.timers) clearInterval(timer);
    await this.rebalancer?.stop();
    this.state = 'stopped';
    for (const wake of this.readyWaiters) wake();
    if (this.options.autoCommit ?? true) await this.commit(true).catch((err) => this.logger.warn({ err }, 'commit'));
    for (const s of this.queues.values()) s.pq.dropped = true;
    this.queues.clear();
    this.ready.length = 0;
    await this.client.shutdown();
  }

  private every(ms: number, task: () => Promise<void>): void {
    const timer = setInterval(() => {
      if (this.state === 'running') void task().catch((err) => this.logger.warn({ err }, 'periodic task failed'));
    }, ms);
    timer.unref();
    this.timers.push(timer);
  }

  private async commit(sync: boolean): Promise<void> {
    const mqs: MessageQueue[] = [];
    for (const s of this.queues.values()) {
      if (s.consumedOffset < 0) continue;
      this.offsetStore.update(s.mq, s.consumedOffset, false);
      mqs.push(s.mq);
    }
    if (!sync) {
      await this.offsetStore.persistAll(mqs);
      return;
    }
    await Promise.all(mqs.map((mq) => this.offsetStore.persist(mq)));
  }

  private stateOf(mq: MessageQueue): LiteQueueState {
    const state = this.queues.get(mqKey({ ...mq, topic: withNamespace(this.options.namespace, mq.topic) }));
    if (state === undefined) throw new RocketMQError('INVALID_PARAMETER', `queue ${mqKey(mq)} is not assigned`);
    return state;
  }

  private async brokerOf(mq: MessageQueue): Promise<string> {
    const addr = await masterAddressOf(this.client, mq.brokerName);
    if (addr === undefined) throw new RocketMQError('SERVICE_NOT_AVAILABLE', `broker ${mq.brokerName} is not known`);
    return addr;
  }

  private moveTo(state: LiteQueueState, offset: number): void {
    state.generation++;
    state.pq.clear();
    state.nextOffset = offset;
    state.consumedOffset = offset;
    for (let i = this.ready.length - 1; i >= 0; i--) if (this.ready[i]!.state === state) this.ready.splice(i, 1);
  }

  private takeReady(): MessageExt[] | undefined {
    while (this.ready.length > 0) {
      const batch = this.ready.shift()!;
      const { state } = batch;
      if (state.pq.dropped || batch.generation !== state.generation) continue;
      const next = state.pq.remove(batch.messages);
      if (next >= 0) state.consumedOffset = next;
      return batch.messages;
    }
    return undefined;
  }

  private waitReady(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const cleanup = () => {
        clearTimeout(timer);
        this.readyWaiters.delete(done);
        signal?.removeEventListener('abort', onAbort);
      };
      const done = () => {
        cleanup();
        resolve();
      };
      const onAbort = () => {
        cleanup();
        reject(signal?.reason);
      };
      const timer = setTimeout(done, ms);
      this.readyWaiters.add(done);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private async refreshAndRebalance(): Promise<void> {
    await Promise.all(
      [...this.subscriptions.keys()].map((t) => this.client.getTopicRoute(t, true).catch(() => undefined)),
    );
    await this.client.sendHeartbeatToAllBrokers().catch((err) => this.logger.warn({ err }, 'heartbeat failed'));
    if (this.state === 'running') await this.rebalancer?.rebalance();
  }

  private async applyAssignment(): Promise<void> {
    const target = new Map((this.assigned ?? []).map((mq) => [mqKey(mq), mq]));
    for (const [key, s] of [...this.queues]) if (!target.has(key)) await this.removeQueue(s.mq);
    await Promise.all(
      [...new Set([...target.values()].map((mq) => mq.topic))].map((t) => this.client.getTopicRoute(t).catch(() => {})),
    );
    await this.client.sendHeartbeatToAllBrokers().catch((err) => this.logger.warn({ err }, 'heartbeat failed'));
    for (const [key, mq] of target) {
      if (this.queues.has(key)) continue;
      try {
        await this.addQueue(mq);
      } catch (err) {
        this.logger.warn({ err, mq }, 'could not start an assigned queue');
      }
    }
  }

  private async addQueue(mq: MessageQueue): Promise<void> {
    const offset = await computeStartOffset(
      this.client,
      this.offsetStore,
      mq,
      this.messageModel === 'CLUSTERING' ? 'STORE' : 'MEMORY',
      this.options.consumeFromWhere ?? 'CONSUME_FROM_LAST_OFFSET',
      this.options.consumeTimestamp ?? Date.now() - 30 * 60_000,
    );
    const state: LiteQueueState = {
      mq,
      pq: new ProcessQueue(),
      nextOffset: offset,
      consumedOffset: offset,
      generation: 0,
    };
    this.queues.set(mqKey(mq), state);
    void this.pullLoop(state);
  }

  private async removeQueue(mq: MessageQueue): Promise<void> {
    const key = mqKey(mq);
    const state = this.queues.get(key);
    if (state === undefined) return;
    this.queues.delete(key);
    state.pq.dropped = true;
    if (state.consumedOffset >= 0) this.offsetStore.update(mq, state.consumedOffset, false);
    try {
      await this.offsetStore.persist(mq);
    } finally {
      this.offsetStore.remove(mq);
    }
  }

  private async pullLoop(state: LiteQueueState): Promise<void> {
    const { mq, pq } = state;
    const o = this.options;
    const maxCached = o.maxCachedMessagesPerQueue ?? 1000;
    while (!pq.dropped && this.state === 'running') {
      const subscription = this.subscriptions.get(mq.topic);
      const addr = this.client.findBrokerAddress(mq.brokerName);
      if (pq.count >= maxCached || subscription === undefined || addr === undefined) {
        await pause(pq.count >= maxCached ? 50 : (o.pullErrorDelayMs ?? 1000));
        continue;
      }
      const generation = state.generation;
      try {
        const suspend = o.brokerSuspendMs ?? 15_000;
        const result = await pullMessage(this.client, addr, {
          consumerGroup: this.group,
          mq,
          queueOffset: state.nextOffset,
          maxMsgNums: o.pullBatchSize ?? 10,
          subscription,
          suspendTimeoutMillis: suspend,
          litePull: true,
          timeoutMs: Math.max(PULL_TIMEOUT_MS, suspend + 15_000),
        });
        if (pq.dropped || this.state !== 'running' || generation !== state.generation) continue;
        state.nextOffset = result.nextBeginOffset;
        if (result.messages.length > 0) {
          pq.put(result.messages);
          this.ready.push({ state, generation, messages: result.messages });
          for (const wake of [...this.readyWaiters]) wake();
        } else if (pq.count === 0 && result.status !== 'FOUND') {
          state.consumedOffset = result.nextBeginOffset;
        }
      } catch (err) {
        if (pq.dropped || this.state !== 'running') return;
        this.logger.warn({ err, mq }, 'pull failed');
        await pause(o.pullErrorDelayMs ?? 1000);
      }
    }
  }
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
