import { deflateSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { registerBodyCrc32 } from '../../src/namesrv/broker-registration.js';
import { createRequest, Version } from '../../src/protocol/command.js';
import { parseJson } from '../../src/protocol/fastjson.js';
import {
  BrokerHeartbeatRequestHeader,
  QueryDataVersionRequestHeader,
  RegisterBrokerRequestHeader,
  UnRegisterBrokerRequestHeader,
} from '../../src/protocol/headers/namesrv.js';
import { RequestCode } from '../../src/protocol/request-code.js';
import { ResponseCode } from '../../src/protocol/response-code.js';
import { RemotingClient } from '../../src/transport/client.js';
import { registerBody, registerBrokerRequest, startTestNamesrv, type TestNamesrv } from './helpers.js';

function routeRequest(topic: string, version: number = Version.V5_3_3, acceptStandardJsonOnly?: boolean) {
  const extFields: Record<string, string> = { topic };
  if (acceptStandardJsonOnly !== undefined) extFields.acceptStandardJsonOnly = String(acceptStandardJsonOnly);
  const request = createRequest(RequestCode.GET_ROUTEINFO_BY_TOPIC, { extFields });
  request.version = version;
  return request;
}

const BROKER_A = { clusterName: 'DefaultCluster', brokerName: 'broker-a', brokerAddr: '127.0.0.1:10911', brokerId: 0 };

describe('NameServer over sockets: brokers and routes', () => {
  let ns: TestNamesrv;
  beforeEach(async () => {
    ns = await startTestNamesrv();
  });
  const afterCleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of afterCleanups.splice(0)) await cleanup();
    await ns.close();
  });

  it('registers a master and serves its route in standard JSON to 4.9.4+ clients', async () => {
    const reg = await ns.invoke(registerBrokerRequest({ topics: ['TopicTest', 'Other'] }));
    expect(reg.code).toBe(ResponseCode.SUCCESS);
    expect(reg.extFields?.masterAddr).toBeUndefined();
    const res = await ns.invoke(routeRequest('TopicTest'));
    expect(res.code).toBe(ResponseCode.SUCCESS);
    const text = res.body!.toString();
    expect(JSON.parse(text)).toEqual({
      brokerDatas: [
        {
          brokerAddrs: { '0': '127.0.0.1:10911' },
          brokerName: 'broker-a',
          cluster: 'DefaultCluster',
          enableActingMaster: false,
        },
      ],
      filterServerTable: {},
      queueDatas: [{ brokerName: 'broker-a', perm: 6, readQueueNums: 4, topicSysFlag: 0, writeQueueNums: 4 }],
    });
  });

  it("answers old clients with fastjson's bare numeric keys unless they accept standard JSON only", async () => {
    await ns.invoke(registerBrokerRequest());
    const old = await ns.invoke(routeRequest('TopicTest', Version.V4_9_0));
    expect(old.body!.toString()).toContain('"brokerAddrs":{0:"127.0.0.1:10911"}');
    expect(parseJson(old.body!)).toMatchObject({ brokerDatas: [{ brokerAddrs: { '0': '127.0.0.1:10911' } }] });
    const asked = await ns.invoke(routeRequest('TopicTest', Version.V4_9_0, true));
    expect(asked.body!.toString()).toContain('"brokerAddrs":{"0":"127.0.0.1:10911"}');
  });

  it('answers TOPIC_NOT_EXIST with the Java remark for an unknown topic', async () => {
    const res = await ns.invoke(routeRequest('Nope'));
    expect(res.code).toBe(ResponseCode.TOPIC_NOT_EXIST);
    expect(res.remark).toMatch(/^No topic route info in name server for the topic: Nope/);
    expect(res.body).toBeUndefined();
  });

  it('answers SYSTEM_ERROR naming the field when a required header field is missing', async () => {
    const res = await ns.invoke(createRequest(RequestCode.GET_ROUTEINFO_BY_TOPIC, { extFields: {} }));
    expect(res.code).toBe(ResponseCode.SYSTEM_ERROR);
    expect(res.remark).toContain('topic');
  });

  it('tells a registering slave its master address and HA address', async () => {
    await ns.invoke(registerBrokerRequest({ haServerAddr: '127.0.0.1:10912' }));
    const res = await ns.invoke(
      registerBrokerRequest({ brokerId: 1, brokerAddr: '127.0.0.2:10911', haServerAddr: '127.0.0.2:10912' }),
    );
    expect(res.code).toBe(ResponseCode.SUCCESS);
    expect(res.extFields).toMatchObject({ masterAddr: '127.0.0.1:10911', haServerAddr: '127.0.0.1:10912' });
    const route = JSON.parse((await ns.invoke(routeRequest('TopicTest'))).body!.toString());
    expect(route.brokerDatas[0].brokerAddrs).toEqual({ '0': '127.0.0.1:10911', '1': '127.0.0.2:10911' });
  });

  it('checks bodyCrc32 when non-zero', async () => {
    const body = registerBody(['TopicTest']);
    const bad = await ns.invoke(registerBrokerRequest({ bodyCrc32: registerBodyCrc32(body) ^ 1 || 1 }));
    expect(bad.code).toBe(ResponseCode.SYSTEM_ERROR);
    expect(bad.remark).toBe('crc32 not match');
    const good = await ns.invoke(registerBrokerRequest({ bodyCrc32: registerBodyCrc32(body) }));
    expect(good.code).toBe(ResponseCode.SUCCESS);
  });

  it('accepts the compressed RegisterBrokerBody form', async () => {
    const section = (text: string) => {
      const bytes = Buffer.from(text);
      const len = Buffer.alloc(4);
      len.writeInt32BE(bytes.length);
      return Buffer.concat([len, bytes]);
    };
    const count = Buffer.alloc(4);
    count.writeInt32BE(2);
    const raw = Buffer.concat([
      section('{"counter":3,"stateVersion":0,"timestamp":1700000000000}'),
      count,
      section('Zipped 8 8 6 SINGLE_TAG {}'),
      section('ReadOnly 2 2 4 SINGLE_TAG'),
      section('[]'),
    ]);
    const body = deflateSync(raw);
    const extFields = RegisterBrokerRequestHeader.encode({
      ...BROKER_A,
      haServerAddr: '127.0.0.1:10912',
      compressed: true,
      bodyCrc32: registerBodyCrc32(body),
    });
    const res = await ns.invoke(createRequest(RequestCode.REGISTER_BROKER, { extFields, body }));
    expect(res.code).toBe(ResponseCode.SUCCESS);
    const route = JSON.parse((await ns.invoke(routeRequest('Zipped'))).body!.toString());
    expect(route.queueDatas[0]).toMatchObject({ readQueueNums: 8, writeQueueNums: 8, perm: 6 });
    const readOnly = JSON.parse((await ns.invoke(routeRequest('ReadOnly'))).body!.toString());
    expect(readOnly.queueDatas[0]).toMatchObject({ readQueueNums: 2, perm: 4 });
  });

  it('answers SYSTEM_ERROR for a register body that is not JSON', async () => {
    const request = registerBrokerRequest();
    request.body = Buffer.from('{"topicConfigSerializeWrapper":');
    const res = await ns.invoke(request);
    expect(res.code).toBe(ResponseCode.SYSTEM_ERROR);
  });

  it('unregisters a broker: its queues leave the routes', async () => {
    await ns.invoke(registerBrokerRequest());
    const res = await ns.invoke(
      createRequest(RequestCode.UNREGISTER_BROKER, { extFields: UnRegisterBrokerRequestHeader.encode(BROKER_A) }),
    );
    expect(res.code).toBe(ResponseCode.SUCCESS);
    expect((await ns.invoke(routeRequest('TopicTest'))).code).toBe(ResponseCode.TOPIC_NOT_EXIST);
  });

  it('keeps a broker alive with BROKER_HEARTBEAT and expires it 120 s after the last one', async () => {
    // the broker has its own connection: expiry closes it
    const broker = new RemotingClient();
    afterCleanups.push(() => broker.close());
    await broker.invoke(ns.addr, registerBrokerRequest(), 5000);
    ns.clock.now += 100_000;
    const hb = await broker.invoke(
      ns.addr,
      createRequest(RequestCode.BROKER_HEARTBEAT, {
        extFields: BrokerHeartbeatRequestHeader.encode({ ...BROKER_A }),
      }),
      5000,
    );
    expect(hb.code).toBe(ResponseCode.SUCCESS);
    ns.clock.now += 100_000;
    expect(ns.controller.scanNotActiveBrokers()).toBe(0);
    expect((await ns.invoke(routeRequest('TopicTest'))).code).toBe(ResponseCode.SUCCESS);
    ns.clock.now += 21_000;
    expect(ns.controller.scanNotActiveBrokers()).toBe(1);
    expect((await ns.invoke(routeRequest('TopicTest'))).code).toBe(ResponseCode.TOPIC_NOT_EXIST);
  });

  it('runs the expiry scan on its timer and closes the expired broker connection', async () => {
    await ns.close();
    ns = await startTestNamesrv({ scanNotActiveBrokerInterval: 100 });
    const broker = new RemotingClient();
    afterCleanups.push(() => broker.close());
    await broker.invoke(ns.addr, registerBrokerRequest(), 5000);
    const connection = await broker.connection(ns.addr);
    ns.clock.now += 120_001;
    await expect.poll(() => connection.closed, { timeout: 5000, interval: 50 }).toBe(true);
    expect((await ns.invoke(routeRequest('TopicTest'))).code).toBe(ResponseCode.TOPIC_NOT_EXIST);
  });

  it('answers QUERY_DATA_VERSION with changed and its own DataVersion', async () => {
    await ns.invoke(registerBrokerRequest({ counter: 7 }));
    const query = (counter: number) =>
      ns.invoke(
        createRequest(RequestCode.QUERY_DATA_VERSION, {
          extFields: QueryDataVersionRequestHeader.encode(BROKER_A),
          body: Buffer.from(`{"counter":${counter},"stateVersion":0,"timestamp":1700000000000}`),
        }),
      );
    const same = await query(7);
    expect(same.code).toBe(ResponseCode.SUCCESS);
    expect(same.extFields?.changed).toBe('false');
    expect(JSON.parse(same.body!.toString())).toEqual({ counter: 7, stateVersion: 0, timestamp: 1700000000000 });
    expect((await query(8)).extFields?.changed).toBe('true');
  });

  it('unregisters a broker at once when its connection closes', async () => {
    const brokerClient = new RemotingClient();
    try {
      await brokerClient.invoke(ns.addr, registerBrokerRequest(), 5000);
      expect((await ns.invoke(routeRequest('TopicTest'))).code).toBe(ResponseCode.SUCCESS);
    } finally {
      await brokerClient.close();
    }
    await expect.poll(async () => (await ns.invoke(routeRequest('TopicTest'))).code).toBe(ResponseCode.TOPIC_NOT_EXIST);
  });

  it('registers a broker with 10,000 topics within the frame limit', async () => {
    const topics = Array.from({ length: 10_000 }, (_, i) => `Topic_with_a_realistic_name_${i}`);
    const request = registerBrokerRequest({ topics });
    expect(request.body!.length).toBeLessThan(16 * 1024 * 1024);
    const res = await ns.invoke(request);
    expect(res.code).toBe(ResponseCode.SUCCESS);
    expect(ns.controller.routes.topicQueueTable.size).toBe(10_000);
    expect((await ns.invoke(routeRequest('Topic_with_a_realistic_name_9999'))).code).toBe(ResponseCode.SUCCESS);
  });

  it('caches route bodies and drops them when the route changes', async () => {
    await ns.invoke(registerBrokerRequest());
    const first = await ns.invoke(routeRequest('TopicTest'));
    expect(ns.controller.routeCache.get('TopicTest', 'standard')?.equals(first.body!)).toBe(true);
    await ns.invoke(registerBrokerRequest({ brokerId: 1, brokerAddr: '127.0.0.2:10911' }));
    expect(ns.controller.routeCache.get('TopicTest', 'standard')).toBeUndefined();
    const second = JSON.parse((await ns.invoke(routeRequest('TopicTest'))).body!.toString());
    expect(Object.keys(second.brokerDatas[0].brokerAddrs)).toEqual(['0', '1']);
  });

  it('answers REQUEST_CODE_NOT_SUPPORTED for codes it does not serve', async () => {
    const res = await ns.invoke(createRequest(RequestCode.GET_UNIT_TOPIC_LIST));
    expect(res.code).toBe(ResponseCode.REQUEST_CODE_NOT_SUPPORTED);
    expect((await ns.invoke(createRequest(12345))).code).toBe(ResponseCode.REQUEST_CODE_NOT_SUPPORTED);
  });
});
