/**
 * The producing and consuming sides of a run, over the project's own client SDK (Producer, PushConsumer, Admin).
 */

import { Admin } from '../client/admin.js';
import type { Message } from '../client/message.js';
import { Producer } from '../client/producer.js';
import { PushConsumer } from '../client/push-consumer.js';
import type { Logger } from '../common/logger.js';
import type { BenchOptions } from './options.js';
import { type BenchStats, bodyTemplate, errorKey, nowMs, readStamp, stampBody } from './stats.js';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Shutting down against a broker that stopped answering would wait out one request timeout per queue. */
const SHUTDOWN_CAP_MS = 10_000;

/** Waits for `work`, at most `ms` (a timer that does not keep the process alive). */
function atMost(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const cap = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
    timer.unref();
  });
  return Promise.race([work.then(() => undefined), cap]).finally(() => clearTimeout(timer));
}

/** The topic names of a run: `<prefix>-0` … `<prefix>-(topics-1)`. */
export function topicNames(options: Pick<BenchOptions, 'topics' | 'topicPrefix'>): string[] {
  return Array.from({ length: options.topics }, (_, i) => `${options.topicPrefix}-${i}`);
}

/** Creates (or updates) every topic with `queues` read/write queues, then waits until the NameServer routes them. */
export async function createTopics(namesrvAddr: string, topics: string[], queues: number, logger: Logger) {
  const admin = new Admin({ namesrvAddr, logger });
  await admin.start();
  try {
    let next = 0;
    const worker = async () => {
      while (next < topics.length) {
        const topic = topics[next++]!;
        await admin.createTopic(topic, { readQueueNums: queues, writeQueueNums: queues });
      }
    };
    await Promise.all(Array.from({ length: Math.min(16, topics.length) }, worker));
    const last = topics[topics.length - 1]!;
    const deadline = Date.now() + 30_000;
    for (;;) {
      const route = await admin.topicRoute(last).catch(() => undefined);
      if (route?.queueDatas.some((q) => q.writeQueueNums >= queues)) return;
      if (Date.now() > deadline) throw new Error(`topic ${last} has no route after 30 s`);
      await sleep(100);
    }
  } finally {
    await admin.shutdown();
  }
}

/** Hands out send slots at `rate` msgs/s (0 = no limit) and stops after `limit` messages (0 = no limit). */
export class SendPacer {
  private issued = 0;
  private nextSlotMs = 0;
  private readonly intervalMs: number;
  stopped = false;

  constructor(
    rate: number,
    private readonly limit: number,
  ) {
    this.intervalMs = rate > 0 ? 1000 / rate : 0;
  }

  /** Number of messages handed out so far. */
  get count(): number {
    return this.issued;
  }

  /** Reserves `n` messages; resolves with their sequence number when they may be sent, or -1 when stopped. */
  async take(n: number): Promise<number> {
    if (this.stopped || (this.limit > 0 && this.issued >= this.limit)) return -1;
    const seq = this.issued;
    this.issued += n;
    if (this.intervalMs === 0) return seq;
    const now = nowMs();
    // Slots missed by more than 50 ms are not made up in a burst.
    if (this.nextSlotMs < now - 50) this.nextSlotMs = now;
    const slot = this.nextSlotMs;
    this.nextSlotMs += this.intervalMs * n;
    const wait = slot - now;
    if (wait >= 1) await sleep(wait);
    return this.stopped ? -1 : seq;
  }
}

/** Producers that keep `window` sends in flight each until the pacer stops. */
export class ProducerGroup {
  private readonly producers: Producer[] = [];
  private running: Promise<void>[] = [];

  constructor(
    private readonly options: BenchOptions,
    private readonly namesrvAddr: string,
    private readonly topics: string[],
    private readonly runId: number,
    private readonly stats: BenchStats,
    private readonly logger: Logger,
  ) {}

  async start(pacer: SendPacer): Promise<void> {
    for (let i = 0; i < this.options.producers; i++) {
      const producer = new Producer({
        namesrvAddr: this.namesrvAddr,
        groupName: `${this.options.topicPrefix}_producer`,
        instanceName: `mqbench-p${i}-${process.pid}`,
        logger: this.logger,
      });
      await producer.start();
      this.producers.push(producer);
    }
    const template = bodyTemplate(this.options.size);
    this.running = this.producers.flatMap((producer) =>
      Array.from({ length: this.options.window }, () => this.sendLoop(producer, pacer, template)),
    );
  }

  private async sendLoop(producer: Producer, pacer: SendPacer, template: Buffer): Promise<void> {
    const { batch } = this.options;
    for (;;) {
      const seq = await pacer.take(batch);
      if (seq < 0) return;
      const topic = this.topics[Math.floor(seq / batch) % this.topics.length]!;
      const t0 = nowMs();
      try {
        if (batch === 1) {
          const result = await producer.send({ topic, body: stampBody(template, this.runId, t0) });
          if (result.status === 'SEND_OK') this.stats.onSendOk(1, nowMs() - t0);
          else this.stats.onSendError(1, `status:${result.status}`);
        } else {
          const messages: Message[] = [];
          for (let i = 0; i < batch; i++) messages.push({ topic, body: stampBody(template, this.runId, t0) });
          const result = await producer.sendBatch(messages);
          if (result.status === 'SEND_OK') this.stats.onSendOk(batch, nowMs() - t0);
          else this.stats.onSendError(batch, `status:${result.status}`);
        }
      } catch (err) {
        this.stats.onSendError(batch, errorKey(err));
        // A failing cluster should not be hammered in a tight loop.
        await sleep(10);
      }
    }
  }

  /** Resolves when every send loop has ended (after the pacer stopped and in-flight sends finished). */
  async finished(): Promise<void> {
    await Promise.all(this.running);
  }

  async shutdown(): Promise<void> {
    await atMost(Promise.all(this.producers.map((p) => p.shutdown().catch(() => undefined))), SHUTDOWN_CAP_MS);
  }
}

/** Push consumers of one group, subscribed to every topic, counting what arrives. */
export class ConsumerGroup {
  private readonly consumers: PushConsumer[] = [];

  constructor(
    private readonly options: BenchOptions,
    private readonly namesrvAddr: string,
    private readonly topics: string[],
    private readonly runId: number,
    private readonly stats: BenchStats,
    private readonly logger: Logger,
  ) {}

  /** Starts the consumers and waits (up to 30 s) until they own every queue between them. */
  async start(): Promise<void> {
    for (let i = 0; i < this.options.consumers; i++) {
      const consumer = new PushConsumer({
        namesrvAddr: this.namesrvAddr,
        consumerGroup: `${this.options.topicPrefix}_consumer`,
        instanceName: `mqbench-c${i}-${process.pid}`,
        // A backlog must be read from its start: for a new group the broker answers offset 0 only while the queue's
        // first message is still in memory (as Java does), else the group would start at the end of the backlog.
        consumeFromWhere: this.options.backlog ? 'CONSUME_FROM_FIRST_OFFSET' : 'CONSUME_FROM_LAST_OFFSET',
        concurrency: 64,
        logger: this.logger,
      });
      for (const topic of this.topics) consumer.subscribe(topic, '*');
      consumer.onMessage((msg) => {
        const receivedMs = nowMs();
        const stamp = readStamp(msg.body, this.runId);
        this.stats.onReceive(stamp === undefined ? msg.bornTimestamp : stamp, receivedMs, msg.storeTimestamp);
      });
      await consumer.start();
      this.consumers.push(consumer);
    }
    const want = this.topics.length * this.options.queues;
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const owned = this.consumers.map((c) => c.assignedQueues().filter((q) => !q.topic.startsWith('%RETRY%')).length);
      const total = owned.reduce((a, b) => a + b, 0);
      if (total === want && owned.every((n) => n > 0 || this.consumers.length > want)) return;
      await sleep(50);
    }
    this.logger.warn('mqbench: consumers did not own every queue after 30 s; going on');
  }

  async shutdown(): Promise<void> {
    await atMost(Promise.all(this.consumers.map((c) => c.shutdown().catch(() => undefined))), SHUTDOWN_CAP_MS);
  }
}
