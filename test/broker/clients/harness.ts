import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrokerConfig, resolveBrokerConfig } from '../../../src/broker/broker-config.js';
import { type ClientServices, createClientServices } from '../../../src/broker/client-services.js';
import type { TopicConfig, TopicConfigs } from '../../../src/broker/context.js';
import { silentLogger } from '../../../src/common/logger.js';
import { createRequest, type RemotingCommand } from '../../../src/protocol/command.js';
import { FileStore } from '../../../src/store/file-store.js';
import { RemotingClient } from '../../../src/transport/client.js';
import { RemotingServer } from '../../../src/transport/server.js';

/** An in-memory TopicConfigs that records internal-topic creations (the real one registers with NameServers). */
export class FakeTopics implements TopicConfigs {
  readonly table = new Map<string, TopicConfig>();
  readonly internalCreated: string[] = [];

  add(topicName: string, queues = 4, perm = 6): TopicConfig {
    const config: TopicConfig = {
      topicName,
      readQueueNums: queues,
      writeQueueNums: queues,
      perm,
      topicFilterType: 'SINGLE_TAG',
      topicSysFlag: 0,
      order: false,
      attributes: {},
    };
    this.table.set(topicName, config);
    return config;
  }
  get(topic: string): TopicConfig | undefined {
    return this.table.get(topic);
  }
  all(): TopicConfig[] {
    return [...this.table.values()];
  }
  async upsert(config: TopicConfig): Promise<void> {
    this.table.set(config.topicName, config);
  }
  async getOrCreateInternal(topic: string, queueNums: number, perm: number): Promise<TopicConfig> {
    const known = this.table.get(topic);
    if (known) return known;
    this.internalCreated.push(topic);
    return this.add(topic, queueNums, perm);
  }
  async delete(topic: string): Promise<boolean> {
    return this.table.delete(topic);
  }
}

/** The client services mounted on a real RemotingServer (127.0.0.1, free port) over a FileStore in a temp dir. */
export interface ClientsHarness {
  dir: string;
  addr: string;
  config: BrokerConfig;
  store: FileStore;
  topics: FakeTopics;
  services: ClientServices;
  server: RemotingServer;
  client: RemotingClient;
  clock: { now: number };
  invoke(code: number, extFields?: Record<string, string>, body?: Buffer | string): Promise<RemotingCommand>;
  close(): Promise<void>;
}

export async function startClientsHarness(overrides: Record<string, unknown> = {}): Promise<ClientsHarness> {
  const dir = await mkdtemp(join(tmpdir(), 'broker-clients-'));
  const config = resolveBrokerConfig({
    storePathRootDir: join(dir, 'store'),
    mappedFileSizeCommitLog: 1024 * 1024,
    listenAddress: '127.0.0.1',
    listenPort: 0,
    ...overrides,
  });
  const store = new FileStore({ config, diskUsage: async () => 0.1 });
  await store.start();
  const topics = new FakeTopics();
  const server = new RemotingServer({ host: '127.0.0.1', port: 0 });
  const clock = { now: 1_700_000_000_000 };
  const services = createClientServices({
    config,
    logger: silentLogger,
    store,
    server,
    topics,
    registerBrokerAll: async () => {},
    now: () => clock.now,
    configDir: join(dir, 'config'),
  });
  for (const [code, handler] of services.handlers) server.registerHandler(code, handler);
  await services.start();
  const { port } = await server.listen();
  const addr = `127.0.0.1:${port}`;
  const client = new RemotingClient();
  return {
    dir,
    addr,
    config,
    store,
    topics,
    services,
    server,
    client,
    clock,
    invoke: (code, extFields, body) =>
      client.invoke(
        addr,
        createRequest(code, { extFields, body: typeof body === 'string' ? Buffer.from(body) : body }),
        5000,
      ),
    close: async () => {
      await client.close();
      await server.close(100);
      await services.shutdown();
      await store.shutdown();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** An ali-ons style HeartbeatData body (reference client-ali-ons.md §3.2). */
export function heartbeatBody(
  clientID: string,
  options: { group?: string; topic?: string; subString?: string; producerGroup?: string; model?: string } = {},
): string {
  const group = options.group ?? 'GID_SMOKE';
  const subString = options.subString ?? 'TagA || TagB';
  const tags = subString === '*' ? [] : subString.split('||').map((t) => t.trim());
  return JSON.stringify({
    clientID,
    consumerDataSet: [
      {
        groupName: group,
        consumeType: 'CONSUME_PASSIVELY',
        messageModel: options.model ?? 'CLUSTERING',
        consumeFromWhere: 'CONSUME_FROM_LAST_OFFSET',
        subscriptionDataSet: [
          {
            topic: options.topic ?? 'TopicTest',
            subString,
            classFilterMode: false,
            tagsSet: tags,
            codeSet: [],
            subVersion: 1795235189962,
          },
          {
            topic: `%RETRY%${group}`,
            subString: '*',
            classFilterMode: false,
            tagsSet: [],
            codeSet: [],
            subVersion: 1795235189962,
          },
        ],
        unitMode: false,
      },
    ],
    producerDataSet: options.producerGroup ? [{ groupName: options.producerGroup }] : [],
  });
}
