import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { segmentName } from '../../src/store/mapped-file.js';
import { SegmentedLog } from '../../src/store/segmented-log.js';
import { removeDir, tempDir } from './helpers.js';

let dirs: string[] = [];
let logs: SegmentedLog[] = [];
afterEach(() => {
  for (const l of logs) l.close();
  for (const d of dirs) removeDir(d);
  dirs = [];
  logs = [];
});

function newLog(syncWriteBytes = 0, fatalSyncErrors = false): { log: SegmentedLog; dir: string } {
  const dir = tempDir('rmq-seglog-');
  dirs.push(dir);
  const log = new SegmentedLog(dir, { segmentSize: 64 * 1024, chunkSize: 4096, keepChunks: 2, fatalSyncErrors });
  log.syncWriteBytes = syncWriteBytes;
  logs.push(log);
  return { log, dir };
}

/** Appends `n` bytes whose value is their offset modulo 251. */
function append(log: SegmentedLog, n: number): void {
  log.reserveSlot(n);
  for (let i = 0; i < n; i++) log.reservedBuf[log.reservedOff + i] = (log.reservedPos + i) % 251;
}

function expectFileHolds(dir: string, from: number, to: number): void {
  const file = fs.readFileSync(path.join(dir, segmentName(0)));
  for (let i = from; i < to; i++) if (file[i] !== i % 251) expect.fail(`byte ${i} is ${file[i]}, not ${i % 251}`);
}

describe('SegmentedLog writes', () => {
  it('writes several chunks at once and counts them written only when every earlier write is done', async () => {
    const { log, dir } = newLog();
    for (let i = 0; i < 10; i++) append(log, 3000); // 30,000 bytes over 10 chunks of 4 KiB (3000 B per chunk)
    expect(log.unwrittenBytes).toBe(30_000);
    const drained = log.drain();
    await drained;
    expect(log.unwrittenBytes).toBe(0);
    expectFileHolds(dir, 0, 30_000);
    // Only the newest keepChunks chunks stay in memory; older reads come from the file and still match.
    expect(log.isInMemory(0)).toBe(false);
    const head = await log.read(0, 3000);
    expect([...head].every((b, i) => b === i % 251)).toBe(true);
  });

  it('flush() writes a small round on the calling thread, a large one from the pool, and makes both durable', async () => {
    const { log, dir } = newLog(8 * 1024);
    append(log, 2000);
    append(log, 2000); // 4,000 pending: written by flush() itself
    expect(await log.flush()).toBe(4000);
    expect(log.unwrittenBytes).toBe(0);
    for (let i = 0; i < 6; i++) append(log, 3000); // 18,000 pending > syncWriteBytes: pool writes
    expect(await log.flush()).toBe(22_000);
    expect(log.unwrittenBytes).toBe(0);
    expect(log.flushedPos).toBe(22_000);
    expectFileHolds(dir, 0, 22_000);
  });

  it('a drain started while earlier writes run waits for those too', async () => {
    const { log, dir } = newLog();
    append(log, 3000);
    const first = log.drain();
    append(log, 3000);
    append(log, 3000);
    await log.drain();
    expect(log.unwrittenBytes).toBe(0);
    await first;
    expectFileHolds(dir, 0, 9000);
  });

  /** Makes the next fdatasync of the log's first segment fail (EINVAL, as fdatasync on /dev/null does). */
  async function failingSync(log: SegmentedLog, body: () => Promise<void>): Promise<void> {
    const segment = log.segments[0]!;
    const realFd = segment.fd;
    (segment as { fd: number }).fd = fs.openSync('/dev/null', 'r+');
    try {
      await body();
    } finally {
      fs.closeSync(segment.fd);
      (segment as { fd: number }).fd = realFd;
    }
  }

  it('with fatalSyncErrors, a failed fdatasync is never retried: every later append is refused', async () => {
    const { log } = newLog(0, true);
    append(log, 1000);
    await log.drain(); // written, not yet durable
    await failingSync(log, async () => {
      await expect(log.flush()).rejects.toMatchObject({ code: 'EINVAL' });
    });
    expect(log.flushedPos).toBe(0);
    expect(log.writeError).toMatchObject({ code: 'EINVAL' });
    expect(() => append(log, 10)).toThrow(/write to .* failed/);
  });

  it('without it, the flush rejects and the log goes on (its owner decides)', async () => {
    const { log } = newLog();
    append(log, 1000);
    await log.drain();
    await failingSync(log, async () => {
      await expect(log.flush()).rejects.toMatchObject({ code: 'EINVAL' });
    });
    expect(log.writeError).toBeUndefined();
    append(log, 10);
    expect(await log.flush()).toBe(1010);
  });
});
