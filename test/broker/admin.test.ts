import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createRequest } from '../../src/protocol/command.js';
import { parseJson } from '../../src/protocol/fastjson.js';
import { CreateTopicRequestHeader } from '../../src/protocol/headers/admin.js';
import { decodeOffsetMsgId } from '../../src/protocol/message/message-id.js';
import { RequestCode } from '../../src/protocol/request-code.js';
import { ResponseCode } from '../../src/protocol/response-code.js';
import { startTestNamesrv, type TestNamesrv } from '../namesrv/helpers.js';
import { pullRequest, sendRequest, startTestBroker, type TestBroker } from './broker-harness.js';

function createTopic(topic: string, init: Partial<CreateTopicRequestHeader> = {}) {
  return createRequest(RequestCode.UPDATE_AND_CREATE_TOPIC, {
    extFields: CreateTopicRequestHeader.encode({
      topic,
      defaultTopic: 'TBW102',
      readQueueNums: 3,
      writeQueueNums: 3,
      perm: 6,
      topicFilterType: 'SINGLE_TAG',
      order: false,
      ...init,
    }),
  });
}

const routeOf = (ns: TestNamesrv, topic: string) =>
  ns.invoke(createRequest(RequestCode.GET_ROUTEINFO_BY_TOPIC, { extFields: { topic } }));

describe('topic admin', () => {
  let b: TestBroker | undefined;
  afterEach(async () => {
    await b?.close();
    b = undefined;
  });

  it('creates, lists, persists and deletes topics', async () => {
    b = await startTestBroker();
    const created = await b.invoke(createTopic('AdminTopic', { attributes: '+message.type=NORMAL' }));
    expect(created.code).toBe(ResponseCode.SUCCESS);
    expect(b.broker.topicManager.get('AdminTopic')).toMatchObject({
      readQueueNums: 3,
      writeQueueNums: 3,
      attributes: { 'message.type': 'NORMAL' },
    });
    const file = JSON.parse(await readFile(join(b.dir, 'store', 'config', 'topics.json'), 'utf8'));
    expect(file.topicConfigTable.AdminTopic.writeQueueNums).toBe(3);

    const all = await b.invoke(createRequest(RequestCode.GET_ALL_TOPIC_CONFIG));
    const wrapper = parseJson(all.body!) as {
      dataVersion: { counter: number };
      topicConfigTable: Record<string, { perm: number }>;
    };
    expect(wrapper.topicConfigTable.TBW102!.perm).toBe(7);
    expect(wrapper.topicConfigTable.AdminTopic).toBeDefined();
    expect(wrapper.dataVersion.counter).toBeGreaterThan(0);

    await b.invoke(sendRequest('AdminTopic', 'x', { queueId: 2 }));
    await b.invoke(pullRequest('AdminTopic', 2, 0, { consumerGroup: 'G', sysFlag: 0x5, commitOffset: 1 }));
    expect(b.broker.context.consumerOffsets.query('G', 'AdminTopic', 2)).toBe(1);
    const deleted = await b.invoke(
      createRequest(RequestCode.DELETE_TOPIC_IN_BROKER, { extFields: { topic: 'AdminTopic' } }),
    );
    expect(deleted.code).toBe(ResponseCode.SUCCESS);
    expect(b.broker.topicManager.get('AdminTopic')).toBeUndefined();
    expect(b.broker.context.consumerOffsets.query('G', 'AdminTopic', 2)).toBe(-1);
    expect(b.broker.context.store.getMaxOffsetInQueue('AdminTopic', 2)).toBe(0);
  });

  it('refuses bad topic admin requests', async () => {
    b = await startTestBroker();
    expect((await b.invoke(createTopic('bad/name'))).code).toBe(ResponseCode.INVALID_PARAMETER);
    expect((await b.invoke(createTopic('x'.repeat(128)))).code).toBe(ResponseCode.INVALID_PARAMETER);
    const sys = await b.invoke(createTopic('SCHEDULE_TOPIC_XXXX'));
    expect(sys.code).toBe(ResponseCode.SYSTEM_ERROR);
    expect(sys.remark).toMatch(/system topic/);
    expect((await b.invoke(createTopic('DefaultCluster'))).code).toBe(ResponseCode.SYSTEM_ERROR);
    expect((await b.invoke(createTopic('T1', { topicFilterType: 'WHATEVER' }))).code).toBe(
      ResponseCode.INVALID_PARAMETER,
    );
    expect((await b.invoke(createTopic('T1', { attributes: 'oops' }))).code).toBe(ResponseCode.INVALID_PARAMETER);
    const missing = await b.invoke(createRequest(RequestCode.UPDATE_AND_CREATE_TOPIC, { extFields: { topic: 'T2' } }));
    expect(missing.code).toBe(ResponseCode.SYSTEM_ERROR);
    const delSys = await b.invoke(
      createRequest(RequestCode.DELETE_TOPIC_IN_BROKER, { extFields: { topic: 'TBW102' } }),
    );
    expect(delSys.code).toBe(ResponseCode.SYSTEM_ERROR);
    const stats = await b.invoke(createRequest(RequestCode.GET_TOPIC_STATS_INFO, { extFields: { topic: 'Nope' } }));
    expect(stats.code).toBe(ResponseCode.TOPIC_NOT_EXIST);
  });

  it('reports per-queue offsets with fastjson MessageQueue keys', async () => {
    b = await startTestBroker();
    await b.invoke(createTopic('StatsTopic', { readQueueNums: 2, writeQueueNums: 2 }));
    await b.invoke(sendRequest('StatsTopic', 'a', { queueId: 1 }));
    await b.invoke(sendRequest('StatsTopic', 'b', { queueId: 1 }));
    const res = await b.invoke(createRequest(RequestCode.GET_TOPIC_STATS_INFO, { extFields: { topic: 'StatsTopic' } }));
    expect(res.code).toBe(ResponseCode.SUCCESS);
    const text = res.body!.toString();
    expect(text).toContain('{"brokerName":"broker-a","queueId":1,"topic":"StatsTopic"}:{');
    const table = (parseJson(res.body!) as { offsetTable: Record<string, Record<string, number>> }).offsetTable;
    const q1 = table['{"brokerName":"broker-a","queueId":1,"topic":"StatsTopic"}']!;
    expect(q1).toMatchObject({ minOffset: 0, maxOffset: 2 });
    expect(q1.lastUpdateTimestamp).toBeGreaterThan(0);
    const q0 = table['{"brokerName":"broker-a","queueId":0,"topic":"StatsTopic"}']!;
    expect(q0).toMatchObject({ minOffset: 0, maxOffset: 0, lastUpdateTimestamp: 0 });
  });

  it('keeps topics across a restart', async () => {
    b = await startTestBroker();
    await b.invoke(createTopic('Durable', { readQueueNums: 5, writeQueueNums: 5 }));
    const dir = b.dir;
    await b.close(true);
    b = await startTestBroker({}, dir);
    expect(b.broker.topicManager.get('Durable')).toMatchObject({ readQueueNums: 5 });
  });

  it('applies topic and broker perms to send and pull', async () => {
    b = await startTestBroker();
    await b.invoke(createTopic('ReadOnly', { perm: 4 }));
    await b.invoke(createTopic('WriteOnly', { perm: 2 }));
    expect((await b.invoke(sendRequest('ReadOnly', 'x'))).code).toBe(ResponseCode.NO_PERMISSION);
    expect((await b.invoke(sendRequest('WriteOnly', 'x'))).code).toBe(ResponseCode.SUCCESS);
    expect((await b.invoke(pullRequest('WriteOnly', 0, 0))).code).toBe(ResponseCode.NO_PERMISSION);
    await b.close();
    b = await startTestBroker({ brokerPermission: 4 });
    const refused = await b.invoke(sendRequest('AnyTopic', 'x'));
    expect(refused.code).toBe(ResponseCode.NO_PERMISSION);
    expect(refused.remark).toMatch(/sending message is forbidden/);
  });

  it('a SLAVE refuses sends with SYSTEM_BUSY', async () => {
    b = await startTestBroker({ brokerRole: 'SLAVE', brokerId: 1 });
    const res = await b.invoke(sendRequest('T', 'x'));
    expect(res.code).toBe(ResponseCode.SYSTEM_BUSY);
    expect(res.remark).toMatch(/REJECTREQUEST/);
  });
});

describe('broker admin', () => {
  let b: TestBroker | undefined;
  afterEach(async () => {
    await b?.close();
    b = undefined;
  });

  it('answers runtime info as a KVTable of strings', async () => {
    b = await startTestBroker();
    await b.invoke(sendRequest('RtTopic', 'x'));
    const res = await b.invoke(createRequest(RequestCode.GET_BROKER_RUNTIME_INFO));
    expect(res.code).toBe(ResponseCode.SUCCESS);
    const table = (parseJson(res.body!) as { table: Record<string, unknown> }).table;
    expect(table.msgPutTotalTodayNow).toBe('1');
    expect(table.brokerVersionDesc).toMatch(/^V\d/);
    expect(table.putTps).toMatch(/^\d+\.\d\d \d+\.\d\d \d+\.\d\d$/);
    expect(Object.values(table).every((v) => typeof v === 'string')).toBe(true);
  });

  it('gets and updates the broker config', async () => {
    b = await startTestBroker();
    const got = await b.invoke(createRequest(RequestCode.GET_BROKER_CONFIG));
    expect(got.body!.toString()).toMatch(/^brokerName=broker-a$/m);
    expect(got.extFields?.version).toBeDefined();

    const update = (text: string) =>
      b!.invoke(createRequest(RequestCode.UPDATE_BROKER_CONFIG, { body: Buffer.from(text) }));
    expect((await update('autoCreateTopicEnable=false\n')).code).toBe(ResponseCode.SUCCESS);
    expect(b.broker.config.autoCreateTopicEnable).toBe(false);
    const refused = await b.invoke(sendRequest('NewTopicAfterUpdate', 'x'));
    expect(refused.code).toBe(ResponseCode.TOPIC_NOT_EXIST);

    const bad = await update('defaultTopicQueueNums=lots\n');
    expect(bad.code).toBe(ResponseCode.SYSTEM_ERROR);
    expect(bad.remark).toMatch(/defaultTopicQueueNums/);
    expect((await update('storePathRootDir=/tmp/elsewhere\n')).code).toBe(ResponseCode.NO_PERMISSION);
    const after = await b.invoke(createRequest(RequestCode.GET_BROKER_CONFIG));
    expect(after.body!.toString()).toMatch(/^autoCreateTopicEnable=false$/m);
  });
});

describe('NameServer registration', () => {
  let ns: TestNamesrv | undefined;
  let b: TestBroker | undefined;
  afterEach(async () => {
    await b?.close();
    await ns?.close();
    b = undefined;
    ns = undefined;
  });

  it('registers at start and on topic changes, and unregisters on shutdown', async () => {
    ns = await startTestNamesrv();
    b = await startTestBroker({ namesrvAddr: `${ns.addr};` });
    expect((await routeOf(ns, 'TBW102')).code).toBe(ResponseCode.SUCCESS);
    expect((await routeOf(ns, 'Fresh')).code).toBe(ResponseCode.TOPIC_NOT_EXIST);

    await b.invoke(createTopic('Fresh', { readQueueNums: 2, writeQueueNums: 2 }));
    const route = await routeOf(ns, 'Fresh');
    expect(route.code).toBe(ResponseCode.SUCCESS);
    const data = parseJson(route.body!) as {
      queueDatas: Array<{ writeQueueNums: number }>;
      brokerDatas: Array<{ brokerAddrs: Record<string, string> }>;
    };
    expect(data.queueDatas[0]!.writeQueueNums).toBe(2);
    expect(Object.values(data.brokerDatas[0]!.brokerAddrs)).toEqual([b.addr]);

    await b.invoke(sendRequest('AutoOnSend', 'x'));
    await expect.poll(async () => (await routeOf(ns!, 'AutoOnSend')).code, { timeout: 5000 }).toBe(0);

    await b.broker.shutdown();
    expect((await routeOf(ns, 'Fresh')).code).toBe(ResponseCode.TOPIC_NOT_EXIST);
  });

  it('registers and writes message ids with advertisedAddress', async () => {
    ns = await startTestNamesrv();
    b = await startTestBroker({ namesrvAddr: ns.addr, advertisedAddress: '10.1.2.3:19999' });
    const sent = await b.invoke(sendRequest('Advertised', 'x'));
    expect(decodeOffsetMsgId(sent.extFields!.msgId!).storeHost).toEqual({ host: '10.1.2.3', port: 19999 });
    const route = await routeOf(ns, 'TBW102');
    const data = parseJson(route.body!) as { brokerDatas: Array<{ brokerAddrs: Record<string, string> }> };
    expect(Object.values(data.brokerDatas[0]!.brokerAddrs)).toEqual(['10.1.2.3:19999']);
  });

  it('a read-only broker registers its topics read-only without changing its own table', async () => {
    ns = await startTestNamesrv();
    b = await startTestBroker({ namesrvAddr: ns.addr, brokerPermission: 4 });
    const data = parseJson((await routeOf(ns, 'TBW102')).body!) as { queueDatas: Array<{ perm: number }> };
    expect(data.queueDatas[0]!.perm).toBe(4);
    expect(b.broker.topicManager.get('TBW102')!.perm).toBe(7);
  });

  it('starts even when no NameServer answers', async () => {
    b = await startTestBroker({ namesrvAddr: '127.0.0.1:1', registerBrokerTimeoutMills: 500 });
    expect((await b.invoke(sendRequest('StillServes', 'x'))).code).toBe(ResponseCode.SUCCESS);
  });
});
