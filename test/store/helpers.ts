import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { StoreConfig } from '../../src/store/config.js';
import { FileStore, type FileStoreOptions } from '../../src/store/file-store.js';
import type { MessageToStore } from '../../src/store/message-store.js';

/** A fresh temp dir; remove with {@link removeDir}. */
export function tempDir(prefix = 'rmq-store-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** Small sizes so segment rolls happen in tests. */
export function smallConfig(root: string, extra: Partial<StoreConfig> = {}): Partial<StoreConfig> {
  return {
    storePathRootDir: path.join(root, 'store'),
    mappedFileSizeCommitLog: 64 * 1024,
    mappedFileSizeConsumeQueue: 20 * 100,
    maxHashSlotNum: 64,
    maxIndexNum: 200,
    writeBufferSize: 16 * 1024,
    tailCacheChunks: 2,
    flushIntervalCommitLog: 50,
    flushIntervalConsumeQueue: 50,
    ...extra,
  };
}

export function newStore(root: string, extra: Partial<StoreConfig> = {}, options: FileStoreOptions = {}): FileStore {
  return new FileStore({
    ...options,
    config: smallConfig(root, extra),
    diskUsage: options.diskUsage ?? (async () => 0.1),
  });
}

/** A message with TAGS/KEYS/UNIQ_KEY properties. */
export function message(
  topic: string,
  queueId: number,
  body: string | Buffer,
  opts: { tags?: string; keys?: string[]; uniqKey?: string; sysFlag?: number } = {},
): MessageToStore {
  let props = '';
  if (opts.tags) props += `TAGS\u0001${opts.tags}\u0002`;
  if (opts.keys) props += `KEYS\u0001${opts.keys.join(' ')}\u0002`;
  if (opts.uniqKey) props += `UNIQ_KEY\u0001${opts.uniqKey}\u0002`;
  return {
    topic,
    queueId,
    flag: 0,
    sysFlag: opts.sysFlag ?? 0,
    bornTimestamp: 1_700_000_000_000,
    bornHost: { host: '10.0.0.1', port: 5555 },
    body: typeof body === 'string' ? Buffer.from(body) : body,
    properties: props,
    reconsumeTimes: 0,
    preparedTransactionOffset: 0,
    tags: opts.tags,
    keys: opts.keys,
    uniqKey: opts.uniqKey,
  };
}
