import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeRecords } from '../../src/protocol/message/record.js';
import { decodeCheckpoint } from '../../src/store/checkpoint.js';
import { decodeConsumeQueueEntry } from '../../src/store/consume-queue.js';
import { decodeIndexHeader } from '../../src/store/index-file.js';
import { message, newStore, removeDir, tempDir } from './helpers.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) removeDir(d);
});

describe('recovery over random damage (fast-check)', () => {
  it('never throws, serves only CRC-valid records, and keeps everything before the damage', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 59 }),
        fc.array(fc.tuple(fc.nat(4000), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
        async (damagedIndex, edits) => {
          const root = tempDir();
          dirs.push(root);
          const s = newStore(root);
          await s.start();
          const puts = [];
          for (let i = 0; i < 60; i++) puts.push(await s.putMessage(message('Z', 0, `z${i}-${'q'.repeat(i * 7)}`)));
          await s.shutdown();
          const from = puts[damagedIndex]!.physicalOffset;
          const file = path.join(root, 'store', 'commitlog', '00000000000000000000');
          const fd = fs.openSync(file, 'r+');
          for (const [delta, value] of edits) fs.writeSync(fd, Buffer.from([value]), 0, 1, from + delta);
          fs.closeSync(fd);
          fs.writeFileSync(path.join(root, 'store', 'abort'), '');
          fs.rmSync(path.join(root, 'store', 'checkpoint'));
          const r = newStore(root);
          await r.start();
          try {
            const g = await r.getMessage('g', 'Z', 0, 0, 100, 1 << 24);
            const bodies = decodeRecords(Buffer.concat(g.messages), { checkCrc: true }).map((x) => x.body.toString());
            expect(bodies.length).toBeGreaterThanOrEqual(damagedIndex);
            bodies.forEach((b, i) => {
              expect(b).toBe(`z${i}-${'q'.repeat(i * 7)}`);
            });
            expect((await r.putMessage(message('Z', 0, 'ok'))).status).toBe('PUT_OK');
          } finally {
            await r.shutdown();
            removeDir(root);
          }
        },
      ),
      { numRuns: 12 },
    );
  });

  it('decodes any bytes as ConsumeQueue entries, index headers and checkpoints without throwing', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 40, maxLength: 4096 }), (bytes) => {
        const buf = Buffer.from(bytes);
        expect(decodeConsumeQueueEntry(buf, 0).size).toBeTypeOf('number');
        expect(decodeIndexHeader(buf).indexCount).toBeTypeOf('number');
        const cp = decodeCheckpoint(buf);
        expect(Object.values(cp).every((v) => Number.isSafeInteger(v) && v >= 0)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});
