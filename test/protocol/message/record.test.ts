import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProtocolError, RocketMQError } from '../../../src/common/errors.js';
import { crc32, crc32Portable, HAS_NATIVE_CRC32 } from '../../../src/protocol/message/crc32.js';
import { decodeHost, encodeHost, lookupIp } from '../../../src/protocol/message/host.js';
import {
  BLANK_MAGIC,
  crc32Body,
  decodeRecord,
  decodeRecords,
  encodeRecord,
  encodeRecordInto,
  isBlankRecord,
  MESSAGE_MAGIC_V1,
  MESSAGE_MAGIC_V2,
  type MessageRecord,
  patchRecordPosition,
  recordSize,
  writeBlankRecord,
  writeRecordUnchecked,
} from '../../../src/protocol/message/record.js';

const hex = (parts: string[]) => Buffer.from(parts.join(''), 'hex');

/** The record of GOLDEN_V4 as fields. */
const goldenRecord = {
  topic: 'T1',
  queueId: 3,
  flag: 0,
  queueOffset: 5,
  physicalOffset: 0x1000,
  sysFlag: 0,
  bornTimestamp: 1700000000000,
  bornHost: { host: '10.0.0.1', port: 50000 },
  storeTimestamp: 1700000000001,
  storeHost: { host: '192.168.1.2', port: 10911 },
  reconsumeTimes: 0,
  preparedTransactionOffset: 0,
  body: Buffer.from('hi'),
  properties: 'TAGS\u0001a\u0002',
};

/** Written by hand from reference §5.4. */
const GOLDEN_V4 = hex([
  '00000066', // TOTALSIZE 102 = 91 + body 2 + topic 2 + props 7
  'daa320a7', // MAGICCODE V1
  '58932aac', // BODYCRC: CRC32("hi") = 0xD8932AAC, & 0x7FFFFFFF
  '00000003', // QUEUEID 3
  '00000000', // FLAG 0
  '0000000000000005', // QUEUEOFFSET 5
  '0000000000001000', // PHYSICALOFFSET 4096
  '00000000', // SYSFLAG 0
  '0000018bcfe56800', // BORNTIMESTAMP 1700000000000 = 0x18B_CFE56800
  '0a000001', // BORNHOST ip 10.0.0.1
  '0000c350', // BORNHOST port 50000
  '0000018bcfe56801', // STORETIMESTAMP 1700000000001
  'c0a80102', // STOREHOST ip 192.168.1.2
  '00002a9f', // STOREHOST port 10911
  '00000000', // RECONSUMETIMES 0
  '0000000000000000', // PREPARED TRANSACTION OFFSET 0
  '00000002', // BODYLEN 2
  '6869', // BODY "hi"
  '02', // TOPICLEN 2 (1 byte, V1)
  '5431', // TOPIC "T1"
  '0007', // PROPERTIESLEN 7
  '54414753016102', // PROPERTIES "TAGS" 01 "a" 02
]);

/** Same message born on [::1]:1234: sysFlag gets BORNHOST_V6_FLAG and the born host takes 20 bytes. */
const GOLDEN_BORN_V6 = hex([
  '00000072', // TOTALSIZE 114 = 102 + 12
  'daa320a7', // MAGICCODE V1
  '58932aac', // BODYCRC
  '00000003', // QUEUEID
  '00000000', // FLAG
  '0000000000000005', // QUEUEOFFSET
  '0000000000001000', // PHYSICALOFFSET
  '00000010', // SYSFLAG = BORNHOST_V6_FLAG
  '0000018bcfe56800', // BORNTIMESTAMP
  '00000000000000000000000000000001', // BORNHOST ip ::1 (16 bytes)
  '000004d2', // BORNHOST port 1234
  '0000018bcfe56801', // STORETIMESTAMP, now at offset 68
  'c0a80102', // STOREHOST ip
  '00002a9f', // STOREHOST port
  '00000000', // RECONSUMETIMES
  '0000000000000000', // PREPARED TRANSACTION OFFSET
  '00000002', // BODYLEN
  '6869', // BODY
  '02', // TOPICLEN
  '5431', // TOPIC
  '0007', // PROPERTIESLEN
  '54414753016102', // PROPERTIES
]);

const LONG_TOPIC = 'a'.repeat(128);
/** A 128-byte topic needs V2 magic and a 2-byte topic length; empty body and properties. */
const GOLDEN_V2 = hex([
  '000000dc', // TOTALSIZE 220 = 91 + 1 (2-byte topic length) + 128
  'daa320ab', // MAGICCODE V2
  '00000000', // BODYCRC of the empty body
  '00000000', // QUEUEID 0
  '00000007', // FLAG 7
  '0000000000000000', // QUEUEOFFSET
  '0000000000000000', // PHYSICALOFFSET
  '00000008', // SYSFLAG = TRANSACTION_COMMIT_TYPE
  '0000000000000001', // BORNTIMESTAMP 1
  '7f000001', // BORNHOST 127.0.0.1
  '00000001', // port 1
  '0000000000000002', // STORETIMESTAMP 2
  '7f000001', // STOREHOST 127.0.0.1
  '00000002', // port 2
  '00000010', // RECONSUMETIMES 16
  '00000000000000ff', // PREPARED TRANSACTION OFFSET 255
  '00000000', // BODYLEN 0
  '0080', // TOPICLEN 128 (2 bytes, V2)
  '61'.repeat(128), // TOPIC
  '0000', // PROPERTIESLEN 0
]);

describe('CRC32', () => {
  it('gives the standard check value with native and portable implementations', () => {
    const data = Buffer.from('123456789');
    expect(crc32Portable(data)).toBe(0xcbf43926);
    expect(crc32(data)).toBe(0xcbf43926);
    expect(crc32Body(Buffer.from('hi'))).toBe(0x58932aac);
    expect(typeof HAS_NATIVE_CRC32).toBe('boolean');
  });

  it('native and portable agree on random data', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        expect(crc32Portable(bytes)).toBe(crc32(bytes));
      }),
      { seed: 3, numRuns: 200 },
    );
  });
});

describe('record golden bytes', () => {
  it('encodes and decodes an IPv4 record', () => {
    expect(encodeRecord(goldenRecord).toString('hex')).toBe(GOLDEN_V4.toString('hex'));
    expect(recordSize(2, 2, 7, false, false)).toBe(102);
    const decoded = decodeRecord(GOLDEN_V4, 0, { checkCrc: true });
    expect(decoded).toEqual({ ...goldenRecord, bodyCrc: 0x58932aac, size: 102 });
  });

  it('encodes and decodes an IPv6 born host', () => {
    const rec = { ...goldenRecord, bornHost: { host: '::1', port: 1234 } };
    expect(encodeRecord(rec).toString('hex')).toBe(GOLDEN_BORN_V6.toString('hex'));
    expect(decodeRecord(GOLDEN_BORN_V6)).toEqual({ ...rec, sysFlag: 0x10, bodyCrc: 0x58932aac, size: 114 });
  });

  it('uses V2 magic for a topic over 127 bytes', () => {
    const rec = {
      topic: LONG_TOPIC,
      queueId: 0,
      flag: 7,
      queueOffset: 0,
      physicalOffset: 0,
      sysFlag: 8,
      bornTimestamp: 1,
      bornHost: { host: '127.0.0.1', port: 1 },
      storeTimestamp: 2,
      storeHost: { host: '127.0.0.1', port: 2 },
      reconsumeTimes: 16,
      preparedTransactionOffset: 255,
      body: Buffer.alloc(0),
      properties: '',
    };
    expect(encodeRecord(rec).toString('hex')).toBe(GOLDEN_V2.toString('hex'));
    expect(decodeRecord(GOLDEN_V2)).toEqual({ ...rec, bodyCrc: 0, size: 220 });
    expect(() => encodeRecord(rec, { forceV1: true })).toThrow(RocketMQError);
    expect(MESSAGE_MAGIC_V1).toBe(-626843481);
    expect(MESSAGE_MAGIC_V2).toBe(-626843477);
  });

  it('writes and recognises the blank end-of-file record', () => {
    const buf = Buffer.alloc(8);
    expect(writeBlankRecord(buf, 0, 100)).toBe(8);
    expect(buf.toString('hex')).toBe('00000064' + 'cbd43194'); // remaining 100 | BLANK_MAGIC
    expect(BLANK_MAGIC).toBe(-875286124);
    expect(isBlankRecord(buf, 0)).toBe(true);
    expect(isBlankRecord(GOLDEN_V4, 0)).toBe(false);
    expect(() => decodeRecord(buf)).toThrow(ProtocolError);
  });

  it('decodes back-to-back records and skips the body copy on request', () => {
    const both = Buffer.concat([GOLDEN_V4, GOLDEN_BORN_V6]);
    const recs = decodeRecords(both);
    expect(recs.map((r) => r.bornHost.host)).toEqual(['10.0.0.1', '::1']);
    expect(decodeRecord(both, 102, { readBody: false }).body.length).toBe(0);
  });

  it('patches queue offset, physical offset and store timestamp in place', () => {
    for (const golden of [GOLDEN_V4, GOLDEN_BORN_V6]) {
      const buf = Buffer.concat([Buffer.alloc(5), golden]);
      patchRecordPosition(buf, 5, 42, 2 ** 40 + 3, 1800000000000);
      const rec = decodeRecord(buf, 5);
      expect([rec.queueOffset, rec.physicalOffset, rec.storeTimestamp]).toEqual([42, 2 ** 40 + 3, 1800000000000]);
      expect(rec.storeHost).toEqual({ host: '192.168.1.2', port: 10911 });
    }
  });

  it('rejects inconsistent records with RECORD_MALFORMED', () => {
    const wrongSize = Buffer.from(GOLDEN_V4);
    wrongSize.writeInt32BE(101, 0);
    const wrongMagic = Buffer.from(GOLDEN_V4);
    wrongMagic.writeInt32BE(0x12345678, 4);
    const wrongCrc = Buffer.from(GOLDEN_V4);
    wrongCrc.writeInt32BE(1, 8);
    const badUtf8 = Buffer.from(GOLDEN_V4);
    badUtf8[93] = 0xff; // first topic byte
    for (const bad of [wrongSize, wrongMagic, badUtf8, GOLDEN_V4.subarray(0, 101)]) {
      expect(() => decodeRecord(bad)).toThrow(expect.objectContaining({ code: 'RECORD_MALFORMED' }));
    }
    expect(decodeRecord(wrongCrc).bodyCrc).toBe(1);
    expect(() => decodeRecord(wrongCrc, 0, { checkCrc: true })).toThrow(ProtocolError);
  });

  it('decodes short and long, ASCII and non-ASCII topics and properties, and rejects invalid UTF-8 in long ones', () => {
    const base = decodeRecord(GOLDEN_V4);
    const cases = [
      { topic: 'T', properties: `KEYS\u0001${'k'.repeat(300)}\u0002` }, // long ASCII
      { topic: 'Tópico', properties: `KEYS\u0001ключ-${'k'.repeat(300)}\u0002` }, // non-ASCII, short and long
      { topic: 'x'.repeat(64), properties: 'A\u0001é\u0002' }, // at the short/long boundary
      { topic: 'y'.repeat(65), properties: '' },
    ];
    for (const c of cases) {
      const decoded = decodeRecord(encodeRecord({ ...base, ...c }));
      expect([decoded.topic, decoded.properties]).toEqual([c.topic, c.properties]);
    }
    const long = encodeRecord({ ...base, properties: `KEYS\u0001${'k'.repeat(300)}\u0002` });
    long[long.length - 10] = 0xc3; // a lead byte followed by ASCII: not UTF-8
    expect(() => decodeRecord(long)).toThrow(expect.objectContaining({ code: 'RECORD_MALFORMED' }));
  });
});

const hostArb = fc.oneof(
  fc.uint8Array({ minLength: 4, maxLength: 4 }).map((b) => b.join('.')),
  fc
    .uint8Array({ minLength: 16, maxLength: 16 })
    .map((b) => decodeHost(Buffer.concat([b, Buffer.alloc(4)]), 0, true).host),
);
const int64Arb = fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER });
const recordArb: fc.Arbitrary<Omit<MessageRecord, 'bodyCrc'>> = fc.record({
  topic: fc.string({ unit: 'binary', minLength: 1, maxLength: 150 }),
  queueId: fc.integer(),
  flag: fc.integer(),
  queueOffset: int64Arb,
  physicalOffset: int64Arb,
  sysFlag: fc.integer().map((f) => f & ~0x30),
  bornTimestamp: int64Arb,
  bornHost: fc.record({ host: hostArb, port: fc.integer() }),
  storeTimestamp: int64Arb,
  storeHost: fc.record({ host: hostArb, port: fc.integer() }),
  reconsumeTimes: fc.integer(),
  preparedTransactionOffset: int64Arb,
  body: fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
  properties: fc.string({ unit: 'binary', maxLength: 100 }),
});

describe('record round trips and fuzzing', () => {
  it('round-trips random records (seeded)', () => {
    fc.assert(
      fc.property(fc.array(recordArb, { minLength: 1, maxLength: 3 }), (recs) => {
        const sizes = recs.map((r) => encodeRecord(r).length);
        const buf = Buffer.alloc(sizes.reduce((a, b) => a + b, 0) + 3);
        let at = 3;
        for (const r of recs) at += encodeRecordInto(r, buf, at);
        const decoded = decodeRecords(buf.subarray(3));
        expect(decoded).toHaveLength(recs.length);
        decoded.forEach((d, i) => {
          const r = recs[i]!;
          const v6 = (r.bornHost.host.includes(':') ? 0x10 : 0) | (r.storeHost.host.includes(':') ? 0x20 : 0);
          expect(d).toEqual({ ...r, sysFlag: r.sysFlag | v6, bodyCrc: crc32Body(r.body) });
        });
      }),
      { seed: 20240601, numRuns: 150 },
    );
  });

  it('writeRecordUnchecked from pre-encoded parts writes the bytes of encodeRecord (seeded)', () => {
    fc.assert(
      fc.property(recordArb, fc.nat(7), (r, at) => {
        const expected = encodeRecord(r);
        const storeHost = Buffer.alloc(r.storeHost.host.includes(':') ? 20 : 8);
        encodeHost(r.storeHost, storeHost, 0);
        const topic = Buffer.from(r.topic, 'utf8');
        if (topic.length > 32767) return;
        const target = Buffer.alloc(at + expected.length + 5, 0xee);
        writeRecordUnchecked(
          target,
          at,
          expected.length,
          r,
          lookupIp(r.bornHost.host)!,
          topic,
          Buffer.byteLength(r.properties, 'utf8'),
          storeHost,
          r.queueOffset,
          r.physicalOffset,
          r.storeTimestamp,
          crc32Body(r.body),
        );
        expect(target.subarray(at, at + expected.length)).toEqual(expected);
        // Not a byte before or after the record is touched.
        expect(target.subarray(0, at).every((b) => b === 0xee)).toBe(true);
        expect(target.subarray(at + expected.length).every((b) => b === 0xee)).toBe(true);
      }),
      { seed: 20261121, numRuns: 200 },
    );
  });

  it('writes negative and 2^53-scale int64 fields as two’s complement big-endian', () => {
    const rec = { ...goldenRecord, queueOffset: -1, physicalOffset: Number.MAX_SAFE_INTEGER };
    const buf = encodeRecord({ ...rec, preparedTransactionOffset: Number.MIN_SAFE_INTEGER });
    expect(buf.subarray(20, 36).toString('hex')).toBe('ffffffffffffffff' + '001fffffffffffff');
    // PREPARED TRANSACTION OFFSET sits at 76 with IPv4 hosts (after RECONSUMETIMES at 72).
    expect(buf.subarray(76, 84).toString('hex')).toBe('ffe0000000000001');
    expect(decodeRecord(buf)).toMatchObject({ queueOffset: -1, physicalOffset: Number.MAX_SAFE_INTEGER });
  });

  const onlyProtocolErrors = (fn: () => unknown) => {
    try {
      fn();
    } catch (err) {
      expect(err).toBeInstanceOf(ProtocolError);
    }
  };

  it('decodeRecord/decodeRecords throw only ProtocolError on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(40), (bytes, offset) => {
        const buf = Buffer.from(bytes);
        onlyProtocolErrors(() => decodeRecord(buf, offset, { checkCrc: true }));
        onlyProtocolErrors(() => decodeRecords(buf));
      }),
      { numRuns: 300 },
    );
  });

  it('decodeRecord throws only ProtocolError on truncated or mutated records', () => {
    fc.assert(
      fc.property(
        recordArb,
        fc.nat(),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
        (rec, cut, mutations) => {
          const buf = encodeRecord(rec);
          for (const [at, value] of mutations) buf[at % buf.length] = value;
          onlyProtocolErrors(() => decodeRecord(buf, 0, { checkCrc: true }));
          onlyProtocolErrors(() => decodeRecords(buf.subarray(0, cut % buf.length)));
        },
      ),
      { numRuns: 300 },
    );
  });
});
