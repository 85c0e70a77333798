import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RocketMQError } from '../../src/common/errors.js';
import { tagsHashCode } from '../../src/protocol/message/hash.js';
import { decodeRecord, decodeRecords } from '../../src/protocol/message/record.js';
import { MessageSysFlag } from '../../src/protocol/message/sysflag.js';
import type { FileStore } from '../../src/store/file-store.js';
import { message, newStore, removeDir, tempDir } from './helpers.js';

let dirs: string[] = [];
let stores: FileStore[] = [];
afterEach(async () => {
  for (const s of stores) await s.shutdown();
  for (const d of dirs) removeDir(d);
  dirs = [];
  stores = [];
});

async function open(
  extra: Parameters<typeof newStore>[1] = {},
  options: Parameters<typeof newStore>[2] = {},
  dir?: string,
) {
  const root = dir ?? tempDir();
  if (!dir) dirs.push(root);
  const store = newStore(root, extra, options);
  await store.start();
  stores.push(store);
  return { store, root };
}

const bodies = (msgs: Buffer[]): string[] => decodeRecords(Buffer.concat(msgs)).map((r) => r.body.toString());

describe('FileStore put and get', () => {
  it('assigns consecutive queue offsets per queue and serves records across segment rolls', async () => {
    const { store } = await open();
    for (let i = 0; i < 300; i++) {
      const r = await store.putMessage(message('TopicA', i % 3, `m${i}-${'x'.repeat(200)}`));
      expect(r.status).toBe('PUT_OK');
      expect(r.queueOffset).toBe(Math.floor(i / 3));
    }
    expect(store.getMaxOffsetInQueue('TopicA', 1)).toBe(100);
    expect(store.getMinOffsetInQueue('TopicA', 1)).toBe(0);
    const all: string[] = [];
    let offset = 0;
    for (;;) {
      const g = await store.getMessage('g', 'TopicA', 1, offset, 32, 1 << 20);
      if (g.status !== 'FOUND') {
        expect(g.status).toBe('OFFSET_OVERFLOW_ONE');
        break;
      }
      all.push(...bodies(g.messages).map((b) => b.split('-')[0]!));
      offset = g.nextBeginOffset;
    }
    expect(all).toEqual(Array.from({ length: 100 }, (_, k) => `m${3 * k + 1}`));
    expect(store.getCommitLogMaxOffset()).toBeGreaterThan(64 * 1024);
  });

  it('answers the Java statuses for offsets outside the queue and unknown queues', async () => {
    const { store } = await open();
    for (let i = 0; i < 5; i++) await store.putMessage(message('T', 0, `b${i}`));
    const at = (o: number) => store.getMessage('g', 'T', 0, o, 10, 1 << 20);
    expect((await at(5)).status).toBe('OFFSET_OVERFLOW_ONE');
    const badly = await at(9);
    expect(badly.status).toBe('OFFSET_OVERFLOW_BADLY');
    expect(badly.nextBeginOffset).toBe(0);
    expect(badly.maxOffset).toBe(5);
    expect((await store.getMessage('g', 'T', 7, 0, 10, 1 << 20)).status).toBe('NO_MATCHED_LOGIC_QUEUE');
    expect((await store.getMessage('g', 'Other', 0, 0, 10, 1 << 20)).status).toBe('NO_MATCHED_LOGIC_QUEUE');
    const two = await store.getMessage('g', 'T', 0, 1, 2, 1 << 20);
    expect(two.status).toBe('FOUND');
    expect(bodies(two.messages)).toEqual(['b1', 'b2']);
    expect(two.queueOffsets).toEqual([1, 2]);
    expect(two.nextBeginOffset).toBe(3);
  });

  it('filters by tags hash code and honours maxBytes (always at least one message)', async () => {
    const { store } = await open();
    for (let i = 0; i < 10; i++) await store.putMessage(message('T', 0, `b${i}`, { tags: i % 2 ? 'odd' : 'even' }));
    const odd = tagsHashCode('odd');
    const g = await store.getMessage('g', 'T', 0, 0, 32, 1 << 20, { isMatchedByConsumeQueue: (c) => c === odd });
    expect(bodies(g.messages)).toEqual(['b1', 'b3', 'b5', 'b7', 'b9']);
    expect(g.nextBeginOffset).toBe(10);
    const none = await store.getMessage('g', 'T', 0, 0, 32, 1 << 20, { isMatchedByConsumeQueue: () => false });
    expect(none.status).toBe('NO_MATCHED_MESSAGE');
    expect(none.nextBeginOffset).toBe(10);
    const small = await store.getMessage('g', 'T', 0, 0, 32, 1);
    expect(small.messages).toHaveLength(1);
    expect(small.nextBeginOffset).toBe(1);
  });

  it('keeps PREPARED and ROLLBACK records out of the ConsumeQueue and ROLLBACK out of the index', async () => {
    const { store } = await open();
    const prepared = await store.putMessage(
      message('T', 0, 'half', { uniqKey: 'P1', sysFlag: MessageSysFlag.TRANSACTION_PREPARED_TYPE }),
    );
    const rollback = await store.putMessage(
      message('T', 0, 'rb', { uniqKey: 'R1', sysFlag: MessageSysFlag.TRANSACTION_ROLLBACK_TYPE }),
    );
    const commit = await store.putMessage(message('T', 0, 'c', { sysFlag: MessageSysFlag.TRANSACTION_COMMIT_TYPE }));
    expect(prepared.queueOffset).toBe(0);
    expect(rollback.queueOffset).toBe(0);
    expect(commit.queueOffset).toBe(0);
    expect(store.getMaxOffsetInQueue('T', 0)).toBe(1);
    const far = Date.now() + 60_000;
    expect((await store.queryMessage('T', 'P1', 10, 0, far)).messages).toHaveLength(1);
    expect((await store.queryMessage('T', 'R1', 10, 0, far)).messages).toHaveLength(0);
    expect((await store.lookMessageByOffset(prepared.physicalOffset))?.body.toString()).toBe('half');
  });

  it('notifies arrival listeners after dispatch', async () => {
    const { store } = await open();
    const seen: string[] = [];
    const off = store.onMessageArrived((topic, queueId, queueOffset) =>
      seen.push(`${topic}/${queueId}/${queueOffset}`),
    );
    await store.putMessage(message('T', 2, 'a'));
    await store.putMessages([message('T', 2, 'b'), message('U', 0, 'c')]);
    off();
    await store.putMessage(message('T', 2, 'd'));
    expect(seen).toEqual(['T/2/0', 'T/2/1', 'U/0/0']);
  });

  it('queries keys and UNIQ_KEY across several index files within a time range', async () => {
    let now = 1_700_000_000_000;
    const { store } = await open({ maxIndexNum: 8, maxHashSlotNum: 4 }, { clock: () => now });
    for (let i = 0; i < 40; i++) {
      now += 1000;
      await store.putMessage(message('T', 0, `b${i}`, { keys: [`order-${i % 4}`, 'all'], uniqKey: `U${i}` }));
    }
    const indexDir = path.join(stores[0]!.rootDir, 'index');
    await store.flushLogics();
    expect(fs.readdirSync(indexDir).length).toBeGreaterThan(5);
    const q = await store.queryMessage('T', 'order-1', 100, 0, now);
    expect(bodies(q.messages).sort()).toEqual(Array.from({ length: 10 }, (_, k) => `b${4 * k + 1}`).sort());
    const u = await store.queryMessage('T', 'U17', 10, 0, now);
    expect(bodies(u.messages)).toEqual(['b17']);
    const ranged = await store.queryMessage('T', 'all', 100, 1_700_000_010_000, 1_700_000_020_000);
    expect(bodies(ranged.messages).sort()).toEqual(Array.from({ length: 11 }, (_, k) => `b${k + 9}`).sort());
    expect((await store.queryMessage('T', 'all', 3, 0, now)).messages).toHaveLength(3);
    expect((await store.queryMessage('Other', 'all', 3, 0, now)).messages).toHaveLength(0);
  });

  it('searches queue offsets by store time with lower and upper boundaries', async () => {
    let now = 1_000_000;
    const { store } = await open({}, { clock: () => now });
    const times = [10, 20, 20, 20, 30, 40];
    for (const t of times) {
      now = t * 1000;
      await store.putMessage(message('T', 0, `t${t}`));
    }
    expect(await store.getOffsetInQueueByTime('T', 0, 20_000, 'lower')).toBe(1);
    expect(await store.getOffsetInQueueByTime('T', 0, 20_000, 'upper')).toBe(3);
    expect(await store.getOffsetInQueueByTime('T', 0, 25_000, 'lower')).toBe(4);
    expect(await store.getOffsetInQueueByTime('T', 0, 5_000, 'lower')).toBe(0);
    expect(await store.getOffsetInQueueByTime('T', 0, 99_000, 'lower')).toBe(6);
    expect(await store.getOffsetInQueueByTime('T', 0, 99_000, 'upper')).toBe(5);
    expect(await store.getEarliestMessageTime('T', 0)).toBe(10_000);
    expect(await store.getEarliestMessageTime('T', 9)).toBe(-1);
  });

  it('serves the tail from memory and older records from disk after a restart', async () => {
    const root = tempDir();
    dirs.push(root);
    const first = newStore(root);
    await first.start();
    for (let i = 0; i < 200; i++) await first.putMessage(message('T', 0, `v${i}-${'p'.repeat(300)}`));
    const tail = await first.getMessage('g', 'T', 0, 199, 1, 1 << 20);
    expect(tail.fromDisk).toBe(false);
    const old = await first.getMessage('g', 'T', 0, 0, 1, 1 << 20);
    expect(old.fromDisk).toBe(true);
    expect(bodies(old.messages)[0]).toMatch(/^v0-/);
    await first.shutdown();
    expect(fs.existsSync(path.join(root, 'store', 'abort'))).toBe(false);
    const { store } = await open({}, {}, root);
    expect(store.getMaxOffsetInQueue('T', 0)).toBe(200);
    const g = await store.getMessage('g', 'T', 0, 150, 100, 1 << 20);
    expect(bodies(g.messages).map((b) => b.split('-')[0])).toEqual(Array.from({ length: 50 }, (_, k) => `v${150 + k}`));
    const r = await store.putMessage(message('T', 0, 'after'));
    expect(r.queueOffset).toBe(200);
  });

  it('reuses the buffers of dropped write chunks, but never one a reader got a view of', async () => {
    // 16 KiB chunks, one kept in memory once written: chunks leave the tail cache every few dozen appends.
    const { store } = await open({ mappedFileSizeCommitLog: 1024 * 1024, tailCacheChunks: 1 });
    const body = (i: number) => `r${i}-${'y'.repeat(300 + (i % 7))}`;
    for (let i = 0; i < 10; i++) await store.putMessage(message('Reuse', 0, body(i)));
    // Views of the chunk being written (a pull response may still be sending them when the chunk is dropped).
    const held = await store.getMessage('g', 'Reuse', 0, 0, 10, 1 << 20);
    expect(held.fromDisk).toBe(false);
    const copies = held.messages.map((b) => Buffer.from(b));
    for (let i = 10; i < 1500; i++) {
      await store.putMessage(message('Reuse', 0, body(i)));
      if (i % 100 === 0) await store.flush();
    }
    held.messages.forEach((b, k) => expect(b.equals(copies[k]!)).toBe(true));
    // Records written into reused buffers are intact, from memory and from the files.
    const tail = await store.getMessage('g', 'Reuse', 0, 1490, 10, 1 << 20);
    expect(tail.fromDisk).toBe(false);
    expect(bodies(tail.messages)).toEqual(Array.from({ length: 10 }, (_, k) => body(1490 + k)));
    await store.flush();
    for (let offset = 0; offset < 1500;) {
      const g = await store.getMessage('g', 'Reuse', 0, offset, 64, 1 << 20);
      expect(bodies(g.messages)).toEqual(Array.from({ length: g.messages.length }, (_, k) => body(offset + k)));
      offset = g.nextBeginOffset;
    }
  });

  it('deletes topics', async () => {
    const { store } = await open();
    await store.putMessage(message('Gone', 0, 'x'));
    await store.putMessage(message('Gone', 1, 'x'));
    await store.putMessage(message('Kept', 0, 'x'));
    expect(await store.deleteTopics(['Gone'])).toBe(2);
    expect(store.getMaxOffsetInQueue('Gone', 0)).toBe(0);
    expect(fs.existsSync(path.join(store.rootDir, 'consumequeue', 'Gone'))).toBe(false);
    expect(store.getMaxOffsetInQueue('Kept', 0)).toBe(1);
  });
});

describe('FileStore bad input', () => {
  it('refuses oversized bodies, bad topics and huge properties before writing anything', async () => {
    const { store } = await open({ maxMessageSize: 1024 });
    const before = store.getCommitLogMaxOffset();
    expect((await store.putMessage(message('T', 0, Buffer.alloc(1025)))).status).toBe('MESSAGE_ILLEGAL');
    expect((await store.putMessage(message('bad topic!', 0, 'x'))).status).toBe('MESSAGE_ILLEGAL');
    expect((await store.putMessage(message('x'.repeat(128), 0, 'x'))).status).toBe('MESSAGE_ILLEGAL');
    expect((await store.putMessage(message('', 0, 'x'))).status).toBe('MESSAGE_ILLEGAL');
    const hugeProps = { ...message('T', 0, 'x'), properties: `A\u0001${'v'.repeat(40000)}\u0002` };
    expect((await store.putMessage(hugeProps)).status).toBe('PROPERTIES_SIZE_EXCEEDED');
    const badHost = { ...message('T', 0, 'x'), bornHost: { host: 'not-an-ip', port: 1 } };
    expect((await store.putMessage(badHost)).status).toBe('MESSAGE_ILLEGAL');
    expect(store.getCommitLogMaxOffset()).toBe(before);
    expect(store.stats().putFailures).toBe(6);
    const ok = await store.putMessage(message('%RETRY%group_1', 0, Buffer.alloc(1024)));
    expect(ok.status).toBe('PUT_OK');
    expect(decodeRecord((await store.getRecordBytes(ok.physicalOffset))!).topic).toBe('%RETRY%group_1');
  });

  it('refuses a directory that is not a store, a newer format, or changed segment sizes', async () => {
    const root = tempDir();
    dirs.push(root);
    fs.mkdirSync(path.join(root, 'store'));
    fs.writeFileSync(path.join(root, 'store', 'important.txt'), 'keep me');
    await expect(newStore(root).start()).rejects.toThrow(/not a rocketmq-ts store/);
    expect(fs.readFileSync(path.join(root, 'store', 'important.txt'), 'utf8')).toBe('keep me');

    const root2 = tempDir();
    dirs.push(root2);
    const s = newStore(root2);
    await s.start();
    await s.shutdown();
    await expect(newStore(root2, { mappedFileSizeCommitLog: 128 * 1024 }).start()).rejects.toThrow(
      /mappedFileSizeCommitLog/,
    );
    const metaPath = path.join(root2, 'store', 'store.meta');
    const meta = JSON.parse(fs.readFileSync(metaPath, 'utf8'));
    fs.writeFileSync(metaPath, JSON.stringify({ ...meta, version: 99 }));
    const err = await newStore(root2)
      .start()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RocketMQError);
    expect((err as RocketMQError).code).toBe('CONFIG_INVALID');
    expect((err as Error).message).toMatch(/newer/);
  });

  it('refuses a directory locked by a live process and takes over a lock left by a dead one', async () => {
    const { root } = await open();
    await expect(newStore(root).start()).rejects.toThrow(/in use by process/);
    await stores.pop()!.shutdown();
    fs.writeFileSync(path.join(root, 'store', 'lock'), '999999999\n');
    const again = newStore(root);
    await again.start();
    stores.push(again);
    expect(fs.readFileSync(path.join(root, 'store', 'lock'), 'utf8').trim()).toBe(String(process.pid));
  });

  it('rejects invalid configuration values naming the key', () => {
    const root = tempDir();
    dirs.push(root);
    expect(() => newStore(root, { flushDiskType: 'SOMETIMES' as 'SYNC_FLUSH' })).toThrow(/flushDiskType/);
  });
});
