/**
 * A timer store killed with SIGKILL in the middle of deliveries: after a restart every acknowledged timer message is
 * delivered (at least once — a tick delivered after the last checkpoint may be delivered again, never more than
 * twice), and none before its time.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { TimerMessageService } from '../../../src/broker/timer/timer-message-service.js';
import { silentLogger } from '../../../src/common/logger.js';
import { decodeProperties } from '../../../src/protocol/message/properties.js';
import { decodeRecord } from '../../../src/protocol/message/record.js';
import { FileStore } from '../../../src/store/file-store.js';
import { removeDir, smallConfig, tempDir } from '../../store/helpers.js';

const fixture = fileURLToPath(new URL('./fixtures/timer-crash-child.ts', import.meta.url));
const children: ChildProcess[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  for (const d of dirs.splice(0)) removeDir(d);
});

/** Runs the child until `killAfterMs` after it finished sending; resolves with the acknowledged bodies. */
function runChild(root: string, count: number, killAfterMs: number): Promise<Map<string, number>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fixture, root, String(count)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(child);
    const acked = new Map<string, number>();
    let buffered = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        const [tag, body, at] = line.split(' ');
        if (tag === 'ACK') acked.set(body!, Number(at));
        if (tag === 'SENT') setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      }
    });
    child.on('exit', () => resolve(acked));
    child.on('error', reject);
  });
}

describe('timer store crash', () => {
  it('delivers every acknowledged timer after a SIGKILL mid-delivery, at most twice, none early', async () => {
    const root = tempDir('timer-crash-');
    dirs.push(root);
    const acked = await runChild(root, 300, 1500);
    expect(acked.size).toBe(300);

    const store = new FileStore({ config: smallConfig(root), diskUsage: async () => 0.1 });
    await store.start();
    const timer = new TimerMessageService({
      store,
      rootDir: join(root, 'store'),
      config: {
        timerPrecisionMs: 1000,
        timerRollWindowSlot: 172_800,
        timerFlushIntervalMs: 100,
        mappedFileSizeTimerLog: 52 * 64,
      },
      fileReservedTimeHours: 72,
      logger: silentLogger,
    });
    try {
      await timer.start();
      const lastDue = Math.max(...acked.values());
      const seen = new Map<string, number>();
      const deadline = Date.now() + 15_000;
      while (Date.now() < deadline) {
        seen.clear();
        const res = await store.getMessage('G', 'CrashReal', 0, 0, 2000, 64 << 20);
        for (const m of res.messages) {
          const rec = decodeRecord(m);
          const body = rec.body.toString();
          seen.set(body, (seen.get(body) ?? 0) + 1);
          // stored (delivered) no earlier than asked
          expect(rec.storeTimestamp).toBeGreaterThanOrEqual(acked.get(body)!);
          expect(decodeProperties(rec.properties).REAL_TOPIC).toBeUndefined();
        }
        if (Date.now() > lastDue + 1500 && [...acked.keys()].every((b) => seen.has(b))) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      const missing = [...acked.keys()].filter((b) => !seen.has(b));
      expect(missing).toEqual([]);
      expect(Math.max(...seen.values())).toBeLessThanOrEqual(2);
      expect(timer.stats().lost).toBe(0);
    } finally {
      await timer.shutdown();
      await store.shutdown();
    }
  }, 30_000);
});
