import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeRecord } from '../../src/protocol/message/record.js';
import { decodeCheckpoint } from '../../src/store/checkpoint.js';
import type { CommitLog } from '../../src/store/commitlog.js';
import type { ConsumeQueue } from '../../src/store/consume-queue.js';
import type { StoreConfig } from '../../src/store/config.js';
import type { FileStore } from '../../src/store/file-store.js';
import { message, newStore, removeDir, tempDir } from './helpers.js';

let dirs: string[] = [];
let open: FileStore[] = [];
let fds: number[] = [];
afterEach(async () => {
  for (const s of open) await s.shutdown().catch(() => undefined);
  for (const fd of fds) fs.closeSync(fd);
  for (const d of dirs) removeDir(d);
  dirs = [];
  open = [];
  fds = [];
});

/** A started store in a fresh temp dir, both cleaned up after the test; `root` is reused to restart it. */
async function startStore(config: Partial<StoreConfig>, root = tempDir()): Promise<{ s: FileStore; root: string }> {
  if (!dirs.includes(root)) dirs.push(root);
  const s = newStore(root, config);
  await s.start();
  open.push(s);
  return { s, root };
}

/** Makes every later write to the CommitLog's current segment fail (EBADF), as a dying disk would; reads go on. */
function breakWrites(s: FileStore): void {
  const segment = (s as unknown as { commitLog: CommitLog }).commitLog.log.segments.at(-1)!;
  fds.push(segment.fd);
  (segment as { fd: number }).fd = fs.openSync(segment.path, 'r');
}

describe('a CommitLog write that fails', () => {
  it('SYNC_FLUSH: is never acknowledged as PUT_OK, later puts are refused, and what was acknowledged survives', async () => {
    const config = { flushDiskType: 'SYNC_FLUSH' as const, syncFlushTimeout: 200 };
    const { s, root } = await startStore(config);
    for (let i = 0; i < 3; i++) expect((await s.putMessage(message('W', 0, `ok${i}`))).status).toBe('PUT_OK');

    breakWrites(s);
    const lost = await s.putMessage(message('W', 0, 'not-durable'));
    expect(lost.status).toBe('FLUSH_DISK_TIMEOUT');
    const after = await s.putMessage(message('W', 0, 'refused'));
    expect(after.status).toBe('SERVICE_NOT_AVAILABLE');
    expect(after.remark).toMatch(/CommitLog cannot be written \(EBADF/);
    // Reads of what was stored go on.
    const g = await s.getMessage('g', 'W', 0, 0, 32, 1 << 20);
    expect(g.status).toBe('FOUND');

    // Shutdown closes everything although its last flush fails, and leaves the abort marker: the next start
    // verifies the tail and finds exactly the acknowledged messages.
    await s.shutdown();
    expect(fs.existsSync(path.join(root, 'store', 'abort'))).toBe(true);
    const { s: again } = await startStore(config, root);
    const back = await again.getMessage('g', 'W', 0, 0, 32, 1 << 20);
    expect(back.messages.map((m) => decodeRecord(m).body.toString())).toEqual(['ok0', 'ok1', 'ok2']);
    expect((await again.putMessage(message('W', 0, 'ok3'))).status).toBe('PUT_OK');
  });

  it('ASYNC_FLUSH: the write-behind failure refuses later puts with a readable error instead of crashing', async () => {
    const { s } = await startStore({ flushDiskType: 'ASYNC_FLUSH' });
    expect((await s.putMessage(message('W', 0, 'first'))).status).toBe('PUT_OK');
    breakWrites(s);
    await s.putMessage(message('W', 0, 'second'));
    // The write-behind (5 ms) or the periodic flush (50 ms in tests) meets the failure.
    await new Promise((r) => setTimeout(r, 150));
    const after = await s.putMessage(message('W', 0, 'third'));
    expect(after.status).toBe('SERVICE_NOT_AVAILABLE');
    const batch = await s.putMessages([message('W', 0, 'b1'), message('W', 0, 'b2')]);
    expect(batch.map((r) => r.status)).toEqual(['SERVICE_NOT_AVAILABLE', 'SERVICE_NOT_AVAILABLE']);
  });

  it('a failed ConsumeQueue fdatasync freezes the checkpoint, and the next start rebuilds what came after it', async () => {
    const { s, root } = await startStore({ flushDiskType: 'ASYNC_FLUSH' });
    const checkpoint = () => decodeCheckpoint(fs.readFileSync(path.join(root, 'store', 'checkpoint')));
    for (let i = 0; i < 3; i++) expect((await s.putMessage(message('Q', 0, `a${i}`))).status).toBe('PUT_OK');
    await s.flushLogics();
    const before = checkpoint().consumeQueueFlushedOffset;
    expect(before).toBeGreaterThan(0);

    const cq = (s as unknown as { queueFor(t: string, q: number): ConsumeQueue }).queueFor('Q', 0);
    const segment = cq.log.segments[0]!;
    const realFd = segment.fd;
    (segment as { fd: number }).fd = fs.openSync('/dev/null', 'r+'); // fdatasync there fails with EINVAL
    fds.push(realFd);
    expect((await s.putMessage(message('Q', 0, 'b0'))).status).toBe('PUT_OK');
    await expect(s.flushLogics()).rejects.toMatchObject({ code: 'EINVAL' });
    fs.closeSync(segment.fd);
    (segment as { fd: number }).fd = realFd;
    fds.pop();

    // Writes go on, later flushes succeed, but the checkpoint no longer moves, and shutdown keeps the abort marker.
    expect((await s.putMessage(message('Q', 0, 'b1'))).status).toBe('PUT_OK');
    await s.flushLogics();
    expect(checkpoint().consumeQueueFlushedOffset).toBe(before);
    await s.shutdown();
    expect(fs.existsSync(path.join(root, 'store', 'abort'))).toBe(true);

    const { s: again } = await startStore({ flushDiskType: 'ASYNC_FLUSH' }, root);
    const g = await again.getMessage('g', 'Q', 0, 0, 32, 1 << 20);
    expect(g.messages.map((m) => decodeRecord(m).body.toString())).toEqual(['a0', 'a1', 'a2', 'b0', 'b1']);
  });

  it('a failed ConsumeQueue write refuses later puts to that queue only, before anything is written', async () => {
    const { s } = await startStore({ flushDiskType: 'ASYNC_FLUSH' });
    expect((await s.putMessage(message('Q', 0, 'first'))).status).toBe('PUT_OK');
    expect((await s.putMessage(message('Q', 1, 'other'))).status).toBe('PUT_OK');
    await s.flushLogics();
    const cq = (s as unknown as { queueFor(t: string, q: number): ConsumeQueue }).queueFor('Q', 0);
    const segment = cq.log.segments[0]!;
    fds.push(segment.fd);
    (segment as { fd: number }).fd = fs.openSync(segment.path, 'r'); // writes fail with EBADF
    expect((await s.putMessage(message('Q', 0, 'entry-not-written'))).status).toBe('PUT_OK');
    await expect(s.flushLogics()).rejects.toMatchObject({ code: 'EBADF' });

    const maxBefore = s.getCommitLogMaxOffset();
    const refused = await s.putMessage(message('Q', 0, 'refused'));
    expect(refused.status).toBe('SERVICE_NOT_AVAILABLE');
    expect(refused.remark).toMatch(/consume queue Q:0 cannot be written \(EBADF/);
    expect(s.getCommitLogMaxOffset()).toBe(maxBefore); // nothing was appended for it
    expect((await s.putMessage(message('Q', 1, 'still-fine'))).status).toBe('PUT_OK');
  });
});
