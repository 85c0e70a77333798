import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeRecords } from '../../src/protocol/message/record.js';
import type { CommitLog } from '../../src/store/commitlog.js';
import type { FileStore } from '../../src/store/file-store.js';
import { message, newStore, removeDir, tempDir } from './helpers.js';

let dirs: string[] = [];
let open: FileStore[] = [];
afterEach(async () => {
  for (const s of open) await s.shutdown();
  for (const d of dirs) removeDir(d);
  dirs = [];
  open = [];
});

/** Writes `n` messages cleanly and returns their put results. */
async function seed(root: string, n: number) {
  const s = newStore(root);
  await s.start();
  const results = [];
  for (let i = 0; i < n; i++) results.push(await s.putMessage(message('R', 0, `r${i}`, { keys: [`key${i}`] })));
  await s.shutdown();
  return results;
}

/** Turns the clean shutdown into a crash with no usable checkpoint: recovery must scan and verify everything. */
function simulateCrash(root: string): void {
  fs.writeFileSync(path.join(root, 'store', 'abort'), '');
  fs.rmSync(path.join(root, 'store', 'checkpoint'));
}

async function reopen(root: string) {
  const s = newStore(root);
  await s.start();
  open.push(s);
  return s;
}

async function queueBodies(s: FileStore): Promise<string[]> {
  const g = await s.getMessage('g', 'R', 0, 0, 1000, 1 << 24);
  return decodeRecords(Buffer.concat(g.messages), { checkCrc: true }).map((r) => r.body.toString());
}

function segmentPath(root: string, phy: number): { file: string; at: number } {
  const size = 64 * 1024;
  const from = phy - (phy % size);
  return { file: path.join(root, 'store', 'commitlog', String(from).padStart(20, '0')), at: phy - from };
}

describe('recovery', () => {
  it('truncates a torn tail record and keeps accepting writes at its place', async () => {
    const root = tempDir();
    dirs.push(root);
    const results = await seed(root, 50);
    const last = results[49]!;
    const { file, at } = segmentPath(root, last.physicalOffset);
    const fd = fs.openSync(file, 'r+');
    fs.writeSync(fd, Buffer.alloc(last.size - 30), 0, last.size - 30, at + 30); // only its first 30 bytes reached disk
    fs.closeSync(fd);
    simulateCrash(root);
    const s = await reopen(root);
    expect(s.getCommitLogMaxOffset()).toBe(last.physicalOffset);
    expect(await queueBodies(s)).toEqual(Array.from({ length: 49 }, (_, i) => `r${i}`));
    const again = await s.putMessage(message('R', 0, 'replacement'));
    expect(again.physicalOffset).toBe(last.physicalOffset);
    expect(again.queueOffset).toBe(49);
  });

  it('stops at a record with a flipped bit, drops everything after it and rebuilds queue and index', async () => {
    const root = tempDir();
    dirs.push(root);
    const results = await seed(root, 400);
    const bad = results[300]!;
    const { file, at } = segmentPath(root, bad.physicalOffset);
    const fd = fs.openSync(file, 'r+');
    const byte = Buffer.alloc(1);
    fs.readSync(fd, byte, 0, 1, at + 89); // a body byte
    byte[0]! ^= 0x04;
    fs.writeSync(fd, byte, 0, 1, at + 89);
    fs.closeSync(fd);
    simulateCrash(root);
    const s = await reopen(root);
    expect(s.getMaxOffsetInQueue('R', 0)).toBe(300);
    expect(s.getCommitLogMaxOffset()).toBe(bad.physicalOffset);
    expect(await queueBodies(s)).toEqual(Array.from({ length: 300 }, (_, i) => `r${i}`));
    const far = Date.now() + 60_000;
    expect((await s.queryMessage('R', 'key299', 4, 0, far)).messages).toHaveLength(1);
    expect((await s.queryMessage('R', 'key350', 4, 0, far)).messages).toHaveLength(0);
    const next = await s.putMessage(message('R', 0, 'fresh', { keys: ['key350'] }));
    expect(next.queueOffset).toBe(300);
    const hits = await s.queryMessage('R', 'key350', 4, 0, far);
    expect(decodeRecords(Buffer.concat(hits.messages)).map((r) => r.body.toString())).toEqual(['fresh']);
  });

  it('rebuilds lost ConsumeQueue files from the CommitLog after a crash', async () => {
    const root = tempDir();
    dirs.push(root);
    await seed(root, 120);
    fs.rmSync(path.join(root, 'store', 'consumequeue'), { recursive: true });
    simulateCrash(root);
    const s = await reopen(root);
    expect(await queueBodies(s)).toEqual(Array.from({ length: 120 }, (_, i) => `r${i}`));
  });

  it('rebuilds special tagsCodes (delay topic delivery times) through the tagsCodeOf hook', async () => {
    const root = tempDir();
    dirs.push(root);
    const s = newStore(root, {}, { clock: () => 5_000 });
    await s.start();
    const delayed = {
      ...message('SCHEDULE_TOPIC_XXXX', 2, 'later'),
      properties: 'DELAY\u00013\u0002',
      tagsCode: 15_000,
    };
    await s.putMessage(delayed);
    await s.shutdown();
    fs.rmSync(path.join(root, 'store', 'consumequeue'), { recursive: true });
    simulateCrash(root);
    const r = newStore(
      root,
      {},
      {
        tagsCodeOf: (topic, props, storeTimestamp) =>
          topic === 'SCHEDULE_TOPIC_XXXX' ? storeTimestamp + (Number(props.DELAY) * 10_000) / 3 : undefined,
      },
    );
    await r.start();
    open.push(r);
    const codes: number[] = [];
    await r.getMessage('g', 'SCHEDULE_TOPIC_XXXX', 2, 0, 10, 1 << 20, {
      isMatchedByConsumeQueue: (code) => {
        codes.push(code);
        return true;
      },
    });
    expect(codes).toEqual([15_000]);
  });

  it('starts fast after a clean shutdown without rescanning the CommitLog', async () => {
    const root = tempDir();
    dirs.push(root);
    await seed(root, 30);
    const s = await reopen(root);
    expect(s.stats().commitLogMaxOffset).toBeGreaterThan(0);
    expect(fs.existsSync(path.join(root, 'store', 'abort'))).toBe(true);
    expect(await queueBodies(s)).toHaveLength(30);
  });
});

describe('flush', () => {
  it('SYNC_FLUSH group commit covers many concurrent appenders with few fdatasync rounds', async () => {
    const root = tempDir();
    dirs.push(root);
    const s = newStore(root, { flushDiskType: 'SYNC_FLUSH' });
    await s.start();
    open.push(s);
    const before = s.stats().commitLogFlushRounds;
    const results = await Promise.all(Array.from({ length: 64 }, (_, i) => s.putMessage(message('F', 0, `f${i}`))));
    expect(results.every((r) => r.status === 'PUT_OK')).toBe(true);
    expect(s.stats().commitLogFlushedOffset).toBe(s.getCommitLogMaxOffset());
    expect(s.stats().commitLogFlushRounds - before).toBeLessThan(64);
  });

  it('SYNC_FLUSH rounds written on the event loop and from pool threads both come back whole', async () => {
    const root = tempDir();
    dirs.push(root);
    const config = {
      flushDiskType: 'SYNC_FLUSH' as const,
      mappedFileSizeCommitLog: 8 * 1024 * 1024,
      writeBufferSize: 1024 * 1024,
    };
    const s = newStore(root, config);
    await s.start();
    const log = (s as unknown as { commitLog: CommitLog }).commitLog.log;
    expect(log.syncWriteBytes).toBeGreaterThan(0);
    // Rounds of 64 x ~4 KiB stay under syncWriteBytes (written by the flush itself); rounds of 64 x ~20 KiB exceed
    // it (written from pool threads). Both kinds span several 1 MiB write chunks over the run.
    const size = (i: number) => (Math.floor(i / 64) % 2 === 0 ? 4000 : 20000) + (i % 13);
    const body = (i: number) => `b${i}-${'z'.repeat(size(i))}`;
    const before = s.stats().commitLogFlushRounds;
    for (let round = 0; round < 8; round++) {
      const puts = Array.from({ length: 64 }, (_, k) => s.putMessage(message('E', 0, body(round * 64 + k))));
      expect((await Promise.all(puts)).every((r) => r.status === 'PUT_OK')).toBe(true);
      expect(s.stats().commitLogFlushedOffset).toBe(s.getCommitLogMaxOffset());
    }
    expect(s.stats().commitLogFlushRounds - before).toBeLessThan(8 * 4);
    await s.shutdown();
    // Every record reads back from the files (nothing in memory after a restart) with a valid body CRC.
    const again = newStore(root, config);
    await again.start();
    open.push(again);
    for (let offset = 0; offset < 512;) {
      const g = await again.getMessage('g', 'E', 0, offset, 32, 1 << 20);
      expect(g.status).toBe('FOUND');
      const recs = decodeRecords(Buffer.concat(g.messages), { checkCrc: true });
      recs.forEach((r, k) => expect(r.body.toString()).toBe(body(offset + k)));
      offset = g.nextBeginOffset;
    }
  });

  it('SYNC_FLUSH answers FLUSH_DISK_TIMEOUT when the disk does not confirm in time', async () => {
    const root = tempDir();
    dirs.push(root);
    const s = newStore(root, { flushDiskType: 'SYNC_FLUSH', syncFlushTimeout: 20 });
    await s.start();
    open.push(s);
    const log = (s as unknown as { commitLog: CommitLog }).commitLog.log;
    const realFlush = log.flush.bind(log);
    log.flush = () => new Promise((resolve) => setTimeout(() => resolve(realFlush()), 200));
    const r = await s.putMessage(message('F', 0, 'slow'));
    expect(r.status).toBe('FLUSH_DISK_TIMEOUT');
    expect(r.physicalOffset).toBeGreaterThanOrEqual(0);
    // The record was appended: the producer still gets its offset message id (32 hex chars for an IPv4 store host).
    expect(r.msgId).toMatch(/^[0-9A-F]{32}$/);
    const [batch] = await s.putMessages([message('F', 0, 'slow batch')]);
    expect(batch!.status).toBe('FLUSH_DISK_TIMEOUT');
    expect(batch!.msgId).toMatch(/^[0-9A-F]{32}$/);
    log.flush = realFlush;
  });

  it('flushes complete while appends keep streaming in (a drain never chases the tail)', async () => {
    const root = tempDir();
    dirs.push(root);
    const s = newStore(root, { writeBufferSize: 4 * 1024 * 1024, mappedFileSizeCommitLog: 64 * 1024 * 1024 });
    await s.start();
    open.push(s);
    let stop = false;
    let produced = 0;
    const producer = (async () => {
      while (!stop) {
        for (let i = 0; i < 256; i++) await s.putMessage(message('F', produced++ % 4, Buffer.alloc(1024)));
        await new Promise((r) => setImmediate(r));
      }
    })();
    await new Promise((r) => setTimeout(r, 50));
    const before = produced;
    const outcome = await Promise.race([
      s.flush().then(() => 'flushed'),
      // A hang detector, not a speed check: the old drain chased the tail and never finished under this load.
      new Promise((r) => setTimeout(() => r('stuck'), 10000)),
    ]);
    stop = true;
    await producer;
    expect(outcome).toBe('flushed');
    expect(produced).toBeGreaterThan(before);
    expect(s.stats().commitLogFlushedOffset).toBeGreaterThan(0);
  });

  it('ASYNC_FLUSH flushes in the background within the interval', async () => {
    const root = tempDir();
    dirs.push(root);
    const s = newStore(root, { flushDiskType: 'ASYNC_FLUSH', flushIntervalCommitLog: 20 });
    await s.start();
    open.push(s);
    await s.putMessage(message('F', 0, 'a'));
    const end = s.getCommitLogMaxOffset();
    for (let i = 0; i < 50 && s.stats().commitLogFlushedOffset < end; i++) await new Promise((r) => setTimeout(r, 20));
    expect(s.stats().commitLogFlushedOffset).toBe(end);
  });
});
