import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  parseClusterInfo,
  parseConsumerConnection,
  parseConsumeStats,
  parseMessageQueueKey,
  parseResetOffsetBody,
  parseTopicList,
  parseTopicStats,
} from '../../src/client/admin-bodies.js';
import { parseTopicRoute } from '../../src/client/route.js';
import { ProtocolError } from '../../src/common/errors.js';

const parsers = [
  parseClusterInfo,
  parseConsumeStats,
  parseConsumerConnection,
  parseResetOffsetBody,
  parseTopicList,
  parseTopicStats,
  parseTopicRoute,
];

describe('admin body parsers', () => {
  it('read a fastjson ClusterInfo with unquoted numeric brokerAddrs keys', () => {
    const body = Buffer.from(
      '{"brokerAddrTable":{"broker-a":{"brokerAddrs":{0:"10.0.0.1:10911",1:"10.0.0.2:10911"},"brokerName":"broker-a",' +
        '"cluster":"DefaultCluster","enableActingMaster":false}},"clusterAddrTable":{"DefaultCluster":["broker-a"]}}',
    );
    expect(parseClusterInfo(body)).toEqual({
      brokerAddrTable: {
        'broker-a': {
          cluster: 'DefaultCluster',
          brokerName: 'broker-a',
          brokerAddrs: { '0': '10.0.0.1:10911', '1': '10.0.0.2:10911' },
        },
      },
      clusterAddrTable: { DefaultCluster: ['broker-a'] },
    });
  });

  it('read MessageQueue keys written as objects or as quoted JSON text', () => {
    expect(parseMessageQueueKey('{"brokerName":"b","queueId":3,"topic":"t"}')).toEqual({
      topic: 't',
      brokerName: 'b',
      queueId: 3,
    });
    const quoted = parseResetOffsetBody(
      Buffer.from('{"offsetTable":{"{\\"brokerName\\":\\"b\\",\\"queueId\\":1,\\"topic\\":\\"t\\"}":9}}'),
    );
    expect(quoted).toEqual([{ messageQueue: { topic: 't', brokerName: 'b', queueId: 1 }, offset: 9 }]);
    expect(() => parseMessageQueueKey('0')).toThrow(ProtocolError);
  });

  it('reject empty and non-object bodies with ProtocolError', () => {
    for (const parse of [parseClusterInfo, parseConsumeStats, parseTopicList, parseTopicStats]) {
      expect(() => parse(undefined)).toThrow(ProtocolError);
      expect(() => parse(Buffer.from('[]'))).toThrow(ProtocolError);
    }
  });

  it('throw nothing but ProtocolError on arbitrary input (fuzz)', () => {
    const jsonish = fc.oneof(
      fc.string(),
      fc.json(),
      fc.constantFrom('{"offsetTable":{{"a":1}:2}}', '{"offsetTable":{1:2}}', '{"brokerAddrTable":{"x":1}}'),
    );
    fc.assert(
      fc.property(jsonish, fc.integer({ min: 0, max: parsers.length - 1 }), (text, index) => {
        try {
          parsers[index]?.(Buffer.from(text));
        } catch (err) {
          if (!(err instanceof ProtocolError)) throw err;
        }
      }),
      { numRuns: 300 },
    );
  });
});
