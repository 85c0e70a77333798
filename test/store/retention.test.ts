import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeRecords } from '../../src/protocol/message/record.js';
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

const HOUR = 3600 * 1000;

async function filledStore(opts: { clock: () => number; disk: () => number }) {
  const root = tempDir();
  dirs.push(root);
  const store = newStore(
    root,
    { maxIndexNum: 100, deleteCommitLogFilesInterval: 1, cleanResourceInterval: 3_600_000 },
    { clock: opts.clock, diskUsage: async () => opts.disk() },
  );
  await store.start();
  stores.push(store);
  for (let i = 0; i < 600; i++) {
    const r = await store.putMessage(message('Ret', 0, `n${i}-${'z'.repeat(400)}`, { keys: [`k${i}`] }));
    expect(r.status).toBe('PUT_OK');
  }
  await store.flush();
  return { store, root: path.join(root, 'store') };
}

describe('retention', () => {
  it('deletes expired CommitLog segments one by one, then ConsumeQueue and index files whose data is gone', async () => {
    let now = Date.now();
    const { store, root } = await filledStore({ clock: () => now, disk: () => 0.1 });
    const segmentsBefore = fs.readdirSync(path.join(root, 'commitlog')).length;
    const cqFilesBefore = fs.readdirSync(path.join(root, 'consumequeue', 'Ret', '0')).length;
    const indexFilesBefore = fs.readdirSync(path.join(root, 'index')).length;
    expect(segmentsBefore).toBeGreaterThan(3);
    expect(await store.runRetention()).toBe(0); // nothing is 72 h old yet

    now += 73 * HOUR;
    const deleted = await store.runRetention();
    expect(deleted).toBe(segmentsBefore - 1); // the active segment stays
    const remaining = fs.readdirSync(path.join(root, 'commitlog'));
    expect(remaining).toHaveLength(1);
    expect(store.getCommitLogMinOffset()).toBe(Number(remaining[0]));
    expect(fs.readdirSync(path.join(root, 'consumequeue', 'Ret', '0')).length).toBeLessThan(cqFilesBefore);
    expect(fs.readdirSync(path.join(root, 'index')).length).toBeLessThan(indexFilesBefore);

    const min = store.getMinOffsetInQueue('Ret', 0);
    expect(min).toBeGreaterThan(0);
    const tooSmall = await store.getMessage('g', 'Ret', 0, 0, 10, 1 << 20);
    expect(tooSmall.status).toBe('OFFSET_TOO_SMALL');
    expect(tooSmall.nextBeginOffset).toBe(min);
    const first = await store.getMessage('g', 'Ret', 0, min, 1, 1 << 20);
    expect(first.status).toBe('FOUND');
    expect(decodeRecords(first.messages[0]!)[0]!.body.toString()).toMatch(new RegExp(`^n${min}-`));
    expect((await store.queryMessage('Ret', 'k599', 1, 0, now)).messages).toHaveLength(1);
    expect((await store.queryMessage('Ret', 'k0', 1, 0, now)).messages).toHaveLength(0);
    expect((await store.putMessage(message('Ret', 0, 'more'))).queueOffset).toBe(600);
  });

  it('deletes early past diskMaxUsedSpaceRatio and refuses writes past the hard limit while reads go on', async () => {
    let ratio = 0.1;
    const { store, root } = await filledStore({ clock: () => Date.now(), disk: () => ratio });
    const segmentsBefore = fs.readdirSync(path.join(root, 'commitlog')).length;

    ratio = 0.8; // past 75 %: delete before expiry until use falls back
    let calls = 0;
    const probe = (store as unknown as { retention: { probe: () => Promise<number> } }).retention;
    probe.probe = async () => (++calls > 2 ? 0.5 : ratio);
    const deleted = await store.runRetention();
    expect(deleted).toBe(2);
    expect(fs.readdirSync(path.join(root, 'commitlog'))).toHaveLength(segmentsBefore - 2);

    probe.probe = async () => 0.95; // past the 90 % hard limit
    await store.runRetention();
    const refused = await store.putMessage(message('Ret', 0, 'no room'));
    expect(refused.status).toBe('SERVICE_NOT_AVAILABLE');
    expect(refused.remark).toMatch(/disk full/);
    expect(store.stats().writable).toBe(false);
    const read = await store.getMessage('g', 'Ret', 0, store.getMinOffsetInQueue('Ret', 0), 5, 1 << 20);
    expect(read.status).toBe('FOUND');

    probe.probe = async () => 0.2;
    await store.runRetention();
    expect((await store.putMessage(message('Ret', 0, 'room again'))).status).toBe('PUT_OK');
  });
});
