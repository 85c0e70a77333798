import { describe, expect, it } from 'vitest';
import { parsePullResponse } from '../../../src/client/pull-api.js';
import { createRequest, createResponse } from '../../../src/protocol/command.js';
import { ReceivedMessage, toMessageExt } from '../../../src/protocol/message/message.js';
import { createOffsetMsgId } from '../../../src/protocol/message/message-id.js';
import { decodeRecord } from '../../../src/protocol/message/record.js';
import { RequestCode } from '../../../src/protocol/request-code.js';
import { ResponseCode } from '../../../src/protocol/response-code.js';
import { recordBytes } from './helpers.js';

const UNIQ = '0A0000011234ABCDEF0000000000002A';

function received(props: Record<string, string>, queueOffset = 7): ReceivedMessage {
  return toMessageExt(decodeRecord(recordBytes('T', 1, queueOffset, 'body', props)));
}

describe('ReceivedMessage (properties decoded on first use)', () => {
  it('derives tags, keys, msgId and the offset id as an eager decode would', () => {
    const m = received({ TAGS: 'TagA', KEYS: 'k1 k2', UNIQ_KEY: UNIQ, custom: 'v' });
    expect([m.tags, m.keys, m.msgId]).toEqual(['TagA', 'k1 k2', UNIQ]);
    expect(m.offsetMsgId).toBe(createOffsetMsgId(m.storeHost, m.commitLogOffset));
    expect({ ...m.properties }).toEqual({ TAGS: 'TagA', KEYS: 'k1 k2', UNIQ_KEY: UNIQ, custom: 'v' });
    expect(Object.getPrototypeOf(m.properties)).toBeNull();
    const plain = received({});
    expect(plain.msgId).toBe(plain.offsetMsgId);
    expect(plain.tags).toBeUndefined();
  });

  it('adds pull offsets stamped before the first read after the stored properties, and directly after it', () => {
    const early = received({ TAGS: 'A' });
    early.stampPullOffsets('3', '99');
    expect(Object.entries(early.properties)).toEqual([
      ['TAGS', 'A'],
      ['MIN_OFFSET', '3'],
      ['MAX_OFFSET', '99'],
    ]);
    const late = received({ TAGS: 'A' });
    expect(late.tags).toBe('A');
    late.stampPullOffsets('4', '100');
    expect([late.properties.MIN_OFFSET, late.properties.MAX_OFFSET]).toEqual(['4', '100']);
  });

  it('keeps writes: to the properties object, to the fields derived from it, and a replaced properties object', () => {
    const m = received({ TAGS: 'A', UNIQ_KEY: UNIQ });
    m.properties.extra = 'x';
    expect(m.properties.extra).toBe('x');
    m.tags = 'B';
    m.keys = undefined;
    m.msgId = 'other';
    m.offsetMsgId = 'off';
    m.topic = 'Real';
    m.reconsumeTimes++;
    expect([m.tags, m.keys, m.msgId, m.offsetMsgId, m.topic, m.reconsumeTimes]).toEqual([
      'B',
      undefined,
      'other',
      'off',
      'Real',
      1,
    ]);
    m.properties = { RETRY_TOPIC: 'T2' };
    expect(m.properties).toEqual({ RETRY_TOPIC: 'T2' });
  });

  it('serialises as the plain MessageExt fields', () => {
    const m = received({ TAGS: 'A', UNIQ_KEY: UNIQ });
    const json = JSON.parse(JSON.stringify(m)) as Record<string, unknown>;
    expect(json).toMatchObject({ topic: 'T', tags: 'A', msgId: UNIQ, queueOffset: 7, properties: { TAGS: 'A' } });
    expect(Object.keys(json)).not.toContain('raw');
    expect(m).toMatchObject({ topic: 'T', tags: 'A', msgId: UNIQ, offsetMsgId: m.offsetMsgId });
  });
});

describe('parsePullResponse, record by record', () => {
  const response = (body: Buffer) =>
    createResponse(createRequest(RequestCode.PULL_MESSAGE), ResponseCode.SUCCESS, {
      extFields: { suggestWhichBrokerId: '0', nextBeginOffset: '13', minOffset: '2', maxOffset: '13' },
      body,
    });

  it('keeps every record in order without a tag list, each stamped with the pull offsets', () => {
    const body = Buffer.concat([10, 11, 12].map((o) => recordBytes('T', 3, o, `m${o}`, { TAGS: 'X' })));
    const result = parsePullResponse(response(body), {
      subString: '*',
      expressionType: 'TAG',
      subVersion: 1,
      tagsSet: [],
    });
    expect(result.messages.map((m) => [m.queueOffset, m.body.toString()])).toEqual([
      [10, 'm10'],
      [11, 'm11'],
      [12, 'm12'],
    ]);
    expect(result.messages.map((m) => m.properties.MIN_OFFSET + '/' + m.properties.MAX_OFFSET)).toEqual([
      '2/13',
      '2/13',
      '2/13',
    ]);
  });

  it('drops records whose tag is not subscribed, including untagged ones, and does not filter SQL92', () => {
    const body = Buffer.concat([
      recordBytes('T', 3, 10, 'a', { TAGS: 'A' }),
      recordBytes('T', 3, 11, 'none'),
      recordBytes('T', 3, 12, 'b', { TAGS: 'B' }),
    ]);
    const tags = parsePullResponse(response(body), {
      subString: 'B',
      expressionType: 'TAG',
      subVersion: 1,
      tagsSet: ['B'],
    });
    expect(tags.messages.map((m) => m.body.toString())).toEqual(['b']);
    const sql = parsePullResponse(response(body), {
      subString: 'a > 1',
      expressionType: 'SQL92',
      subVersion: 1,
      tagsSet: ['B'],
    });
    expect(sql.messages).toHaveLength(3);
  });

  it('rejects a body whose last record is cut short', () => {
    const body = Buffer.concat([recordBytes('T', 3, 10, 'a'), recordBytes('T', 3, 11, 'b').subarray(0, 40)]);
    expect(() =>
      parsePullResponse(response(body), { subString: '*', expressionType: 'TAG', subVersion: 1, tagsSet: [] }),
    ).toThrow(/record/i);
  });
});
