import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConfig } from '../../src/common/config.js';
import { NamesrvController } from '../../src/namesrv/namesrv.js';
import { type NamesrvConfig, namesrvConfigSchema } from '../../src/namesrv/namesrv-config.js';
import { createRequest, type RemotingCommand } from '../../src/protocol/command.js';
import { RegisterBrokerRequestHeader } from '../../src/protocol/headers/namesrv.js';
import { RequestCode } from '../../src/protocol/request-code.js';
import { RemotingClient } from '../../src/transport/client.js';

/** A NameServer on 127.0.0.1 with a free port and a temp kvConfigPath, plus a client pointed at it. */
export interface TestNamesrv {
  controller: NamesrvController;
  client: RemotingClient;
  addr: string;
  dir: string;
  clock: { now: number };
  invoke(request: RemotingCommand): Promise<RemotingCommand>;
  close(): Promise<void>;
}

export async function startTestNamesrv(overrides: Partial<NamesrvConfig> = {}): Promise<TestNamesrv> {
  const dir = await mkdtemp(join(tmpdir(), 'namesrv-'));
  const config = resolveConfig(namesrvConfigSchema, {
    listenAddress: '127.0.0.1',
    listenPort: 0,
    kvConfigPath: join(dir, 'kvConfig.json'),
    ...overrides,
  });
  const clock = { now: 1_700_000_000_000 };
  const controller = new NamesrvController({ config, now: () => clock.now });
  const { host, port } = await controller.start();
  const addr = `${host}:${port}`;
  const client = new RemotingClient();
  return {
    controller,
    client,
    addr,
    dir,
    clock,
    invoke: (request) => client.invoke(addr, request, 5000),
    close: async () => {
      await client.close();
      await controller.shutdown(100);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A topic config entry of a RegisterBrokerBody. */
export function topicConfigJson(topicName: string, queues = 4, perm = 6): Record<string, unknown> {
  return {
    order: false,
    perm,
    readQueueNums: queues,
    topicFilterType: 'SINGLE_TAG',
    topicName,
    topicSysFlag: 0,
    writeQueueNums: queues,
  };
}

export interface FakeBroker {
  clusterName?: string;
  brokerName?: string;
  brokerAddr?: string;
  brokerId?: number;
  haServerAddr?: string;
  topics?: string[];
  counter?: number;
  bodyCrc32?: number;
  enableActingMaster?: boolean;
}

/** The RegisterBrokerBody JSON a broker would send for `topics`. */
export function registerBody(topics: string[], counter = 1): Buffer {
  const topicConfigTable: Record<string, unknown> = {};
  for (const t of topics) topicConfigTable[t] = topicConfigJson(t);
  return Buffer.from(
    JSON.stringify({
      filterServerList: [],
      topicConfigSerializeWrapper: {
        dataVersion: { counter, stateVersion: 0, timestamp: 1_700_000_000_000 },
        topicConfigTable,
      },
    }),
  );
}

/** A REGISTER_BROKER request of a fake broker (defaults: broker-a master at 127.0.0.1:10911 with TopicTest). */
export function registerBrokerRequest(b: FakeBroker = {}): RemotingCommand {
  const header = RegisterBrokerRequestHeader.encode({
    brokerName: b.brokerName ?? 'broker-a',
    brokerAddr: b.brokerAddr ?? '127.0.0.1:10911',
    clusterName: b.clusterName ?? 'DefaultCluster',
    haServerAddr: b.haServerAddr ?? '127.0.0.1:10912',
    brokerId: b.brokerId ?? 0,
    enableActingMaster: b.enableActingMaster ?? false,
    compressed: false,
    bodyCrc32: b.bodyCrc32 ?? 0,
  });
  return createRequest(RequestCode.REGISTER_BROKER, {
    extFields: header,
    body: registerBody(b.topics ?? ['TopicTest'], b.counter ?? 1),
  });
}
