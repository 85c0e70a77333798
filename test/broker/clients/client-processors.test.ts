import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRequest, isOneway, type RemotingCommand } from '../../../src/protocol/command.js';
import { parseJson } from '../../../src/protocol/fastjson.js';
import { RequestCode } from '../../../src/protocol/request-code.js';
import { ResponseCode } from '../../../src/protocol/response-code.js';
import { RemotingClient } from '../../../src/transport/client.js';
import { type ClientsHarness, heartbeatBody, startClientsHarness } from './harness.js';

let h: ClientsHarness;
beforeEach(async () => {
  h = await startClientsHarness();
  h.topics.add('TopicTest');
});
afterEach(async () => {
  await h.close();
});

function bodyJson(response: RemotingCommand): unknown {
  return parseJson(response.body ?? Buffer.alloc(0));
}

/** Resolves when `predicate` holds, polling every 10 ms (bounded). */
async function eventually(predicate: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('HEART_BEAT', () => {
  it('registers consumer and producer, creates the retry topic and answers the 5.x ext fields', async () => {
    const res = await h.invoke(
      RequestCode.HEART_BEAT,
      {},
      heartbeatBody('192.0.2.2@14595', { producerGroup: 'PID_SMOKE' }),
    );
    expect(res.code).toBe(ResponseCode.SUCCESS);
    expect(res.extFields).toEqual({ IS_SUPPORT_HEART_BEAT_V2: 'true', IS_SUB_CHANGE: 'true' });
    expect(h.topics.internalCreated).toEqual(['%RETRY%GID_SMOKE']);
    expect(h.topics.get('%RETRY%GID_SMOKE')).toMatchObject({ readQueueNums: 1, writeQueueNums: 1, perm: 6 });
    expect(h.services.subscriptionGroups.get('GID_SMOKE')?.retryMaxTimes).toBe(16);

    const list = await h.invoke(RequestCode.GET_CONSUMER_LIST_BY_GROUP, { consumerGroup: 'GID_SMOKE' });
    expect(list.code).toBe(ResponseCode.SUCCESS);
    expect(bodyJson(list)).toEqual({ consumerIdList: ['192.0.2.2@14595'] });

    const producers = await h.invoke(RequestCode.GET_PRODUCER_CONNECTION_LIST, { producerGroup: 'PID_SMOKE' });
    expect(producers.code).toBe(ResponseCode.SUCCESS);
    expect(bodyJson(producers)).toEqual({
      connectionSet: [
        {
          clientAddr: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
          clientId: '192.0.2.2@14595',
          language: 'JAVA',
          version: expect.any(Number),
        },
      ],
    });

    const consumers = await h.invoke(RequestCode.GET_CONSUMER_CONNECTION_LIST, { consumerGroup: 'GID_SMOKE' });
    expect(consumers.code).toBe(ResponseCode.SUCCESS);
    const connection = bodyJson(consumers) as Record<string, unknown>;
    expect(connection).toMatchObject({
      consumeFromWhere: 'CONSUME_FROM_LAST_OFFSET',
      consumeType: 'CONSUME_PASSIVELY',
      messageModel: 'CLUSTERING',
      subscriptionConsistent: true,
      inconsistentSubscriptions: [],
    });
    expect(Object.keys(connection.subscriptionTable as object).sort()).toEqual(['%RETRY%GID_SMOKE', 'TopicTest']);
    expect((connection.subscriptionTable as Record<string, { subString: string }>).TopicTest?.subString).toBe(
      'TagA || TagB',
    );
  });

  it('sends NOTIFY_CONSUMER_IDS_CHANGED one-way to members when another joins, and forgets closed connections', async () => {
    const notifications: RemotingCommand[] = [];
    h.client.registerHandler(RequestCode.NOTIFY_CONSUMER_IDS_CHANGED, (request) => {
      notifications.push(request);
      return undefined;
    });
    await h.invoke(RequestCode.HEART_BEAT, {}, heartbeatBody('A@1'));
    await eventually(() => notifications.length === 1);
    const other = new RemotingClient();
    try {
      const res = await other.invoke(
        h.addr,
        createRequest(RequestCode.HEART_BEAT, { body: Buffer.from(heartbeatBody('B@2')) }),
        5000,
      );
      expect(res.code).toBe(0);
      await eventually(() => notifications.length === 2);
      expect(notifications[1]?.extFields).toEqual({ consumerGroup: 'GID_SMOKE' });
      expect(isOneway(notifications[1] as RemotingCommand)).toBe(true);
      const list = await h.invoke(RequestCode.GET_CONSUMER_LIST_BY_GROUP, { consumerGroup: 'GID_SMOKE' });
      expect((bodyJson(list) as { consumerIdList: string[] }).consumerIdList.sort()).toEqual(['A@1', 'B@2']);
    } finally {
      await other.close();
    }
    await eventually(() => h.services.consumers.clientIds('GID_SMOKE').length === 1);
    await eventually(() => notifications.length === 3);
  });

  it('flags members of one group that subscribe differently in the connection list', async () => {
    await h.invoke(RequestCode.HEART_BEAT, {}, heartbeatBody('A@1', { subString: 'TagA' }));
    await h.invoke(RequestCode.HEART_BEAT, {}, heartbeatBody('B@2', { subString: 'TagB' }));
    const res = await h.invoke(RequestCode.GET_CONSUMER_CONNECTION_LIST, { consumerGroup: 'GID_SMOKE' });
    expect(bodyJson(res)).toMatchObject({
      subscriptionConsistent: false,
      inconsistentSubscriptions: [
        {
          topic: 'TopicTest',
          members: [
            { clientId: 'A@1', expression: 'TagA' },
            { clientId: 'B@2', expression: 'TagB' },
          ],
        },
      ],
    });
  });

  it('expires a silent client after 120 s on the injected clock', async () => {
    await h.invoke(RequestCode.HEART_BEAT, {}, heartbeatBody('A@1', { producerGroup: 'PID' }));
    h.clock.now += 120_001;
    h.services.scanExpiredClients();
    expect(h.services.consumers.clientIds('GID_SMOKE')).toEqual([]);
    expect(h.services.producers.channels('PID')).toEqual([]);
    const list = await h.invoke(RequestCode.GET_CONSUMER_LIST_BY_GROUP, { consumerGroup: 'GID_SMOKE' });
    expect(list.code).toBe(ResponseCode.SYSTEM_ERROR);
    expect(list.remark).toBe('no consumer for this group, GID_SMOKE');
  });

  it('accepts a heartbeat-v2 body without subscriptions from a known member only', async () => {
    const full = JSON.parse(heartbeatBody('A@1'));
    full.heartbeatFingerprint = 42;
    expect((await h.invoke(RequestCode.HEART_BEAT, {}, JSON.stringify(full))).extFields?.IS_SUB_CHANGE).toBe('true');
    const light = { ...full, withoutSub: true };
    light.consumerDataSet[0].subscriptionDataSet = [];
    expect((await h.invoke(RequestCode.HEART_BEAT, {}, JSON.stringify(light))).extFields?.IS_SUB_CHANGE).toBe('false');
    expect(h.services.consumers.findSubscription('GID_SMOKE', 'TopicTest')?.subString).toBe('TagA || TagB');
    light.heartbeatFingerprint = 43;
    expect((await h.invoke(RequestCode.HEART_BEAT, {}, JSON.stringify(light))).extFields?.IS_SUB_CHANGE).toBe('true');
  });

  it('does not create the retry topic when subscription groups are not auto-created', async () => {
    h.config.autoCreateSubscriptionGroup = false;
    const res = await h.invoke(RequestCode.HEART_BEAT, {}, heartbeatBody('A@1', { group: 'unknown' }));
    expect(res.code).toBe(ResponseCode.SUCCESS);
    expect(h.topics.internalCreated).toEqual([]);
  });

  it.each([
    ['no body', undefined],
    ['garbage', 'not json {'],
    ['an array', '[]'],
    ['no clientID', '{"consumerDataSet":[]}'],
    ['a group without name', '{"clientID":"a","consumerDataSet":[{"subscriptionDataSet":[]}]}'],
    [
      'a subscription without topic',
      '{"clientID":"a","consumerDataSet":[{"groupName":"g","subscriptionDataSet":[{}]}]}',
    ],
    ['a producer without group', '{"clientID":"a","producerDataSet":[{}]}'],
  ])('rejects a body with %s as SYSTEM_ERROR', async (_name, body) => {
    const res = await h.invoke(RequestCode.HEART_BEAT, {}, body);
    expect(res.code).toBe(ResponseCode.SYSTEM_ERROR);
    expect(res.remark).toBeTruthy();
    expect(h.services.consumers.groupNames()).toEqual([]);
  });
});

describe('UNREGISTER_CLIENT and GET_CONSUMER_LIST_BY_GROUP', () => {
  it('removes the producer and the consumer', async () => {
    await h.invoke(RequestCode.HEART_BEAT, {}, heartbeatBody('A@1', { producerGroup: 'PID' }));
    const res = await h.invoke(RequestCode.UNREGISTER_CLIENT, {
      clientID: 'A@1',
      producerGroup: 'PID',
      consumerGroup: 'GID_SMOKE',
    });
    expect(res.code).toBe(ResponseCode.SUCCESS);
    expect(h.services.producers.channels('PID')).toEqual([]);
    expect(h.services.consumers.clientIds('GID_SMOKE')).toEqual([]);
    // unregistering an unknown client is fine too (ali-ons close() needs SUCCESS)
    expect((await h.invoke(RequestCode.UNREGISTER_CLIENT, { clientID: 'nobody' })).code).toBe(ResponseCode.SUCCESS);
  });

  it('answers missing header fields with SYSTEM_ERROR naming the field', async () => {
    const unregister = await h.invoke(RequestCode.UNREGISTER_CLIENT, { producerGroup: 'PID' });
    expect(unregister.code).toBe(ResponseCode.SYSTEM_ERROR);
    expect(unregister.remark).toContain('clientID');
    const list = await h.invoke(RequestCode.GET_CONSUMER_LIST_BY_GROUP, {});
    expect(list.code).toBe(ResponseCode.SYSTEM_ERROR);
    expect(list.remark).toContain('consumerGroup');
  });
});
