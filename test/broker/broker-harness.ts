import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrokerController } from '../../src/broker/broker.js';
import { type BrokerConfig, resolveBrokerConfig } from '../../src/broker/broker-config.js';
import { createRequest, type RemotingCommand } from '../../src/protocol/command.js';
import { PullMessageRequestHeader } from '../../src/protocol/headers/pull.js';
import { encodeSendMessageV2, type SendMessageRequestHeader } from '../../src/protocol/headers/send.js';
import { encodeProperties } from '../../src/protocol/message/properties.js';
import { RequestCode } from '../../src/protocol/request-code.js';
import { RemotingClient } from '../../src/transport/client.js';

/** A broker on 127.0.0.1 with a free port and a temp store, plus a client pointed at it. */
export interface TestBroker {
  broker: BrokerController;
  client: RemotingClient;
  addr: string;
  dir: string;
  clock: { now: number | undefined };
  invoke(request: RemotingCommand, timeoutMs?: number): Promise<RemotingCommand>;
  /** Stops broker and client; removes the dir unless `keepDir`. */
  close(keepDir?: boolean): Promise<void>;
}

/** Small store sizes and fast flushes for tests. */
export function testBrokerConfig(dir: string, overrides: Partial<BrokerConfig> = {}): BrokerConfig {
  return resolveBrokerConfig({
    listenAddress: '127.0.0.1',
    listenPort: 0,
    storePathRootDir: join(dir, 'store'),
    mappedFileSizeCommitLog: 1024 * 1024,
    mappedFileSizeConsumeQueue: 20 * 1000,
    maxHashSlotNum: 64,
    maxIndexNum: 400,
    writeBufferSize: 64 * 1024,
    tailCacheChunks: 2,
    flushIntervalCommitLog: 50,
    flushIntervalConsumeQueue: 50,
    diskMaxUsedSpaceRatio: 95,
    diskSpaceHardLimitRatio: 99,
    ...overrides,
  });
}

export async function startTestBroker(overrides: Partial<BrokerConfig> = {}, dir?: string): Promise<TestBroker> {
  const root = dir ?? (await mkdtemp(join(tmpdir(), 'broker-')));
  const clock: { now: number | undefined } = { now: undefined };
  const broker = new BrokerController({
    config: testBrokerConfig(root, overrides),
    now: () => clock.now ?? Date.now(),
    closeGraceMs: 200,
  });
  const { port } = await broker.start();
  const addr = `127.0.0.1:${port}`;
  const client = new RemotingClient();
  return {
    broker,
    client,
    addr,
    dir: root,
    clock,
    invoke: (request, timeoutMs = 5000) => client.invoke(addr, request, timeoutMs),
    close: async (keepDir = false) => {
      await client.close();
      await broker.shutdown();
      if (!keepDir) await rm(root, { recursive: true, force: true });
    },
  };
}

/** A SEND_MESSAGE_V2 request. */
export function sendRequest(
  topic: string,
  body: string | Buffer,
  options: Partial<SendMessageRequestHeader> & { props?: Record<string, string>; code?: number } = {},
): RemotingCommand {
  const { props, code, ...rest } = options;
  const header: SendMessageRequestHeader = {
    producerGroup: 'PG',
    topic,
    defaultTopic: 'TBW102',
    defaultTopicQueueNums: 4,
    queueId: 0,
    sysFlag: 0,
    bornTimestamp: Date.now(),
    flag: 0,
    properties: encodeProperties(props ?? {}),
    ...rest,
  };
  return createRequest(code ?? RequestCode.SEND_MESSAGE_V2, {
    extFields: encodeSendMessageV2(header),
    body: typeof body === 'string' ? Buffer.from(body) : body,
  });
}

/** A PULL_MESSAGE request with a subscription (sysFlag SUBSCRIPTION, plus `sysFlag`). */
export function pullRequest(
  topic: string,
  queueId: number,
  queueOffset: number,
  options: Partial<PullMessageRequestHeader> = {},
): RemotingCommand {
  const header: PullMessageRequestHeader = {
    consumerGroup: 'CG',
    topic,
    queueId,
    queueOffset,
    maxMsgNums: 32,
    sysFlag: 0x4,
    commitOffset: 0,
    suspendTimeoutMillis: 0,
    subscription: '*',
    subVersion: 0,
    ...options,
  };
  return createRequest(RequestCode.PULL_MESSAGE, { extFields: PullMessageRequestHeader.encode(header) });
}
