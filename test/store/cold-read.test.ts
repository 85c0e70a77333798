import { afterEach, describe, expect, it } from 'vitest';
import { decodeRecord } from '../../src/protocol/message/record.js';
import type { FileStore } from '../../src/store/file-store.js';
import { message, newStore, removeDir, tempDir } from './helpers.js';

let dirs: string[] = [];
let stores: FileStore[] = [];

afterEach(async () => {
  for (const s of stores) await s.shutdown();
  for (const d of dirs) removeDir(d);
  stores = [];
  dirs = [];
});

const QUEUES = 8;
const PER_QUEUE = 700;
/** Bodies of varying length, so records straddle the 1 MiB read blocks at varying offsets. */
const body = (q: number, i: number) => `q${q}-m${i}-${'z'.repeat(900 + ((i * 37 + q * 11) % 700))}`;

describe('cold reads of interleaved queues', () => {
  it('serves every record of every queue from the files, pulled side by side as a draining consumer does', async () => {
    const root = tempDir();
    dirs.push(root);
    // 4 MiB segments (several 1 MiB read blocks each), one 16 KiB chunk kept in memory: nearly everything is cold
    const store = newStore(root, { mappedFileSizeCommitLog: 4 * 1024 * 1024, tailCacheChunks: 1 });
    stores.push(store);
    await store.start();
    for (let i = 0; i < PER_QUEUE; i++) {
      for (let q = 0; q < QUEUES; q++) await store.putMessage(message('Cold', q, body(q, i)));
    }
    await store.flush();

    for (let pass = 0; pass < 2; pass++) {
      // every queue pulls 32 at a time, all queues at once, until each has read everything
      const next = new Array<number>(QUEUES).fill(0);
      const got: string[][] = Array.from({ length: QUEUES }, () => []);
      let coldPulls = 0;
      while (next.some((n) => n < PER_QUEUE)) {
        const results = await Promise.all(
          next.map((offset, q) =>
            offset < PER_QUEUE ? store.getMessage('g', 'Cold', q, offset, 32, 1 << 20) : undefined,
          ),
        );
        results.forEach((r, q) => {
          if (r === undefined) return;
          expect(r.status).toBe('FOUND');
          if (r.fromDisk) coldPulls++;
          for (const rec of r.messages) got[q]!.push(decodeRecord(rec).body.toString());
          next[q] = r.nextBeginOffset;
        });
      }
      for (let q = 0; q < QUEUES; q++) {
        expect(got[q]).toEqual(Array.from({ length: PER_QUEUE }, (_, i) => body(q, i)));
      }
      expect(coldPulls).toBeGreaterThan(QUEUES * 10);
    }
  });
});
