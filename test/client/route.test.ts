import { describe, expect, it } from 'vitest';
import { mqKey, parseTopicRoute, publishQueues, subscribeQueues, type TopicRouteData } from '../../src/client/route.js';
import { ProtocolError } from '../../src/common/errors.js';

describe('parseTopicRoute', () => {
  it('reads a fastjson body with unquoted numeric brokerAddrs keys and the 4.8 topicSynFlag spelling', () => {
    // as a NameServer answers a client older than 4.9.4: {0:"addr"} map keys, QueueData.topicSynFlag
    const body = Buffer.from(
      '{"brokerDatas":[{"brokerAddrs":{0:"10.0.0.1:10911",1:"10.0.0.2:10911"},"brokerName":"broker-a","cluster":"c1"}],' +
        '"filterServerTable":{},"queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":4,"topicSynFlag":1,"writeQueueNums":2}]}',
    );
    const route = parseTopicRoute(body);
    expect(route.brokerDatas).toEqual([
      { cluster: 'c1', brokerName: 'broker-a', brokerAddrs: { '0': '10.0.0.1:10911', '1': '10.0.0.2:10911' } },
    ]);
    expect(route.queueDatas).toEqual([
      { brokerName: 'broker-a', perm: 6, readQueueNums: 4, writeQueueNums: 2, topicSysFlag: 1 },
    ]);
    expect(route.orderTopicConf).toBeUndefined();
  });

  it('rejects bodies that are not routes with a ProtocolError', () => {
    expect(() => parseTopicRoute(Buffer.from('[1,2]'))).toThrow(ProtocolError);
    expect(() => parseTopicRoute(Buffer.from('{"queueDatas":[{"perm":6}]}'))).toThrow(ProtocolError);
    expect(() => parseTopicRoute(Buffer.from('{nope'))).toThrow(ProtocolError);
  });
});

describe('publishQueues / subscribeQueues', () => {
  const route: TopicRouteData = {
    brokerDatas: [
      { cluster: 'c', brokerName: 'b', brokerAddrs: { '0': 'b:1' } },
      { cluster: 'c', brokerName: 'a', brokerAddrs: { '0': 'a:1' } },
      { cluster: 'c', brokerName: 'slave-only', brokerAddrs: { '1': 's:1' } },
      { cluster: 'c', brokerName: 'read-only', brokerAddrs: { '0': 'r:1' } },
    ],
    queueDatas: [
      { brokerName: 'b', perm: 6, readQueueNums: 2, writeQueueNums: 1, topicSysFlag: 0 },
      { brokerName: 'a', perm: 6, readQueueNums: 1, writeQueueNums: 2, topicSysFlag: 0 },
      { brokerName: 'slave-only', perm: 6, readQueueNums: 1, writeQueueNums: 1, topicSysFlag: 0 },
      { brokerName: 'read-only', perm: 4, readQueueNums: 1, writeQueueNums: 1, topicSysFlag: 0 },
    ],
  };

  it('publishes to writable queues of brokers with a master, in broker-name order', () => {
    expect(publishQueues(route, 'T').map(mqKey)).toEqual(['T@a@0', 'T@a@1', 'T@b@0']);
  });

  it('subscribes to readable queues of every broker', () => {
    expect(subscribeQueues(route, 'T').map(mqKey)).toEqual([
      'T@a@0',
      'T@b@0',
      'T@b@1',
      'T@read-only@0',
      'T@slave-only@0',
    ]);
  });

  it('publishes exactly the queues of an orderTopicConf', () => {
    const ordered: TopicRouteData = { ...route, orderTopicConf: 'b:2;a:1' };
    expect(publishQueues(ordered, 'T').map(mqKey)).toEqual(['T@b@0', 'T@b@1', 'T@a@0']);
  });
});
