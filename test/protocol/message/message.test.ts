import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../../src/common/errors.js';
import {
  COMPRESS_OVER,
  compressBody,
  compressionOf,
  uncompressBody,
} from '../../../src/protocol/message/compression.js';
import { decodeMessageForCheck, encodeMessageForCheck } from '../../../src/protocol/message/encoded-message.js';
import { toMessageExt } from '../../../src/protocol/message/message.js';
import { encodeProperties } from '../../../src/protocol/message/properties.js';
import { decodeRecord, encodeRecord, type MessageRecord } from '../../../src/protocol/message/record.js';
import {
  buildPullSysFlag,
  hasSubscriptionFlag,
  hasSuspendFlag,
  MessageSysFlag,
  PullSysFlag,
  resetTransactionType,
  transactionType,
} from '../../../src/protocol/message/sysflag.js';

const base: Omit<MessageRecord, 'bodyCrc'> = {
  topic: 'TopicTest',
  queueId: 1,
  flag: 0,
  queueOffset: 9,
  physicalOffset: 4096,
  sysFlag: 0,
  bornTimestamp: 1700000000000,
  bornHost: { host: '10.0.0.1', port: 50000 },
  storeTimestamp: 1700000000001,
  storeHost: { host: '192.168.1.2', port: 10911 },
  reconsumeTimes: 0,
  preparedTransactionOffset: 0,
  body: Buffer.from('hello'),
  properties: '',
};

describe('sysflags', () => {
  it('reads and replaces the transaction type bits', () => {
    const flag = MessageSysFlag.COMPRESSED_FLAG | MessageSysFlag.TRANSACTION_PREPARED_TYPE;
    expect(transactionType(flag)).toBe(MessageSysFlag.TRANSACTION_PREPARED_TYPE);
    expect(resetTransactionType(flag, MessageSysFlag.TRANSACTION_COMMIT_TYPE)).toBe(0x9);
    expect(resetTransactionType(flag, MessageSysFlag.TRANSACTION_NOT_TYPE)).toBe(0x1);
  });

  it('builds pull flags', () => {
    const flag = buildPullSysFlag({ commitOffset: true, suspend: true, subscription: true });
    expect(flag).toBe(0x7);
    expect(hasSuspendFlag(flag) && hasSubscriptionFlag(flag)).toBe(true);
    expect(buildPullSysFlag({ litePull: true })).toBe(PullSysFlag.FLAG_LITE_PULL_MESSAGE);
  });
});

describe('body compression', () => {
  it('deflates with a zlib container Java can read, and inflates type 0 and ZLIB', () => {
    const body = Buffer.alloc(COMPRESS_OVER, 'abc');
    const packed = compressBody(body);
    expect(packed.subarray(0, 2).toString('hex')).toBe('785e'); // zlib header, FLEVEL for levels 2..5
    expect(uncompressBody(packed, MessageSysFlag.COMPRESSED_FLAG)).toEqual(body);
    expect(uncompressBody(packed, MessageSysFlag.COMPRESSED_FLAG | MessageSysFlag.COMPRESSION_ZLIB_TYPE)).toEqual(body);
    expect(uncompressBody(packed, 0)).toBe(packed);
    expect(compressionOf(0x201)).toBe('zstd');
  });

  it('rejects LZ4/ZSTD, corrupt data and oversized output with RECORD_MALFORMED', () => {
    const packed = compressBody(Buffer.alloc(10_000));
    const corrupt = Buffer.from(packed);
    corrupt[5] = corrupt[5]! ^ 0xff;
    const cases: [Buffer, number, number?][] = [
      [packed, MessageSysFlag.COMPRESSED_FLAG | MessageSysFlag.COMPRESSION_LZ4_TYPE],
      [packed, MessageSysFlag.COMPRESSED_FLAG | MessageSysFlag.COMPRESSION_ZSTD_TYPE],
      [corrupt, MessageSysFlag.COMPRESSED_FLAG],
      [packed, MessageSysFlag.COMPRESSED_FLAG, 1000],
    ];
    for (const [data, flag, max] of cases) {
      expect(() => uncompressBody(data, flag, max)).toThrow(expect.objectContaining({ code: 'RECORD_MALFORMED' }));
    }
    expect(() => uncompressBody(packed, 0x101)).toThrow(/unsupported/);
  });
});

describe('toMessageExt', () => {
  it('derives ids, tags and keys and inflates a compressed body', () => {
    const body = Buffer.alloc(5000, 'x');
    const properties = encodeProperties({ TAGS: 'TagA', KEYS: 'k1 k2', UNIQ_KEY: '0A0000011234ABCDEF0000000000002A' });
    const rec = decodeRecord(encodeRecord({ ...base, body: compressBody(body), sysFlag: 0x1, properties }));
    const msg = toMessageExt(rec);
    expect(msg.body).toEqual(body);
    expect(msg.sysFlag).toBe(0);
    expect([msg.tags, msg.keys, msg.msgId]).toEqual(['TagA', 'k1 k2', '0A0000011234ABCDEF0000000000002A']);
    expect(msg.offsetMsgId).toBe('C0A8010200002A9F0000000000001000');
    expect([msg.queueOffset, msg.commitLogOffset]).toEqual([9, 4096]);
  });

  it('falls back to the offset id without UNIQ_KEY', () => {
    const msg = toMessageExt(decodeRecord(encodeRecord(base)));
    expect(msg.msgId).toBe(msg.offsetMsgId);
    expect(msg.tags).toBeUndefined();
    expect(msg.body.toString()).toBe('hello');
  });
});

describe('single-message encode format (§5.5)', () => {
  it('is the record layout with V1 magic', () => {
    const bytes = encodeMessageForCheck(base);
    expect(bytes).toEqual(encodeRecord(base));
    expect(bytes.readInt32BE(4)).toBe(0xdaa320a7 | 0);
    expect(decodeMessageForCheck(bytes).topic).toBe('TopicTest');
    expect(() => encodeMessageForCheck({ ...base, topic: 't'.repeat(128) })).toThrow(/topic too long/);
    expect(() => decodeMessageForCheck(Buffer.concat([bytes, Buffer.alloc(1)]))).toThrow(ProtocolError);
  });
});
