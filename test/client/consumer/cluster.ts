/** A real local cluster for consumer tests: one NameServer and one broker on free ports, with temp dirs. */

import { Producer } from '../../../src/client/producer.js';
import { PushConsumer, type PushConsumerOptions } from '../../../src/client/push-consumer.js';
import { silentLogger } from '../../../src/common/logger.js';
import { createRequest } from '../../../src/protocol/command.js';
import { CreateTopicRequestHeader } from '../../../src/protocol/headers/admin.js';
import { RequestCode } from '../../../src/protocol/request-code.js';
import { startTestBroker, type TestBroker } from '../../broker/broker-harness.js';
import { startTestNamesrv, type TestNamesrv } from '../../namesrv/helpers.js';

/** Fast intervals so every test stays short. */
export const FAST = {
  rebalanceIntervalMs: 300,
  persistOffsetIntervalMs: 200,
  heartbeatBrokerIntervalMs: 300,
  pollNameServerIntervalMs: 300,
  lockIntervalMs: 300,
  orderlySuspendMs: 100,
  retryLaterMs: 200,
  pullErrorDelayMs: 100,
  brokerSuspendMs: 1000,
  requestTimeoutMs: 3000,
  logger: silentLogger,
} as const;

export interface TestCluster {
  namesrv: TestNamesrv;
  broker: TestBroker;
  namesrvAddr: string;
  createTopic(topic: string, queues: number): Promise<void>;
  producer(): Promise<Producer>;
  consumer(options: Omit<PushConsumerOptions, 'namesrvAddr'>): PushConsumer;
  /**
   * Restarts the broker on the same store directory; it re-registers with the NameServer. `samePort` keeps its
   * address (clients reconnect), else it gets a new port (clients find it through the route).
   */
  restartBroker(samePort?: boolean): Promise<void>;
  close(): Promise<void>;
}

export async function startCluster(): Promise<TestCluster> {
  const namesrv = await startTestNamesrv();
  const brokerOverrides = { namesrvAddr: namesrv.addr, registerNameServerPeriod: 10_000 };
  let broker = await startTestBroker(brokerOverrides);
  const closeables: { shutdown(): Promise<void> }[] = [];
  const cluster: TestCluster = {
    namesrv,
    get broker() {
      return broker;
    },
    namesrvAddr: namesrv.addr,
    async createTopic(topic, queues) {
      const extFields = CreateTopicRequestHeader.encode({
        topic,
        defaultTopic: 'TBW102',
        readQueueNums: queues,
        writeQueueNums: queues,
        perm: 6,
        topicFilterType: 'SINGLE_TAG',
        order: false,
      });
      const res = await broker.invoke(createRequest(RequestCode.UPDATE_AND_CREATE_TOPIC, { extFields }));
      if (res.code !== 0) throw new Error(`create topic failed: ${res.code} ${res.remark}`);
    },
    async producer() {
      const p = new Producer({ namesrvAddr: namesrv.addr, groupName: 'PG', logger: silentLogger });
      await p.start();
      closeables.push(p);
      return p;
    },
    consumer(options) {
      const c = new PushConsumer({ ...FAST, namesrvAddr: namesrv.addr, ...options });
      closeables.push(c);
      return c;
    },
    async restartBroker(samePort = false) {
      const dir = broker.dir;
      const port = Number(broker.addr.split(':')[1]);
      await broker.close(true);
      broker = await startTestBroker(samePort ? { ...brokerOverrides, listenPort: port } : brokerOverrides, dir);
    },
    async close() {
      await Promise.allSettled(closeables.map((c) => c.shutdown()));
      await broker.close();
      await namesrv.close();
    },
  };
  return cluster;
}

/** Polls `check` until it returns true (every 25 ms), failing after `timeoutMs`. */
export async function waitFor(check: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
