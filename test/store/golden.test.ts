import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeConsumeQueueEntry, encodeConsumeQueueEntry } from '../../src/store/consume-queue.js';
import { decodeIndexHeader, encodeIndexHeader, indexKeyHash, topicKeyHash } from '../../src/store/index-file.js';
import { message, newStore, removeDir, tempDir } from './helpers.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+|#[^\n]*/g, ''), 'hex');
const STORE_TIME = 1_700_000_000_001;

let dirs: string[] = [];
afterEach(() => {
  for (const d of dirs) removeDir(d);
  dirs = [];
});

describe('on-disk golden bytes (written from reference §5.4, §5.7, §5.8)', () => {
  it('stores records, ConsumeQueue entries and index items in RocketMQ layout', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const store = newStore(
      dir,
      { maxHashSlotNum: 8, maxIndexNum: 4, brokerIP1: '127.0.0.1', listenPort: 10911 },
      { clock: () => STORE_TIME },
    );
    await store.start();
    const plain = message('T', 0, 'hi');
    const tagged = { ...message('T', 0, 'hi'), properties: 'TAGS\u0001TagA\u0002', tags: 'TagA' };
    const keyed = { ...message('T', 0, 'hi'), properties: 'UNIQ_KEY\u0001U1\u0002', uniqKey: 'U1' };
    const r1 = await store.putMessage(plain);
    const r2 = await store.putMessage(tagged);
    const r3 = await store.putMessage(keyed);
    expect([r1.physicalOffset, r2.physicalOffset, r3.physicalOffset]).toEqual([0, 94, 198]);
    expect(r1.msgId).toBe('7F00000100002A9F0000000000000000');
    await store.shutdown();
    const root = path.join(dir, 'store');

    const commitLog = fs.readFileSync(path.join(root, 'commitlog', '00000000000000000000'));
    expect(commitLog.length).toBe(64 * 1024);
    const record1 = hex(`
      0000005E                # TOTALSIZE 94 = 91 + body 2 + topic 1 + props 0
      DAA320A7                # MAGICCODE v1
      58932AAC                # BODYCRC crc32("hi") & 0x7fffffff
      00000000                # QUEUEID 0
      00000000                # FLAG
      0000000000000000        # QUEUEOFFSET 0
      0000000000000000        # PHYSICALOFFSET 0
      00000000                # SYSFLAG
      0000018BCFE56800        # BORNTIMESTAMP 1700000000000
      0A000001 000015B3       # BORNHOST 10.0.0.1:5555
      0000018BCFE56801        # STORETIMESTAMP 1700000000001
      7F000001 00002A9F       # STOREHOST 127.0.0.1:10911
      00000000                # RECONSUMETIMES
      0000000000000000        # PREPARED TRANSACTION OFFSET
      00000002 6869           # BODYLEN 2, BODY "hi"
      01 54                   # TOPICLEN 1, TOPIC "T"
      0000                    # PROPERTIESLEN 0
    `);
    expect(commitLog.subarray(0, 94)).toEqual(record1);
    const record2Head = hex(`
      00000068 DAA320A7 58932AAC 00000000 00000000   # size 104, magic, crc, queue 0, flag
      0000000000000001                              # QUEUEOFFSET 1
      000000000000005E                              # PHYSICALOFFSET 94
    `);
    expect(commitLog.subarray(94, 94 + 36)).toEqual(record2Head);
    expect(commitLog.subarray(94 + 92, 94 + 104)).toEqual(hex('000A 5441475301 5461674102')); // PROPSLEN 10, TAGS\1TagA\2

    const cq = fs.readFileSync(path.join(root, 'consumequeue', 'T', '0', '00000000000000000000'));
    expect(cq.length).toBe(2000);
    const entries = hex(`
      0000000000000000 0000005E 0000000000000000   # offset 0, size 94, no tags
      000000000000005E 00000068 000000000027A807   # offset 94, size 104, "TagA".hashCode() = 2598919
      00000000000000C6 0000006A 0000000000000000   # offset 198, size 106 = 94 + 12 bytes of UNIQ_KEY props
    `);
    expect(cq.subarray(0, 60)).toEqual(entries);
    expect(cq.subarray(60, 80)).toEqual(Buffer.alloc(20));

    const indexNames = fs.readdirSync(path.join(root, 'index'));
    expect(indexNames).toHaveLength(1);
    expect(indexNames[0]).toMatch(/^\d{17}$/);
    const index = fs.readFileSync(path.join(root, 'index', indexNames[0]!));
    expect(index.length).toBe(40 + 8 * 4 + 4 * 20);
    const header = hex(`
      0000018BCFE56801   # beginTimestamp
      0000018BCFE56801   # endTimestamp
      00000000000000C6   # beginPhyOffset 198
      00000000000000C6   # endPhyOffset 198
      00000001           # hashSlotCount
      00000002           # indexCount (starts at 1)
    `);
    expect(index.subarray(0, 40)).toEqual(header);
    // "T#U1".hashCode() = 2538763 = 0x26BD0B, slot 2538763 % 8 = 3 holds item 1.
    expect(index.subarray(40, 72)).toEqual(
      hex('00000000 00000000 00000000 00000001 00000000 00000000 00000000 00000000'),
    );
    const item1 = hex(`
      0026BD0B           # keyHash
      00000000000000C6   # commitLogOffset 198
      00000000           # timeDiffSeconds
      00000000           # prevIndex (end of chain)
    `);
    expect(index.subarray(72 + 20, 72 + 40)).toEqual(item1);
    expect(fs.readFileSync(path.join(root, 'checkpoint')).length).toBe(4096);
    expect(fs.existsSync(path.join(root, 'abort'))).toBe(false);
  });

  it('ends a segment with the blank record and names segments by start offset', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const store = newStore(dir, { mappedFileSizeCommitLog: 4096 });
    await store.start();
    const body = Buffer.alloc(1000, 7);
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await store.putMessage(message('T', 0, body)));
    // 1092-byte records: three fit (3276 bytes), the fourth does not, so 820 bytes of blank end the segment.
    expect(results.map((r) => r.physicalOffset)).toEqual([0, 1092, 2184, 4096, 5188]);
    await store.shutdown();
    const seg0 = fs.readFileSync(path.join(dir, 'store', 'commitlog', '00000000000000000000'));
    expect(seg0.subarray(3276, 3284)).toEqual(hex('00000334 CBD43194')); // remaining 820, BLANK_MAGIC
    expect(fs.readdirSync(path.join(dir, 'store', 'commitlog')).sort()).toEqual([
      '00000000000000000000',
      '00000000000000004096',
    ]);
  });

  it('encodes ConsumeQueue entries and index headers field by field', () => {
    const buf = Buffer.alloc(20);
    encodeConsumeQueueEntry(buf, 0, { phyOffset: 0x123456789a, size: 300, tagsCode: -1 });
    expect(buf).toEqual(hex('000000123456789A 0000012C FFFFFFFFFFFFFFFF'));
    expect(decodeConsumeQueueEntry(buf, 0)).toEqual({ phyOffset: 0x123456789a, size: 300, tagsCode: -1 });
    const h = {
      beginTimestamp: 1,
      endTimestamp: 2,
      beginPhyOffset: 3,
      endPhyOffset: 4,
      hashSlotCount: 5,
      indexCount: 6,
    };
    const enc = encodeIndexHeader(h);
    expect(enc).toEqual(hex('0000000000000001 0000000000000002 0000000000000003 0000000000000004 00000005 00000006'));
    expect(decodeIndexHeader(enc)).toEqual(h);
    expect(indexKeyHash('T#U1')).toBe(0x26bd0b);
    expect(topicKeyHash('T', 'U1')).toBe(0x26bd0b);
  });

  it('hashes topic and key as the joined `topic#key` string, without building it (seeded)', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 40 }),
        fc.string({ unit: 'binary', maxLength: 60 }),
        (t, k) => {
          expect(topicKeyHash(t, k)).toBe(indexKeyHash(`${t}#${k}`));
        },
      ),
      { seed: 20261121, numRuns: 200 },
    );
    // A key whose joined hash is Integer.MIN_VALUE hashes to 0, as RocketMQ's abs() guard does.
    expect(indexKeyHash('polygenelubricants')).toBe(0);
    expect(topicKeyHash('T', 'k788300\ufa24\u000c')).toBe(0);
  });
});
