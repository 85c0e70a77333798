import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseProperties } from '../../src/common/config.js';
import { createRequest, type RemotingCommand } from '../../src/protocol/command.js';
import { parseJson } from '../../src/protocol/fastjson.js';
import { RequestCode } from '../../src/protocol/request-code.js';
import { ResponseCode } from '../../src/protocol/response-code.js';
import { registerBrokerRequest, startTestNamesrv, type TestNamesrv } from './helpers.js';

function req(code: number, extFields?: Record<string, string>, body?: Buffer): RemotingCommand {
  return createRequest(code, { extFields, body });
}

describe('NameServer over sockets: KV config', () => {
  let ns: TestNamesrv;
  beforeEach(async () => {
    ns = await startTestNamesrv({ orderMessageEnable: true });
  });
  afterEach(async () => {
    await ns.close();
  });

  it('puts, gets, lists and deletes entries, persisting them to kvConfigPath', async () => {
    const put = await ns.invoke(req(RequestCode.PUT_KV_CONFIG, { namespace: 'ns1', key: 'k', value: 'v' }));
    expect(put.code).toBe(ResponseCode.SUCCESS);
    const got = await ns.invoke(req(RequestCode.GET_KV_CONFIG, { namespace: 'ns1', key: 'k' }));
    expect(got.code).toBe(ResponseCode.SUCCESS);
    expect(got.extFields?.value).toBe('v');
    const list = await ns.invoke(req(RequestCode.GET_KVLIST_BY_NAMESPACE, { namespace: 'ns1' }));
    expect(JSON.parse(list.body!.toString())).toEqual({ table: { k: 'v' } });
    const file = JSON.parse(await readFile(join(ns.dir, 'kvConfig.json'), 'utf8'));
    expect(file).toEqual({ configTable: { ns1: { k: 'v' } } });

    const del = await ns.invoke(req(RequestCode.DELETE_KV_CONFIG, { namespace: 'ns1', key: 'k' }));
    expect(del.code).toBe(ResponseCode.SUCCESS);
    const gone = await ns.invoke(req(RequestCode.GET_KV_CONFIG, { namespace: 'ns1', key: 'k' }));
    expect(gone.code).toBe(ResponseCode.QUERY_NOT_FOUND);
    expect(gone.remark).toBe('No config item, Namespace: ns1 Key: k');
    const empty = await ns.invoke(req(RequestCode.GET_KVLIST_BY_NAMESPACE, { namespace: 'ns1' }));
    expect(empty.code).toBe(ResponseCode.QUERY_NOT_FOUND);
    expect(empty.remark).toBe('No config item, Namespace: ns1');
  });

  it('adds orderTopicConf to routes and returns ORDER_TOPIC_CONFIG to registering brokers', async () => {
    await ns.invoke(registerBrokerRequest());
    const before = JSON.parse(
      (await ns.invoke(req(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic: 'TopicTest' }))).body!.toString(),
    );
    expect(before.orderTopicConf).toBeUndefined();
    await ns.invoke(
      req(RequestCode.PUT_KV_CONFIG, { namespace: 'ORDER_TOPIC_CONFIG', key: 'TopicTest', value: 'broker-a:4' }),
    );
    const after = JSON.parse(
      (await ns.invoke(req(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic: 'TopicTest' }))).body!.toString(),
    );
    expect(after.orderTopicConf).toBe('broker-a:4');
    const reg = await ns.invoke(registerBrokerRequest());
    expect(JSON.parse(reg.body!.toString())).toEqual({ table: { TopicTest: 'broker-a:4' } });
  });
});

describe('NameServer over sockets: cluster and topic admin', () => {
  let ns: TestNamesrv;
  beforeEach(async () => {
    ns = await startTestNamesrv();
    await ns.invoke(registerBrokerRequest({ topics: ['A', 'B'] }));
    await ns.invoke(
      registerBrokerRequest({
        clusterName: 'C2',
        brokerName: 'broker-b',
        brokerAddr: '127.0.0.3:10911',
        topics: ['B'],
      }),
    );
  });
  afterEach(async () => {
    await ns.close();
  });

  it("serves GET_BROKER_CLUSTER_INFO in fastjson's form", async () => {
    const res = await ns.invoke(req(RequestCode.GET_BROKER_CLUSTER_INFO));
    expect(res.code).toBe(ResponseCode.SUCCESS);
    expect(res.body!.toString()).toContain('"brokerAddrs":{0:"127.0.0.1:10911"}');
    expect(parseJson(res.body!)).toEqual({
      brokerAddrTable: {
        'broker-a': {
          brokerAddrs: { '0': '127.0.0.1:10911' },
          brokerName: 'broker-a',
          cluster: 'DefaultCluster',
          enableActingMaster: false,
        },
        'broker-b': {
          brokerAddrs: { '0': '127.0.0.3:10911' },
          brokerName: 'broker-b',
          cluster: 'C2',
          enableActingMaster: false,
        },
      },
      clusterAddrTable: { C2: ['broker-b'], DefaultCluster: ['broker-a'] },
    });
  });

  it('lists all topics, topics by cluster and system topics', async () => {
    const all = JSON.parse((await ns.invoke(req(RequestCode.GET_ALL_TOPIC_LIST_FROM_NAMESERVER))).body!.toString());
    expect(all.topicList.sort()).toEqual(['A', 'B']);
    const byCluster = await ns.invoke(req(RequestCode.GET_TOPICS_BY_CLUSTER, { cluster: 'C2' }));
    expect(JSON.parse(byCluster.body!.toString())).toEqual({ topicList: ['B'] });
    const system = JSON.parse((await ns.invoke(req(RequestCode.GET_SYSTEM_TOPIC_LIST_FROM_NS))).body!.toString());
    expect(system.topicList.sort()).toEqual(['C2', 'DefaultCluster', 'broker-a', 'broker-b']);
    expect(system.brokerAddr).toBe('127.0.0.1:10911');
  });

  it('refuses the topic lists when disabled by config', async () => {
    await ns.invoke(
      req(
        RequestCode.UPDATE_NAMESRV_CONFIG,
        undefined,
        Buffer.from('enableAllTopicList=false\nenableTopicList=false\n'),
      ),
    );
    const all = await ns.invoke(req(RequestCode.GET_ALL_TOPIC_LIST_FROM_NAMESERVER));
    expect(all.code).toBe(ResponseCode.SYSTEM_ERROR);
    expect(all.remark).toBe('disable');
    expect((await ns.invoke(req(RequestCode.GET_TOPICS_BY_CLUSTER, { cluster: 'C2' }))).code).toBe(
      ResponseCode.SYSTEM_ERROR,
    );
  });

  it('deletes a topic from one cluster, then everywhere', async () => {
    expect((await ns.invoke(req(RequestCode.DELETE_TOPIC_IN_NAMESRV, { topic: 'B', clusterName: 'C2' }))).code).toBe(
      ResponseCode.SUCCESS,
    );
    const route = JSON.parse(
      (await ns.invoke(req(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic: 'B' }))).body!.toString(),
    );
    expect(route.queueDatas.map((q: { brokerName: string }) => q.brokerName)).toEqual(['broker-a']);
    await ns.invoke(req(RequestCode.DELETE_TOPIC_IN_NAMESRV, { topic: 'B' }));
    expect((await ns.invoke(req(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic: 'B' }))).code).toBe(
      ResponseCode.TOPIC_NOT_EXIST,
    );
  });

  it('registers a topic from a TopicRouteData body', async () => {
    const body = Buffer.from(
      '{"brokerDatas":[],"queueDatas":[{"brokerName":"broker-b","perm":6,"readQueueNums":2,"topicSysFlag":0,"writeQueueNums":2}]}',
    );
    const res = await ns.invoke(req(RequestCode.REGISTER_TOPIC_IN_NAMESRV, { topic: 'Fresh' }, body));
    expect(res.code).toBe(ResponseCode.SUCCESS);
    const route = JSON.parse(
      (await ns.invoke(req(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic: 'Fresh' }))).body!.toString(),
    );
    expect(route.queueDatas).toEqual([
      { brokerName: 'broker-b', perm: 6, readQueueNums: 2, topicSysFlag: 0, writeQueueNums: 2 },
    ]);
  });

  it('wipes and adds back the write permission of a broker', async () => {
    const wipe = await ns.invoke(req(RequestCode.WIPE_WRITE_PERM_OF_BROKER, { brokerName: 'broker-a' }));
    expect(wipe.code).toBe(ResponseCode.SUCCESS);
    expect(wipe.extFields?.wipeTopicCount).toBe('2');
    const route = JSON.parse(
      (await ns.invoke(req(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic: 'A' }))).body!.toString(),
    );
    expect(route.queueDatas[0].perm).toBe(4);
    const add = await ns.invoke(req(RequestCode.ADD_WRITE_PERM_OF_BROKER, { brokerName: 'broker-a' }));
    expect(add.extFields?.addTopicCount).toBe('2');
    const back = JSON.parse(
      (await ns.invoke(req(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic: 'A' }))).body!.toString(),
    );
    expect(back.queueDatas[0].perm).toBe(6);
  });
});

describe('NameServer over sockets: configuration', () => {
  let ns: TestNamesrv;
  beforeEach(async () => {
    ns = await startTestNamesrv();
  });
  afterEach(async () => {
    await ns.close();
  });

  it('reports its configuration as properties text and updates it', async () => {
    const got = await ns.invoke(req(RequestCode.GET_NAMESRV_CONFIG));
    const props = parseProperties(got.body!.toString());
    expect(props.get('listenPort')).toBe('0');
    expect(props.get('scanNotActiveBrokerInterval')).toBe('5000');
    const upd = await ns.invoke(
      req(RequestCode.UPDATE_NAMESRV_CONFIG, undefined, Buffer.from('orderMessageEnable=true\nnoSuchKey=1\n')),
    );
    expect(upd.code).toBe(ResponseCode.SUCCESS);
    expect(ns.controller.config.orderMessageEnable).toBe(true);
  });

  it('drops cached routes when orderMessageEnable is switched on at run time', async () => {
    await ns.invoke(registerBrokerRequest());
    await ns.invoke(
      req(RequestCode.PUT_KV_CONFIG, { namespace: 'ORDER_TOPIC_CONFIG', key: 'TopicTest', value: 'broker-a:4' }),
    );
    const route = async () =>
      JSON.parse((await ns.invoke(req(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic: 'TopicTest' }))).body!.toString());
    expect((await route()).orderTopicConf).toBeUndefined();
    await ns.invoke(req(RequestCode.UPDATE_NAMESRV_CONFIG, undefined, Buffer.from('orderMessageEnable=true')));
    expect((await route()).orderTopicConf).toBe('broker-a:4');
  });

  it('refuses black-listed keys and bad values, naming the key', async () => {
    const black = await ns.invoke(
      req(RequestCode.UPDATE_NAMESRV_CONFIG, undefined, Buffer.from('kvConfigPath=/tmp/x')),
    );
    expect(black.code).toBe(ResponseCode.NO_PERMISSION);
    expect(black.remark).toBe('Can not update config in black list.');
    const bad = await ns.invoke(
      req(RequestCode.UPDATE_NAMESRV_CONFIG, undefined, Buffer.from('scanNotActiveBrokerInterval=soon')),
    );
    expect(bad.code).toBe(ResponseCode.SYSTEM_ERROR);
    expect(bad.remark).toContain('scanNotActiveBrokerInterval');
    expect(ns.controller.config.scanNotActiveBrokerInterval).toBe(5000);
  });
});
