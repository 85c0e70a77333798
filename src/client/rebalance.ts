/**
 * Rebalance: which queues of each subscribed topic this consumer owns (reference §6.7, ali-ons §5.5). Every 20 s,
 * at once on NOTIFY_CONSUMER_IDS_CHANGED, and after a route change, the consumer computes its share — all readable
 * queues in BROADCASTING, the allocation strategy's pick among the group's members in CLUSTERING — then starts
 * queues it gained and stops queues it lost. Also: subscription expressions (tags or SQL92) as SubscriptionData.
 */
import type { SubscriptionData } from '../protocol/headers/client.js';
import { RocketMQError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import { javaStringHashCode } from '../protocol/message/hash.js';
import { AllocateStrategies, type AllocateStrategy, compareQueues } from './allocate.js';
import type { ClientInstance } from './client-instance.js';
import { getConsumerIdList } from './pull-api.js';
import { MASTER_ID, type MessageQueue, mqKey, subscribeQueues } from './route.js';

/** A subscription expression: tags (`'TagA || TagB'`, `'*'`) or an SQL92 filter `{ type: 'SQL92', expression }`. */
export type MessageSelector = string | { type: 'TAG' | 'SQL92'; expression: string };

/** Retry topic of a consumer group. */
export function retryTopicOf(group: string): string {
  return `%RETRY%${group}`;
}

/**
 * The SubscriptionData of `topic` for a selector, as Java's FilterAPI builds it: tags split on `||` and trimmed,
 * their Java hash codes in `codeSet`; `*` or empty subscribes to everything; SQL92 keeps the text untouched.
 */
export function buildSubscriptionData(topic: string, selector: MessageSelector = '*'): SubscriptionData {
  const type = typeof selector === 'string' ? 'TAG' : selector.type;
  const expression = (typeof selector === 'string' ? selector : selector.expression).trim();
  const subVersion = Date.now();
  if (type === 'SQL92') {
    if (expression === '') throw new RocketMQError('INVALID_PARAMETER', 'an SQL92 selector needs an expression');
    return { topic, subString: expression, expressionType: 'SQL92', tagsSet: [], codeSet: [], subVersion };
  }
  if (expression === '' || expression === '*') {
    return { topic, subString: '*', expressionType: 'TAG', tagsSet: [], codeSet: [], subVersion };
  }
  const tagsSet = [
    ...new Set(
      expression
        .split('||')
        .map((t) => t.trim())
        .filter((t) => t !== ''),
    ),
  ];
  if (tagsSet.length === 0) throw new RocketMQError('INVALID_PARAMETER', `bad tag expression: ${expression}`);
  return {
    topic,
    subString: expression,
    expressionType: 'TAG',
    tagsSet,
    codeSet: tagsSet.map(javaStringHashCode),
    subVersion,
  };
}

/** The queues gained and lost when the owned set becomes `target`. */
export function planRebalance(
  owned: ReadonlyMap<string, MessageQueue>,
  topic: string,
  target: readonly MessageQueue[],
): { added: MessageQueue[]; removed: MessageQueue[] } {
  const targetKeys = new Set(target.map(mqKey));
  const removed = [...owned.values()].filter((mq) => mq.topic === topic && !targetKeys.has(mqKey(mq)));
  const added = target.filter((mq) => !owned.has(mqKey(mq)));
  return { added, removed };
}

/** What the rebalancer asks of its consumer. */
export interface RebalanceDeps {
  clientId: string;
  group: string;
  messageModel: 'CLUSTERING' | 'BROADCASTING';
  strategy: AllocateStrategy;
  logger: Logger;
  /** The subscribed topics (including the retry topic in CLUSTERING). */
  topics(): string[];
  /** The readable queues of `topic`, or undefined when its route is unknown (the topic is skipped this round). */
  topicQueues(topic: string): Promise<MessageQueue[] | undefined>;
  /** The group's members (CLUSTERING), as a broker of `topic` knows them. */
  consumerIds(topic: string): Promise<string[]>;
  /** Orderly CLUSTERING: locks the new queues on their brokers; only locked ones are taken. */
  lock?(mqs: MessageQueue[]): Promise<MessageQueue[]>;
  /** Starts consuming `mq`; false when it could not (e.g. its offset is unknown yet): retried next round. */
  addQueue(mq: MessageQueue): Promise<boolean>;
  /** Stops consuming `mq` (persists its offset, unlocks it). */
  removeQueue(mq: MessageQueue): Promise<void>;
}

/** Keeps the owned queue set of one consumer up to date. Rounds never overlap; a request during a round queues one. */
export class Rebalancer {
  /** The queues this consumer owns, by {@link mqKey}. */
  readonly owned = new Map<string, MessageQueue>();
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(private readonly deps: RebalanceDeps) {}

  /** Runs a round now, or right after the current one. Resolves when the round that covers this call is done. */
  rebalance(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.running !== undefined) {
      this.again = true;
      return this.running;
    }
    this.running = this.loop().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** No more rounds; waits for the current one. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      await this.round();
    } while (this.again && !this.stopped);
  }

  private async round(): Promise<void> {
    const topics = new Set(this.deps.topics());
    for (const mq of [...this.owned.values()]) {
      if (!topics.has(mq.topic)) await this.remove(mq);
    }
    for (const topic of topics) {
      if (this.stopped) return;
      try {
        await this.rebalanceTopic(topic);
      } catch (err) {
        this.deps.logger.warn({ err, topic, group: this.deps.group }, 'rebalance of a topic failed');
      }
    }
  }

  private async rebalanceTopic(topic: string): Promise<void> {
    const queues = await this.deps.topicQueues(topic);
    if (queues === undefined) return;
    const allQueues = [...queues].sort(compareQueues);
    let target: MessageQueue[];
    if (this.deps.messageModel === 'BROADCASTING') {
      target = allQueues;
    } else {
      const allClientIds = [...new Set(await this.deps.consumerIds(topic))].sort();
      if (allClientIds.length === 0) return;
      target = this.deps.strategy({
        consumerGroup: this.deps.group,
        clientId: this.deps.clientId,
        allQueues,
        allClientIds,
      });
    }
    const { added, removed } = planRebalance(this.owned, topic, target);
    for (const mq of removed) await this.remove(mq);
    let toAdd = added;
    if (this.deps.lock !== undefined && added.length > 0) {
      const locked = new Set((await this.deps.lock(added)).map(mqKey));
      toAdd = added.filter((mq) => locked.has(mqKey(mq)));
    }
    for (const mq of toAdd) {
      if (this.stopped) {
        // locked while the consumer stops: count it as owned so that the final unlock releases it
        this.owned.set(mqKey(mq), mq);
        continue;
      }
      try {
        if (await this.deps.addQueue(mq)) this.owned.set(mqKey(mq), mq);
      } catch (err) {
        this.deps.logger.warn({ err, mq, group: this.deps.group }, 'could not start consuming a queue');
      }
    }
    if (removed.length > 0 || toAdd.length > 0) {
      this.deps.logger.info(
        { topic, group: this.deps.group, added: toAdd.length, removed: removed.length, owned: this.ownedOf(topic) },
        'rebalance changed the owned queues',
      );
    }
  }

  private ownedOf(topic: string): number {
    let n = 0;
    for (const mq of this.owned.values()) if (mq.topic === topic) n++;
    return n;
  }

  /** Drops `mq` from the owned set and tells the consumer. */
  async remove(mq: MessageQueue): Promise<void> {
    this.owned.delete(mqKey(mq));
    try {
      await this.deps.removeQueue(mq);
    } catch (err) {
      this.deps.logger.warn({ err, mq, group: this.deps.group }, 'could not stop consuming a queue cleanly');
    }
  }
}

/** The group's members as a randomly chosen master of `topic` knows them ([] when the route is unknown). */
export async function consumerIdsOf(client: ClientInstance, group: string, topic: string): Promise<string[]> {
  const route = client.cachedTopicRoute(topic);
  const addrs = (route?.brokerDatas ?? [])
    .map((b) => b.brokerAddrs[MASTER_ID] ?? Object.values(b.brokerAddrs)[0])
    .filter((a): a is string => a !== undefined);
  if (addrs.length === 0) return [];
  return getConsumerIdList(client, addrs[Math.floor(Math.random() * addrs.length)]!, group);
}

/**
 * A Rebalancer as both consumers use it: the queues come from the client's cached routes, the members from a
 * master of each topic, and the strategy may be given by name.
 */
export function clientRebalancer(
  client: ClientInstance,
  deps: Omit<RebalanceDeps, 'clientId' | 'strategy' | 'topicQueues' | 'consumerIds'> & {
    strategy: keyof typeof AllocateStrategies | AllocateStrategy;
  },
): Rebalancer {
  const { strategy } = deps;
  return new Rebalancer({
    ...deps,
    clientId: client.clientId,
    strategy: typeof strategy === 'function' ? strategy : AllocateStrategies[strategy],
    topicQueues: async (topic) => {
      const route = client.cachedTopicRoute(topic);
      return route === undefined ? undefined : subscribeQueues(route, topic);
    },
    consumerIds: (topic) => consumerIdsOf(client, deps.group, topic),
  });
}
