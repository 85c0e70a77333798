import { deflateSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../src/common/errors.js';
import {
  decodeDataVersionBody,
  decodeRegisterBrokerBody,
  decodeRouteQueueDatas,
} from '../../src/namesrv/register-body.js';
import {
  encodeClusterInfo,
  encodeDataVersion,
  encodeKvTable,
  encodeTopicList,
  encodeTopicRouteData,
  RouteBodyCache,
} from '../../src/namesrv/route-body.js';
import type { TopicRouteData } from '../../src/namesrv/route-types.js';

const route: TopicRouteData = {
  brokerDatas: [
    {
      cluster: 'DefaultCluster',
      brokerName: 'broker-a',
      // inserted out of order: bodies list ids ascending
      brokerAddrs: new Map([
        [1, '10.0.0.2:10911'],
        [0, '10.0.0.1:10911'],
      ]),
      enableActingMaster: false,
    },
  ],
  queueDatas: [{ brokerName: 'broker-a', readQueueNums: 4, writeQueueNums: 4, perm: 6, topicSysFlag: 0 }],
  filterServerTable: new Map(),
};

describe('route bodies (golden text written from reference §4.1/§4.5/§4.6)', () => {
  it('writes the standard form with quoted broker ids and sorted properties', () => {
    expect(encodeTopicRouteData(route, 'standard').toString()).toBe(
      '{"brokerDatas":[{"brokerAddrs":{"0":"10.0.0.1:10911","1":"10.0.0.2:10911"},"brokerName":"broker-a",' +
        '"cluster":"DefaultCluster","enableActingMaster":false}],"filterServerTable":{},' +
        '"queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":4,"topicSysFlag":0,"writeQueueNums":4}]}',
    );
  });

  it("writes fastjson's form with bare broker ids, plus orderTopicConf and zoneName when present", () => {
    const withExtras: TopicRouteData = {
      ...route,
      brokerDatas: [{ ...route.brokerDatas[0]!, zoneName: 'z1' }],
      orderTopicConf: 'broker-a:4',
    };
    expect(encodeTopicRouteData(withExtras, 'fastjson').toString()).toBe(
      '{"brokerDatas":[{"brokerAddrs":{0:"10.0.0.1:10911",1:"10.0.0.2:10911"},"brokerName":"broker-a",' +
        '"cluster":"DefaultCluster","enableActingMaster":false,"zoneName":"z1"}],"filterServerTable":{},' +
        '"orderTopicConf":"broker-a:4",' +
        '"queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":4,"topicSysFlag":0,"writeQueueNums":4}]}',
    );
  });

  it('writes ClusterInfo, TopicList, KVTable and DataVersion', () => {
    const brokerData = route.brokerDatas[0]!;
    expect(
      encodeClusterInfo({
        brokerAddrTable: new Map([['broker-a', brokerData]]),
        clusterAddrTable: new Map([['DefaultCluster', new Set(['broker-a'])]]),
      }).toString(),
    ).toBe(
      '{"brokerAddrTable":{"broker-a":{"brokerAddrs":{0:"10.0.0.1:10911",1:"10.0.0.2:10911"},"brokerName":"broker-a",' +
        '"cluster":"DefaultCluster","enableActingMaster":false}},"clusterAddrTable":{"DefaultCluster":["broker-a"]}}',
    );
    expect(encodeTopicList({ topicList: ['A', 'B'], brokerAddr: '10.0.0.1:10911' }).toString()).toBe(
      '{"brokerAddr":"10.0.0.1:10911","topicList":["A","B"]}',
    );
    expect(encodeTopicList({ topicList: [] }).toString()).toBe('{"topicList":[]}');
    expect(encodeKvTable(new Map([['k', 'v']])).toString()).toBe('{"table":{"k":"v"}}');
    expect(encodeDataVersion({ counter: 3, stateVersion: 0, timestamp: 1700000000000 }).toString()).toBe(
      '{"counter":3,"stateVersion":0,"timestamp":1700000000000}',
    );
  });

  it('caches per topic and form, and invalidates one topic or all', () => {
    const cache = new RouteBodyCache();
    cache.set('T', 'standard', Buffer.from('s'));
    cache.set('T', 'fastjson', Buffer.from('f'));
    cache.set('U', 'standard', Buffer.from('u'));
    expect(cache.get('T', 'fastjson')?.toString()).toBe('f');
    cache.invalidate('T');
    expect(cache.get('T', 'standard')).toBeUndefined();
    expect(cache.size).toBe(1);
    cache.invalidate();
    expect(cache.size).toBe(0);
  });
});

describe('register bodies', () => {
  it('decodes a RegisterBrokerBody as a 5.x broker writes it', () => {
    const body = Buffer.from(
      '{"filterServerList":[],"topicConfigSerializeWrapper":{"dataVersion":{"counter":2,"stateVersion":1,' +
        '"timestamp":1700000000000},"topicConfigTable":{"T":{"attributes":{},"order":false,"perm":6,' +
        '"readQueueNums":8,"topicFilterType":"SINGLE_TAG","topicName":"T","topicSysFlag":0,"writeQueueNums":8}}}}',
    );
    const decoded = decodeRegisterBrokerBody(body, false);
    expect(decoded.topicConfigWrapper.dataVersion).toEqual({ counter: 2, stateVersion: 1, timestamp: 1700000000000 });
    expect(decoded.topicConfigWrapper.topicConfigTable.get('T')).toEqual({
      topicName: 'T',
      readQueueNums: 8,
      writeQueueNums: 8,
      perm: 6,
      topicSysFlag: 0,
    });
    expect(decoded.filterServerList).toEqual([]);
  });

  it('decodes the compressed form (golden bytes before deflate)', () => {
    const ascii = (text: string) => Buffer.from(text, 'latin1').toString('hex');
    const inflated = Buffer.from(
      [
        '0000002c', // int32 length of the DataVersion JSON: 44 bytes
        ascii('{"counter":1,"stateVersion":0,"timestamp":5}'),
        '00000001', // int32 topic count: 1
        '00000011', // int32 length of the TopicConfig.encode() text: 17 bytes
        ascii('T 2 3 6 MULTI_TAG'), // name read write perm filterType (no attributes)
        '00000002', // int32 length of the filterServerList JSON: 2 bytes
        '5b5d', // "[]"
      ].join(''),
      'hex',
    );
    const decoded = decodeRegisterBrokerBody(deflateSync(inflated), true);
    expect(decoded.topicConfigWrapper.dataVersion).toEqual({ counter: 1, stateVersion: 0, timestamp: 5 });
    expect(decoded.topicConfigWrapper.topicConfigTable.get('T')).toEqual({
      topicName: 'T',
      readQueueNums: 2,
      writeQueueNums: 3,
      perm: 6,
      topicSysFlag: 0,
    });
    expect(decoded.filterServerList).toEqual([]);
    // truncated inside the topic section
    expect(() => decodeRegisterBrokerBody(deflateSync(inflated.subarray(0, 60)), true)).toThrow(ProtocolError);
  });

  it('decodes queueDatas, accepting the old topicSynFlag spelling', () => {
    const body = Buffer.from(
      '{"queueDatas":[{"brokerName":"b","perm":6,"readQueueNums":1,"topicSynFlag":3,"writeQueueNums":1}]}',
    );
    expect(decodeRouteQueueDatas(body)).toEqual([
      { brokerName: 'b', perm: 6, readQueueNums: 1, topicSysFlag: 3, writeQueueNums: 1 },
    ]);
    expect(decodeDataVersionBody(Buffer.from("{counter:1,'timestamp':2}"))).toEqual({
      counter: 1,
      timestamp: 2,
      stateVersion: 0,
    });
  });

  it('rejects a body that is not UTF-8', () => {
    // {"filterServerList":["\xff"]}: 0xff is never valid in UTF-8
    const body = Buffer.concat([Buffer.from('{"filterServerList":["'), Buffer.from([0xff]), Buffer.from('"]}')]);
    expect(() => decodeRegisterBrokerBody(body, false)).toThrow(ProtocolError);
  });

  it('rejects any input with a ProtocolError only (fuzz)', () => {
    const decoders = [
      (b: Buffer) => decodeRegisterBrokerBody(b, false),
      (b: Buffer) => decodeRegisterBrokerBody(b, true),
      (b: Buffer) => decodeRegisterBrokerBody(deflateSync(b), true),
      (b: Buffer) => decodeRouteQueueDatas(b),
      (b: Buffer) => decodeDataVersionBody(b),
    ];
    const jsonish = fc.oneof(
      fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)),
      fc.json().map((s) => Buffer.from(s)),
      fc
        .record({
          topicConfigSerializeWrapper: fc.anything(),
          filterServerList: fc.anything(),
          queueDatas: fc.anything(),
        })
        .map((o) => Buffer.from(JSON.stringify(o) ?? '')),
    );
    fc.assert(
      fc.property(jsonish, fc.nat(decoders.length - 1), (input, which) => {
        try {
          decoders[which]!(input);
        } catch (err) {
          expect(err).toBeInstanceOf(ProtocolError);
        }
      }),
      { numRuns: 300, seed: 42 },
    );
  });
});
