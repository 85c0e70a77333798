import { createServer, type Server } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ClientInstance, parseNamesrvAddrs } from '../../src/client/client-instance.js';
import { createRequest, createResponse, SerializeType } from '../../src/protocol/command.js';
import { GetRouteInfoRequestHeader } from '../../src/protocol/headers/namesrv.js';
import { RequestCode } from '../../src/protocol/request-code.js';
import { ResponseCode } from '../../src/protocol/response-code.js';
import { startTestNamesrv, type TestNamesrv } from '../namesrv/helpers.js';
import { FakeBroker } from './fake-broker.js';

let ns: TestNamesrv;
let broker: FakeBroker;
const clients: ClientInstance[] = [];
let deadServer: Server | undefined;

function newClient(namesrvAddr: string | string[] = ns.addr): ClientInstance {
  const client = new ClientInstance({ namesrvAddr, clientIP: '127.0.0.1', instanceName: 'test' });
  clients.push(client);
  return client;
}

/** An address nothing listens on: a port bound then released. */
async function deadAddress(): Promise<string> {
  deadServer = createServer();
  await new Promise<void>((r) => deadServer?.listen(0, '127.0.0.1', () => r()));
  const { port } = deadServer.address() as { port: number };
  await new Promise<void>((r) => deadServer?.close(() => r()));
  return `127.0.0.1:${port}`;
}

beforeEach(async () => {
  ns = await startTestNamesrv();
  broker = new FakeBroker({ brokerName: 'broker-a', namesrvAddr: ns.addr, topics: { TopicTest: 2 } });
  await broker.start();
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.shutdown()));
  await broker.close();
  await ns.close();
});

describe('ClientInstance', () => {
  it('splits NameServer lists and names itself clientIP@instanceName', () => {
    expect(parseNamesrvAddrs('a:1; b:2;')).toEqual(['a:1', 'b:2']);
    expect(() => parseNamesrvAddrs(' ; ')).toThrow(/no NameServer/);
    expect(newClient().clientId).toBe('127.0.0.1@test');
  });

  it('fetches, caches and shares topic routes, and knows the broker addresses', async () => {
    const client = newClient();
    const [first, second] = await Promise.all([client.getTopicRoute('TopicTest'), client.getTopicRoute('TopicTest')]);
    expect(first).toBe(second);
    expect(await client.getTopicRoute('TopicTest')).toBe(first);
    expect(first.queueDatas).toEqual([
      { brokerName: 'broker-a', readQueueNums: 2, writeQueueNums: 2, perm: 6, topicSysFlag: 0 },
    ]);
    expect(client.findBrokerAddress('broker-a', true)).toBe(broker.addr);
    expect(client.findBrokerAddress('nope')).toBeUndefined();
    expect(client.allBrokerAddresses()).toEqual([broker.addr]);
  });

  it('turns an unknown topic into TOPIC_NOT_EXIST', async () => {
    await expect(newClient().getTopicRoute('Missing')).rejects.toMatchObject({
      code: 'TOPIC_NOT_EXIST',
      responseCode: 17,
    });
  });

  it('tries the next NameServer when one is unreachable', async () => {
    const client = newClient([await deadAddress(), ns.addr]);
    for (let i = 0; i < 3; i++) {
      const response = await client.invokeNameServer(
        createRequest(RequestCode.GET_ROUTEINFO_BY_TOPIC, {
          extFields: GetRouteInfoRequestHeader.encode({ topic: 'TopicTest' }),
        }),
      );
      expect(response.code).toBe(ResponseCode.SUCCESS);
    }
  });

  it('tells a consumer when a refresh changed its topic queues', async () => {
    const client = newClient();
    const changed: string[] = [];
    client.registerConsumer({
      groupName: 'cg',
      consumeType: 'CONSUME_PASSIVELY',
      messageModel: 'CLUSTERING',
      consumeFromWhere: 'CONSUME_FROM_LAST_OFFSET',
      subscriptions: () => [
        { topic: 'TopicTest', subString: '*', expressionType: 'TAG', tagsSet: [], codeSet: [], subVersion: 1 },
      ],
      onTopicRouteChanged: (topic) => changed.push(topic),
    });
    await client.refreshAllRoutes();
    expect(changed).toEqual([]);
    broker.options.topics.TopicTest = 4;
    await broker.register(2);
    await client.refreshAllRoutes();
    expect(changed).toEqual(['TopicTest']);
    expect(client.cachedTopicRoute('TopicTest')?.queueDatas[0]?.writeQueueNums).toBe(4);
  });

  it('polls subscribed routes on its timer once started', async () => {
    const client = new ClientInstance({ namesrvAddr: ns.addr, pollNameServerIntervalMs: 30 });
    clients.push(client);
    client.subscribeRouteTopic('TopicTest');
    await client.start();
    await expect
      .poll(() => client.cachedTopicRoute('TopicTest')?.queueDatas[0]?.writeQueueNums, { timeout: 2000 })
      .toBe(2);
    broker.options.topics.TopicTest = 3;
    await broker.register(2);
    await expect
      .poll(() => client.cachedTopicRoute('TopicTest')?.queueDatas[0]?.writeQueueNums, { timeout: 2000 })
      .toBe(3);
  });

  it('heartbeats consumers and producers with the §4.2 body, and unregisters them on shutdown', async () => {
    const client = newClient();
    client.registerProducer('pg');
    client.registerConsumer({
      groupName: 'cg',
      consumeType: 'CONSUME_ACTIVELY',
      messageModel: 'BROADCASTING',
      consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET',
      subscriptions: () => [
        {
          topic: 'TopicTest',
          subString: 'a || b',
          expressionType: 'TAG',
          tagsSet: ['a', 'b'],
          codeSet: [97, 98],
          subVersion: 5,
        },
      ],
    });
    await client.getTopicRoute('TopicTest');
    await client.sendHeartbeatToAllBrokers();
    expect(broker.heartbeats[0]).toEqual({
      clientID: '127.0.0.1@test',
      consumerDataSet: [
        {
          consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET',
          consumeType: 'CONSUME_ACTIVELY',
          groupName: 'cg',
          messageModel: 'BROADCASTING',
          subscriptionDataSet: [
            {
              classFilterMode: false,
              codeSet: [97, 98],
              expressionType: 'TAG',
              subString: 'a || b',
              subVersion: 5,
              tagsSet: ['a', 'b'],
              topic: 'TopicTest',
            },
          ],
          unitMode: false,
        },
      ],
      heartbeatFingerprint: 0,
      producerDataSet: [{ groupName: 'pg' }],
      withoutSub: false,
    });
    await client.shutdown();
    expect(broker.unregisters).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ clientID: '127.0.0.1@test', producerGroup: 'pg' }),
        expect.objectContaining({ clientID: '127.0.0.1@test', consumerGroup: 'cg' }),
      ]),
    );
  });

  it('sends binary (ROCKETMQ) headers by default and JSON when asked; the NameServer answers in kind', async () => {
    const seen: number[] = [];
    broker.handle(4242, (request) => {
      seen.push(request.serializeType);
      return createResponse(request, ResponseCode.SUCCESS);
    });
    const binary = newClient();
    const json = new ClientInstance({
      namesrvAddr: ns.addr,
      clientIP: '127.0.0.1',
      instanceName: 'json',
      serializeType: SerializeType.JSON,
    });
    clients.push(json);
    await binary.invokeBroker(broker.addr, createRequest(4242));
    await json.invokeBroker(broker.addr, createRequest(4242));
    expect(seen).toEqual([SerializeType.ROCKETMQ, SerializeType.JSON]);
    // a route fetched with binary headers decodes like one fetched with JSON
    const [viaBinary, viaJson] = await Promise.all([
      binary.getTopicRoute('TopicTest'),
      json.getTopicRoute('TopicTest'),
    ]);
    expect(viaBinary.queueDatas).toEqual(viaJson.queueDatas);
  });

  it('routes broker → client requests to onBrokerRequest handlers', async () => {
    const client = newClient();
    const seen: string[] = [];
    client.onBrokerRequest(RequestCode.NOTIFY_CONSUMER_IDS_CHANGED, (request) => {
      seen.push(request.extFields?.consumerGroup ?? '');
      return undefined;
    });
    client.registerProducer('pg');
    await client.getTopicRoute('TopicTest');
    await client.sendHeartbeatToAllBrokers();
    const conn = broker.lastContext?.connection;
    if (conn === undefined) throw new Error('no client connection');
    await broker.server.invokeOneway(
      conn,
      createRequest(RequestCode.NOTIFY_CONSUMER_IDS_CHANGED, { extFields: { consumerGroup: 'cg' }, oneway: true }),
    );
    await expect.poll(() => seen, { timeout: 2000 }).toEqual(['cg']);
  });
});
