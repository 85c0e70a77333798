import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseHeartbeatData } from '../../../src/broker/processors/client.js';
import { subscriptionGroupConfigFromJson } from '../../../src/broker/subscription-group-manager.js';
import { ProtocolError } from '../../../src/common/errors.js';
import { heartbeatBody } from './harness.js';

describe('parseHeartbeatData', () => {
  it('reads an ali-ons heartbeat (reference client-ali-ons.md §3.2)', () => {
    const data = parseHeartbeatData(Buffer.from(heartbeatBody('192.0.2.2@14595', { producerGroup: 'PID_SMOKE' })));
    expect(data.clientID).toBe('192.0.2.2@14595');
    expect(data.producerDataSet).toEqual([{ groupName: 'PID_SMOKE' }]);
    expect(data.heartbeatFingerprint).toBe(0);
    expect(data.withoutSub).toBe(false);
    expect(data.consumerDataSet[0]).toMatchObject({
      groupName: 'GID_SMOKE',
      consumeType: 'CONSUME_PASSIVELY',
      messageModel: 'CLUSTERING',
      consumeFromWhere: 'CONSUME_FROM_LAST_OFFSET',
      unitMode: false,
    });
    expect(data.consumerDataSet[0]?.subscriptionDataSet[0]).toEqual({
      topic: 'TopicTest',
      subString: 'TagA || TagB',
      expressionType: 'TAG',
      tagsSet: ['TagA', 'TagB'],
      codeSet: [],
      subVersion: 1795235189962,
      classFilterMode: false,
    });
  });

  it('reads a Java fastjson body with unquoted keys and defaults for missing fields', () => {
    const body = `{clientID:'10.0.0.1@1',consumerDataSet:[{groupName:'g',subscriptionDataSet:[{topic:'T',codeSet:[1,'2']}]}],
      heartbeatFingerprint:7,withoutSub:true}`;
    const data = parseHeartbeatData(Buffer.from(body));
    expect(data.withoutSub).toBe(true);
    expect(data.heartbeatFingerprint).toBe(7);
    expect(data.consumerDataSet[0]?.subscriptionDataSet[0]).toMatchObject({
      topic: 'T',
      subString: '*',
      expressionType: 'TAG',
      codeSet: [1, 2],
      subVersion: 0,
    });
  });

  it('throws only ProtocolError on arbitrary bytes and arbitrary JSON', () => {
    const onlyProtocolErrors = (body: Buffer) => {
      try {
        parseHeartbeatData(body);
      } catch (err) {
        expect(err).toBeInstanceOf(ProtocolError);
      }
    };
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => onlyProtocolErrors(Buffer.from(bytes))),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => onlyProtocolErrors(Buffer.from(JSON.stringify(value)))),
      { numRuns: 300 },
    );
    const shaped = fc.record({
      clientID: fc.oneof(fc.string(), fc.constant(undefined), fc.integer()),
      consumerDataSet: fc.array(
        fc.record({
          groupName: fc.oneof(fc.string(), fc.constant(null)),
          subscriptionDataSet: fc.array(
            fc.dictionary(fc.constantFrom('topic', 'subString', 'codeSet', 'tagsSet'), fc.jsonValue({ maxDepth: 2 })),
          ),
        }),
        { maxLength: 3 },
      ),
      producerDataSet: fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 }),
    });
    fc.assert(
      fc.property(shaped, (value) => onlyProtocolErrors(Buffer.from(JSON.stringify(value)))),
      { numRuns: 300 },
    );
  });
});

describe('subscriptionGroupConfigFromJson', () => {
  it('never throws on arbitrary JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 3 }), fc.string(), (value, groupName) => {
        subscriptionGroupConfigFromJson(value);
        const config = subscriptionGroupConfigFromJson({ ...(typeof value === 'object' ? value : {}), groupName });
        if (groupName !== '') expect(config?.groupName).toBe(groupName);
      }),
      { numRuns: 300 },
    );
  });
});
