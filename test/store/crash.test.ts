import { type ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeRecords } from '../../src/protocol/message/record.js';
import { FileStore } from '../../src/store/file-store.js';
import { removeDir, smallConfig, tempDir } from './helpers.js';

const fixture = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'burst-writer.ts');

interface Ack {
  seq: number;
  queueOffset: number;
  phy: number;
  size: number;
}

let dirs: string[] = [];
let children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  for (const d of dirs) removeDir(d);
  children = [];
  dirs = [];
});

/** Runs the writer until it has acknowledged `acks` messages (or 4 s passed), then SIGKILLs it. */
function burstThenKill(root: string, mode: string, acks: number): Promise<Ack[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fixture, root, mode], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    const seen: Ack[] = [];
    let buffered = '';
    let stderr = '';
    let killTimer: NodeJS.Timeout | undefined;
    const kill = () => {
      if (child.exitCode === null) child.kill('SIGKILL');
    };
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        if (line === 'READY') killTimer = setTimeout(kill, 4000);
        const m = /^ACK (\d+) (\d+) (\d+) (\d+)$/.exec(line);
        if (m) seen.push({ seq: +m[1]!, queueOffset: +m[2]!, phy: +m[3]!, size: +m[4]! });
      }
      if (seen.length >= acks) kill();
    });
    child.stderr!.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.on('exit', (_code, signal) => {
      if (killTimer) clearTimeout(killTimer);
      if (signal !== 'SIGKILL') reject(new Error(`writer exited on its own: ${stderr}`));
      else resolve(seen);
    });
  });
}

async function reopenAndCheck(root: string, mode: 'SYNC_FLUSH' | 'ASYNC_FLUSH', acks: Ack[]) {
  const store = new FileStore({
    config: smallConfig(root, { flushDiskType: mode }),
    diskUsage: async () => 0.1,
  });
  await store.start();
  try {
    const max = store.getMaxOffsetInQueue('Crash', 0);
    const bySeq = new Map<number, number>();
    let offset = 0;
    while (offset < max) {
      const g = await store.getMessage('g', 'Crash', 0, offset, 64, 1 << 20);
      expect(g.status).toBe('FOUND');
      // Every served record decodes with a valid body CRC, and queue offsets are contiguous.
      const recs = decodeRecords(Buffer.concat(g.messages), { checkCrc: true });
      recs.forEach((r, i) => {
        expect(r.queueOffset).toBe(offset + i);
        if (r.body.toString() === 'after') return;
        const seq = Number(/^seq-(\d+)-/.exec(r.body.toString())![1]);
        expect(r.body.toString()).toBe(`seq-${seq}-${'d'.repeat(seq % 300)}`);
        bySeq.set(seq, r.queueOffset);
      });
      offset = g.nextBeginOffset;
    }
    const end = store.getCommitLogMaxOffset();
    const lost = acks.filter((a) => bySeq.get(a.seq) !== a.queueOffset);
    // The store keeps accepting writes, right after the recovered tail.
    const after = await store.putMessage({
      topic: 'Crash',
      queueId: 0,
      flag: 0,
      sysFlag: 0,
      bornTimestamp: Date.now(),
      bornHost: { host: '127.0.0.1', port: 1 },
      body: Buffer.from('after'),
      properties: '',
      reconsumeTimes: 0,
      preparedTransactionOffset: 0,
    });
    expect(after.status).toBe('PUT_OK');
    expect(after.queueOffset).toBe(max);
    const first = acks.find((a) => a.seq === lost[0]?.seq);
    return {
      lost,
      end,
      max,
      first,
      keyHit: (await store.queryMessage('Crash', `k${acks[0]!.seq}`, 4, 0, Date.now())).messages.length,
    };
  } finally {
    await store.shutdown();
  }
}

describe('crash recovery after SIGKILL during a write burst', () => {
  it('SYNC_FLUSH: every acknowledged message survives', async () => {
    const root = tempDir();
    dirs.push(root);
    const acks = await burstThenKill(root, 'SYNC_FLUSH', 400);
    expect(acks.length).toBeGreaterThan(50);
    const { lost, keyHit } = await reopenAndCheck(root, 'SYNC_FLUSH', acks);
    expect(lost).toEqual([]);
    expect(keyHit).toBe(1);
    // A second crash-restart cycle on the same directory still works.
    const again = await burstThenKill(root, 'SYNC_FLUSH', 100);
    expect((await reopenAndCheck(root, 'SYNC_FLUSH', again)).lost).toEqual([]);
  });

  it('ASYNC_FLUSH: the loss is bounded by the unwritten tail and nothing corrupt is served', async () => {
    const root = tempDir();
    dirs.push(root);
    const acks = await burstThenKill(root, 'ASYNC_FLUSH', 3000);
    expect(acks.length).toBeGreaterThan(100);
    const { lost, end } = await reopenAndCheck(root, 'ASYNC_FLUSH', acks);
    // Lost acknowledged messages all lie past the recovered end (a tail, never a hole)...
    for (const a of lost) expect(a.phy + a.size).toBeGreaterThan(end);
    // ...and amount to at most what the write-behind may hold in memory (2 chunks of 8 KiB plus one in flight).
    const lostBytes = lost.reduce((n, a) => n + a.size, 0);
    expect(lostBytes).toBeLessThanOrEqual(3 * 8 * 1024);
  });
});
