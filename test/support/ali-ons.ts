/**
 * The real ali-ons client (a devDependency) against our NamesrvController + BrokerController in one process on free
 * ports. One harness serves a whole test file: ali-ons keeps a process-wide internal producer
 * (CLIENT_INNER_PRODUCER) bound to the first NameServer it saw, so tests use their own topics and groups instead.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrokerController } from '../../src/broker/broker.js';
import { resolveBrokerConfig } from '../../src/broker/broker-config.js';
import { newTopicConfig } from '../../src/broker/topic-config-manager.js';
import { startTestNamesrv, type TestNamesrv } from '../namesrv/helpers.js';

/** The fields of ali-ons' received message that our tests read. */
export interface AliMessage {
  topic: string;
  tags: string;
  keys: string | string[];
  msgId: string;
  body: Buffer;
  queueId: number;
  queueOffset: number;
  reconsumeTimes: number;
  properties: Record<string, string>;
}
export interface AliClient {
  ready(): Promise<void>;
  close(): Promise<void>;
  on(event: 'error', listener: (err: Error) => void): void;
}
export interface AliProducer extends AliClient {
  send(msg: object): Promise<{ sendStatus: string; msgId: string; messageQueue: { queueId: number } }>;
}
export interface AliConsumer extends AliClient {
  subscribe(topic: string, expression: string, handler: (msg: AliMessage) => Promise<void>): void;
  _processQueueTable: Map<string, { messageQueue: { topic: string; queueId: number } }>;
}
export interface AliMessageInit {
  keys: string[];
  delayTimeLevel: number;
  shardingKey: string;
}

const require = createRequire(import.meta.url);
export const ons = require('ali-ons') as {
  Producer: (new (options: object) => AliProducer) & {
    getDefaultProducer(options: object): Promise<AliProducer>;
    defaultProducer: AliProducer | null;
  };
  Consumer: new (options: object) => AliConsumer;
  Message: new (topic: string, tags: string, body: string | Buffer) => AliMessageInit;
};

const quietLogger = { info() {}, warn() {}, error() {}, debug() {} };

/** Short client intervals so rebalances, heartbeats and offset commits happen within a test. */
export const FAST = {
  httpclient: {},
  logger: quietLogger,
  rebalanceInterval: 300,
  heartbeatBrokerInterval: 1000,
  pollNameServerInteval: 500,
  persistConsumerOffsetInterval: 300,
  // a pull past filtered-out messages is held this long before the client moves its offset past them
  brokerSuspendMaxTimeMillis: 1000,
};

/** The queue ids a consumer currently pulls from for `topic`, sorted. */
export function ownedQueues(c: AliConsumer, topic: string): number[] {
  return [...c._processQueueTable.values()]
    .filter((e) => e.messageQueue.topic === topic)
    .map((e) => e.messageQueue.queueId)
    .sort();
}

/** A NameServer + broker for ali-ons tests, with the clients each test creates closed after it. */
export class AliOnsCluster {
  ns!: TestNamesrv;
  broker!: BrokerController;
  /** Clients created through this harness; closed (newest first) by closeClients. */
  readonly clients: AliClient[] = [];
  /** Every 'error' event of those clients. */
  readonly errors: Error[] = [];
  private dir: string | undefined;

  /** Starts both servers and ali-ons' internal producer (on its own instance name). */
  async start(options: { innerInstanceName: string; broker?: Record<string, unknown> }): Promise<void> {
    this.ns = await startTestNamesrv();
    this.dir = await mkdtemp(join(tmpdir(), 'ali-ons-'));
    this.broker = new BrokerController({
      config: resolveBrokerConfig({
        listenAddress: '127.0.0.1',
        listenPort: 0,
        brokerIP1: '127.0.0.1',
        namesrvAddr: this.ns.addr,
        storePathRootDir: join(this.dir, 'store'),
        mappedFileSizeCommitLog: 4 * 1024 * 1024,
        flushIntervalCommitLog: 50,
        ...options.broker,
      }),
      closeGraceMs: 200,
    });
    await this.broker.start();
    const inner = await ons.Producer.getDefaultProducer({
      ...FAST,
      nameSrv: this.ns.addr,
      instanceName: options.innerInstanceName,
    });
    inner.on('error', (err) => this.errors.push(err));
  }

  async closeClients(): Promise<void> {
    for (const client of this.clients.splice(0).reverse()) await client.close().catch(() => undefined);
  }

  async stop(): Promise<void> {
    await this.closeClients();
    await ons.Producer.defaultProducer?.close().catch(() => undefined);
    ons.Producer.defaultProducer = null;
    await this.broker?.shutdown();
    await this.ns?.close();
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }

  async createTopic(topic: string, queues = 4): Promise<void> {
    await this.broker.topicManager.upsert(newTopicConfig(topic, { readQueueNums: queues, writeQueueNums: queues }));
    await this.broker.registerBrokerAll();
  }

  async producer(group: string): Promise<AliProducer> {
    const p = new ons.Producer({ ...FAST, nameSrv: this.ns.addr, producerGroup: group, instanceName: `${group}-p` });
    this.track(p);
    await p.ready();
    return p;
  }

  consumer(group: string, instanceName: string, extra: object = {}): AliConsumer {
    const c = new ons.Consumer({ ...FAST, nameSrv: this.ns.addr, consumerGroup: group, instanceName, ...extra });
    this.track(c);
    return c;
  }

  private track(client: AliClient): void {
    client.on('error', (err) => this.errors.push(err));
    this.clients.push(client);
  }
}
