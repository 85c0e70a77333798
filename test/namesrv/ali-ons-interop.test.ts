import { createRequire } from 'node:module';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { registerBrokerRequest, startTestNamesrv, type TestNamesrv } from './helpers.js';

/** ali-ons' own route lookup (MQClientAPI.getTopicRouteInfoFromNameServer) against our NameServer. */
interface AliOnsRoute {
  brokerDatas: { brokerName: string; cluster: string; brokerAddrs: Record<string, string> }[];
  queueDatas: { brokerName: string; perm: number; readQueueNums: number; writeQueueNums: number }[];
}
interface MQClientAPI {
  ready(): Promise<void>;
  getTopicRouteInfoFromNameServer(topic: string, timeoutMs: number): Promise<AliOnsRoute | undefined>;
  close(): Promise<void>;
}

const require = createRequire(import.meta.url);
const MQClientAPIClass = require('ali-ons/lib/mq_client_api.js') as new (
  options: Record<string, unknown>,
) => MQClientAPI;
const quietLogger = { info() {}, warn() {}, error() {}, debug() {} };

describe('ali-ons route lookup against our NameServer', () => {
  let ns: TestNamesrv;
  let api: MQClientAPI;
  beforeEach(async () => {
    ns = await startTestNamesrv();
    // no credentials; ali-ons asserts an httpclient exists but does not use it when nameSrv is given
    api = new MQClientAPIClass({ nameSrv: ns.addr, httpclient: {}, logger: quietLogger, responseTimeout: 5000 });
    await api.ready();
  });
  afterEach(async () => {
    await api.close();
    await ns.close();
  });

  it('parses the route of a topic served by a registered fake broker', async () => {
    const reg = await ns.invoke(registerBrokerRequest({ topics: ['TopicTest', 'Other'] }));
    expect(reg.code).toBe(0);
    await ns.invoke(
      registerBrokerRequest({ brokerName: 'broker-b', brokerAddr: '127.0.0.3:10911', topics: ['TopicTest'] }),
    );
    const route = await api.getTopicRouteInfoFromNameServer('TopicTest', 3000);
    expect(route?.brokerDatas.map((b) => b.brokerName)).toEqual(['broker-a', 'broker-b']);
    expect(route?.brokerDatas[0]?.brokerAddrs['0']).toBe('127.0.0.1:10911');
    expect(route?.brokerDatas[1]?.brokerAddrs['0']).toBe('127.0.0.3:10911');
    expect(route?.queueDatas).toEqual([
      { brokerName: 'broker-a', perm: 6, readQueueNums: 4, topicSysFlag: 0, writeQueueNums: 4 },
      { brokerName: 'broker-b', perm: 6, readQueueNums: 4, topicSysFlag: 0, writeQueueNums: 4 },
    ]);
  });

  it('raises the TOPIC_NOT_EXIST error for an unknown topic', async () => {
    await expect(api.getTopicRouteInfoFromNameServer('Missing', 3000)).rejects.toThrow(
      /No topic route info in name server for the topic: Missing/,
    );
  });
});
