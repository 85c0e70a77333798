/**
 * INVOKE_BROKER_TO_RESET_OFFSET (222) with its RESET_CONSUMER_CLIENT_OFFSET (220) push, CLONE_GROUP_OFFSET (314) and
 * BROADCASTING offsets, over real sockets against a BrokerController with a temp store.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeResetOffsetBody } from '../../../src/broker/processors/reset-offset.js';
import { newTopicConfig } from '../../../src/broker/topic-config-manager.js';
import { createRequest, createResponse, type RemotingCommand } from '../../../src/protocol/command.js';
import { CloneGroupOffsetRequestHeader, ResetOffsetRequestHeader } from '../../../src/protocol/headers/admin.js';
import {
  OffsetResponseHeader,
  QueryConsumerOffsetRequestHeader,
  UpdateConsumerOffsetRequestHeader,
} from '../../../src/protocol/headers/offsets.js';
import { RequestCode } from '../../../src/protocol/request-code.js';
import { ResponseCode } from '../../../src/protocol/response-code.js';
import { RemotingClient } from '../../../src/transport/client.js';
import { sendRequest, startTestBroker, type TestBroker } from '../broker-harness.js';
import { heartbeatBody } from '../clients/harness.js';

const TOPIC = 'ResetTopic';
const OTHER = 'OtherTopic';
let tb: TestBroker;
/** A consumer connection that records the broker's RESET_CONSUMER_CLIENT_OFFSET pushes. */
let member: RemotingClient;
const pushes: RemotingCommand[] = [];
/** Store time between the first five and the last five messages of queue 0. */
let middle = 0;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, predicate: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

async function commit(group: string, queueId: number, commitOffset: number, topic = TOPIC): Promise<void> {
  await tb.broker.clientServices.subscriptionGroups.getOrCreate(group);
  const response = await tb.invoke(
    createRequest(RequestCode.UPDATE_CONSUMER_OFFSET, {
      extFields: UpdateConsumerOffsetRequestHeader.encode({ consumerGroup: group, topic, queueId, commitOffset }),
    }),
  );
  expect(response.code).toBe(ResponseCode.SUCCESS);
}

async function stored(group: string, queueId: number, topic = TOPIC): Promise<number> {
  const response = await tb.invoke(
    createRequest(RequestCode.QUERY_CONSUMER_OFFSET, {
      extFields: QueryConsumerOffsetRequestHeader.encode({
        consumerGroup: group,
        topic,
        queueId,
        setZeroIfNotFound: false,
      }),
    }),
  );
  return response.code === ResponseCode.SUCCESS ? OffsetResponseHeader.decode(response.extFields).offset : -1;
}

function reset(group: string, timestamp: number, isForce: boolean, extra: { queueId?: number; offset?: number } = {}) {
  return tb.invoke(
    createRequest(RequestCode.INVOKE_BROKER_TO_RESET_OFFSET, {
      extFields: ResetOffsetRequestHeader.encode({ group, topic: TOPIC, timestamp, isForce, ...extra }),
    }),
  );
}

function mqKey(queueId: number, topic = TOPIC): string {
  return `{"brokerName":"broker-a","queueId":${queueId},"topic":"${topic}"}`;
}

beforeAll(async () => {
  tb = await startTestBroker();
  await tb.broker.topicManager.upsert(newTopicConfig(TOPIC, { readQueueNums: 2, writeQueueNums: 2 }));
  await tb.broker.topicManager.upsert(newTopicConfig(OTHER, { readQueueNums: 1, writeQueueNums: 1 }));
  for (let i = 0; i < 10; i++) {
    if (i === 5) {
      await sleep(30);
      middle = Date.now();
      await sleep(30);
    }
    expect((await tb.invoke(sendRequest(TOPIC, `m-${i}`, { queueId: 0 }))).code).toBe(ResponseCode.SUCCESS);
  }
  member = new RemotingClient();
  member.registerHandler(RequestCode.RESET_CONSUMER_CLIENT_OFFSET, (request) => {
    pushes.push(request);
    return createResponse(request, ResponseCode.SUCCESS);
  });
  const hb = await member.invoke(
    tb.addr,
    createRequest(RequestCode.HEART_BEAT, {
      body: Buffer.from(heartbeatBody('127.0.0.1@member', { group: 'G', topic: TOPIC, subString: '*' })),
    }),
    5000,
  );
  expect(hb.code).toBe(ResponseCode.SUCCESS);
}, 20_000);

afterAll(async () => {
  await member?.close();
  await tb?.close();
});

describe('ResetOffsetBody', () => {
  it('writes MessageQueue keys as raw JSON objects, as fastjson does', () => {
    const body = encodeResetOffsetBody([
      { messageQueue: { topic: 'T', brokerName: 'broker-a', queueId: 1 }, offset: 7 },
      { messageQueue: { topic: 'T', brokerName: 'broker-a', queueId: 0 }, offset: 5 },
    ]);
    expect(body.toString()).toBe(
      '{"offsetTable":{' +
        '{"brokerName":"broker-a","queueId":0,"topic":"T"}:5,' + // MessageQueue key, unquoted: offset
        '{"brokerName":"broker-a","queueId":1,"topic":"T"}:7}}',
    );
  });
});

describe('INVOKE_BROKER_TO_RESET_OFFSET', () => {
  it('moves stored offsets back to a timestamp, pushes 220 to the online member and returns the table', async () => {
    await commit('G', 0, 10);
    await commit('G', 1, 0);
    pushes.length = 0;
    const response = await reset('G', middle, false);
    expect(response.code).toBe(ResponseCode.SUCCESS);
    const expected = `{"offsetTable":{${mqKey(0)}:5,${mqKey(1)}:0}}`;
    expect(response.body?.toString()).toBe(expected);
    expect(await stored('G', 0)).toBe(5);

    await until('the RESET_CONSUMER_CLIENT_OFFSET push', () => pushes.length === 1);
    const push = pushes[0]!;
    expect(push.body?.toString()).toBe(expected);
    expect(push.extFields).toMatchObject({ group: 'G', topic: TOPIC, timestamp: String(middle), isForce: 'false' });
  });

  it('not forced never moves an offset forward; forced does; timestamp -1 means the max offset', async () => {
    await commit('G', 0, 2);
    const notForced = await reset('G', middle, false);
    expect(notForced.body?.toString()).toContain(`${mqKey(0)}:2`);
    expect(await stored('G', 0)).toBe(2);

    const forced = await reset('G', middle, true);
    expect(forced.body?.toString()).toContain(`${mqKey(0)}:5`);
    expect(await stored('G', 0)).toBe(5);

    const toEnd = await reset('G', -1, true);
    expect(toEnd.body?.toString()).toBe(`{"offsetTable":{${mqKey(0)}:10,${mqKey(1)}:0}}`);
    expect(await stored('G', 0)).toBe(10);
  });

  it('resets one queue to an explicit offset when queueId and offset are given', async () => {
    const response = await reset('G', 0, true, { queueId: 0, offset: 3 });
    expect(response.body?.toString()).toBe(`{"offsetTable":{${mqKey(0)}:3}}`);
    expect(await stored('G', 0)).toBe(3);
    const outOfRange = await reset('G', 0, true, { queueId: 9 });
    expect(outOfRange.code).toBe(ResponseCode.INVALID_PARAMETER);
  });

  it('refuses an unknown topic, an unknown group and a request without isForce', async () => {
    const noTopic = await tb.invoke(
      createRequest(RequestCode.INVOKE_BROKER_TO_RESET_OFFSET, {
        extFields: ResetOffsetRequestHeader.encode({ group: 'G', topic: 'Nope', timestamp: 0, isForce: true }),
      }),
    );
    expect(noTopic.code).toBe(ResponseCode.SYSTEM_ERROR);
    expect(noTopic.remark).toContain('no topic in this broker');
    const noGroup = await reset('NEVER_SEEN', 0, true);
    expect(noGroup.code).toBe(ResponseCode.SYSTEM_ERROR);
    expect(noGroup.remark).toBe('THe consumer group <NEVER_SEEN> not exist');
    const noForce = await tb.invoke(
      createRequest(RequestCode.INVOKE_BROKER_TO_RESET_OFFSET, {
        extFields: { group: 'G', topic: TOPIC, timestamp: '0' },
      }),
    );
    expect(noForce.code).toBe(ResponseCode.SYSTEM_ERROR);
  });

  it('an offline group with stored offsets is reset (nobody to tell)', async () => {
    await commit('OFFLINE', 0, 8);
    const response = await reset('OFFLINE', middle, false);
    expect(response.code).toBe(ResponseCode.SUCCESS);
    expect(await stored('OFFLINE', 0)).toBe(5);
  });
});

describe('BROADCASTING groups', () => {
  it('are served and listed, but their offsets are never stored on the broker', async () => {
    const bc = new RemotingClient();
    const bcPushes: RemotingCommand[] = [];
    bc.registerHandler(RequestCode.RESET_CONSUMER_CLIENT_OFFSET, (request) => {
      bcPushes.push(request);
      return undefined;
    });
    try {
      const hb = await bc.invoke(
        tb.addr,
        createRequest(RequestCode.HEART_BEAT, {
          body: Buffer.from(
            heartbeatBody('127.0.0.1@bc', { group: 'BG', topic: TOPIC, subString: '*', model: 'BROADCASTING' }),
          ),
        }),
        5000,
      );
      expect(hb.code).toBe(ResponseCode.SUCCESS);
      await commit('BG', 0, 4);
      expect(await stored('BG', 0)).toBe(-1);
      const conn = await tb.invoke(
        createRequest(RequestCode.GET_CONSUMER_CONNECTION_LIST, { extFields: { consumerGroup: 'BG' } }),
      );
      expect(conn.code).toBe(ResponseCode.SUCCESS);
      expect(JSON.parse(conn.body?.toString() ?? '{}')).toMatchObject({ messageModel: 'BROADCASTING' });

      const response = await reset('BG', middle, true);
      expect(response.code).toBe(ResponseCode.SUCCESS);
      expect(response.body?.toString()).toBe(`{"offsetTable":{${mqKey(0)}:5,${mqKey(1)}:0}}`);
      expect(await stored('BG', 0)).toBe(-1);
      await until('the push to the broadcasting member', () => bcPushes.length === 1);
    } finally {
      await bc.close();
    }
  });
});

describe('CLONE_GROUP_OFFSET', () => {
  function clone(srcGroup: string, destGroup: string, topic?: string, offline?: boolean) {
    return tb.invoke(
      createRequest(RequestCode.CLONE_GROUP_OFFSET, {
        extFields: CloneGroupOffsetRequestHeader.encode({ srcGroup, destGroup, topic, offline }),
      }),
    );
  }

  it('copies every topic of an offline source group, or one topic', async () => {
    await commit('SRC', 0, 7);
    await commit('SRC', 1, 1);
    await commit('SRC', 0, 3, OTHER);
    expect((await clone('SRC', 'DST')).code).toBe(ResponseCode.SUCCESS);
    expect([await stored('DST', 0), await stored('DST', 1), await stored('DST', 0, OTHER)]).toEqual([7, 1, 3]);

    expect((await clone('SRC', 'DST_ONE', OTHER)).code).toBe(ResponseCode.SUCCESS);
    expect([await stored('DST_ONE', 0), await stored('DST_ONE', 0, OTHER)]).toEqual([-1, 3]);
  });

  it('skips topics an online source group does not subscribe, unless offline', async () => {
    // G is online and subscribes only TOPIC (and its retry topic)
    await commit('G', 0, 6, OTHER);
    expect((await clone('G', 'G_COPY', OTHER)).code).toBe(ResponseCode.SUCCESS);
    expect(await stored('G_COPY', 0, OTHER)).toBe(-1);
    expect((await clone('G', 'G_COPY', OTHER, true)).code).toBe(ResponseCode.SUCCESS);
    expect(await stored('G_COPY', 0, OTHER)).toBe(6);
  });

  it('rejects a request without srcGroup', async () => {
    const response = await tb.invoke(createRequest(RequestCode.CLONE_GROUP_OFFSET, { extFields: { destGroup: 'X' } }));
    expect(response.code).toBe(ResponseCode.SYSTEM_ERROR);
  });
});
