import { describe, expect, it } from 'vitest';
import { RocketMQError } from '../../src/common/errors.js';
import { compileSql92, createMessageFilter, isTagType, recordProperties } from '../../src/filter/message-filter.js';
import { javaStringHashCode } from '../../src/protocol/message/hash.js';
import { encodeProperties } from '../../src/protocol/message/properties.js';
import { encodeRecord } from '../../src/protocol/message/record.js';

function record(props: Record<string, string>) {
  return encodeRecord({
    topic: 'T',
    queueId: 0,
    flag: 0,
    queueOffset: 0,
    physicalOffset: 0,
    sysFlag: 0,
    bornTimestamp: 1,
    bornHost: { host: '127.0.0.1', port: 1 },
    storeTimestamp: 2,
    storeHost: { host: '127.0.0.1', port: 10911 },
    reconsumeTimes: 0,
    preparedTransactionOffset: 0,
    body: Buffer.from('body'),
    properties: encodeProperties(props),
  });
}

describe('createMessageFilter', () => {
  it('SQL92: the ConsumeQueue check passes, the CommitLog check evaluates the record properties', () => {
    const filter = createMessageFilter({ expressionType: 'SQL92', subString: "TAGS = 'A' AND price > 10" });
    expect(filter.isMatchedByConsumeQueue(12345)).toBe(true);
    expect(filter.isMatchedByCommitLog?.(record({ TAGS: 'A', price: '11' }))).toBe(true);
    expect(filter.isMatchedByCommitLog?.(record({ TAGS: 'A', price: '10' }))).toBe(false);
    expect(filter.isMatchedByCommitLog?.(record({ TAGS: 'B', price: '99' }))).toBe(false);
    expect(filter.isMatchedByCommitLog?.(record({ price: '99' }))).toBe(false);
    expect(filter.isMatchedByCommitLog?.(record({ TAGS: 'A', price: 'cheap' }))).toBe(false);
  });

  it('SQL92: a record that does not decode does not match', () => {
    const filter = createMessageFilter({ expressionType: 'SQL92', subString: 'TRUE' });
    expect(filter.isMatchedByCommitLog?.(Buffer.alloc(10))).toBe(false);
    expect(filter.isMatchedByCommitLog?.(record({}))).toBe(true);
    expect(recordProperties(record({ k: 'v' }))).toEqual({ k: 'v' });
    expect(recordProperties(Buffer.from('nope'))).toBeUndefined();
  });

  it('SQL92: a bad expression throws SUBSCRIPTION_PARSE_FAILED with the position', () => {
    expect(() => createMessageFilter({ expressionType: 'SQL92', subString: 'a > ' })).toThrow(
      expect.objectContaining({ code: 'SUBSCRIPTION_PARSE_FAILED', responseCode: 23 }),
    );
    expect(() => createMessageFilter({ expressionType: 'SQL92', subString: 'a > ' })).toThrow(/offset 4/);
  });

  it('TAG: tags codes from the subscription; *, blank or class filter mode take everything', () => {
    const tagged = createMessageFilter({
      expressionType: 'TAG',
      subString: 'A || B',
      tagsSet: ['A', 'B'],
      codeSet: [javaStringHashCode('A'), javaStringHashCode('B')],
    });
    expect(tagged.isMatchedByConsumeQueue(javaStringHashCode('A'))).toBe(true);
    expect(tagged.isMatchedByConsumeQueue(javaStringHashCode('C'))).toBe(false);
    expect(tagged.isMatchedByCommitLog).toBeUndefined();
    for (const sub of [{ subString: '*' }, { subString: ' ' }, {}, { subString: 'A', classFilterMode: true }]) {
      expect(createMessageFilter(sub).isMatchedByConsumeQueue(42)).toBe(true);
    }
  });

  it('an unknown expression type is a parse failure', () => {
    expect(() => createMessageFilter({ expressionType: 'XPATH', subString: 'x' })).toThrow(RocketMQError);
  });

  it('isTagType follows Java: absent, blank or TAG', () => {
    expect([undefined, null, '', 'TAG'].map(isTagType)).toEqual([true, true, true, true]);
    expect(isTagType('SQL92')).toBe(false);
  });

  it('compiles an expression once (cache keyed by the text)', () => {
    expect(compileSql92('a = 1')).toBe(compileSql92('a = 1'));
    expect(compileSql92('a = 1')).not.toBe(compileSql92('a = 1 '));
  });
});
