import * as fs from 'node:fs';
import * as path from 'node:path';
import { RocketMQError } from '../common/errors.js';
import type { Checkpoint } from './checkpoint.js';

/** Name of the format marker in the store root. */
export const STORE_META_FILE = 'store.meta';
/** The format marker's `format` value. */
export const STORE_FORMAT = 'rocketmq-ts-store';
/** The on-disk format version this code writes and reads. */
export const STORE_FORMAT_VERSION = 1;

/** Contents of `<root>/store.meta` (JSON). */
export interface StoreMeta {
  format: string;
  version: number;
  mappedFileSizeCommitLog: number;
  mappedFileSizeConsumeQueue: number;
}

/**
 * Makes sure `root` is a store of ours before anything is written: an absent or empty directory becomes one (the
 * marker is written); a directory with other content and no marker, a marker of another format, a newer version,
 * or different segment sizes fail with a clear CONFIG_INVALID error instead of being overwritten.
 */
export function claimStoreDir(root: string, segmentSizes: { commitLog: number; consumeQueue: number }): StoreMeta {
  const metaPath = path.join(root, STORE_META_FILE);
  const wanted: StoreMeta = {
    format: STORE_FORMAT,
    version: STORE_FORMAT_VERSION,
    mappedFileSizeCommitLog: segmentSizes.commitLog,
    mappedFileSizeConsumeQueue: segmentSizes.consumeQueue,
  };
  if (!fs.existsSync(metaPath)) {
    const entries = fs.existsSync(root) ? fs.readdirSync(root) : [];
    if (entries.length > 0) {
      throw new RocketMQError(
        'CONFIG_INVALID',
        `storePathRootDir ${root} is not empty and has no ${STORE_META_FILE}: not a rocketmq-ts store, refusing to use it`,
      );
    }
    fs.mkdirSync(root, { recursive: true });
    fs.writeFileSync(metaPath, `${JSON.stringify(wanted, null, 2)}\n`);
    return wanted;
  }
  let meta: StoreMeta;
  try {
    meta = JSON.parse(fs.readFileSync(metaPath, 'utf8')) as StoreMeta;
  } catch (cause) {
    throw new RocketMQError('CONFIG_INVALID', `${metaPath} is not valid JSON`, { cause });
  }
  if (meta.format !== STORE_FORMAT) {
    throw new RocketMQError('CONFIG_INVALID', `${metaPath} names format ${JSON.stringify(meta.format)}, not ours`);
  }
  if (!Number.isInteger(meta.version) || meta.version > STORE_FORMAT_VERSION) {
    throw new RocketMQError(
      'CONFIG_INVALID',
      `store ${root} has format version ${meta.version}, newer than ${STORE_FORMAT_VERSION}: upgrade rocketmq-ts`,
    );
  }
  if (meta.mappedFileSizeCommitLog !== segmentSizes.commitLog) {
    throw new RocketMQError(
      'CONFIG_INVALID',
      `store ${root} was created with mappedFileSizeCommitLog=${meta.mappedFileSizeCommitLog}, configured ${segmentSizes.commitLog}`,
    );
  }
  if (meta.mappedFileSizeConsumeQueue !== segmentSizes.consumeQueue) {
    throw new RocketMQError(
      'CONFIG_INVALID',
      `store ${root} was created with mappedFileSizeConsumeQueue=${meta.mappedFileSizeConsumeQueue}, configured ${segmentSizes.consumeQueue}`,
    );
  }
  return meta;
}

/**
 * Takes `<root>/lock` (RocketMQ's name) holding this process id, so two stores never share a directory. A lock left
 * by a process that no longer exists (a crash) is taken over. Returns the function that releases it.
 */
export function acquireStoreLock(root: string): () => void {
  const lockPath = path.join(root, 'lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(lockPath, `${process.pid}\n`, { flag: 'wx' });
      return () => fs.rmSync(lockPath, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number.parseInt(fs.readFileSync(lockPath, 'utf8'), 10);
      if (Number.isInteger(owner) && processExists(owner)) {
        throw new RocketMQError('SYSTEM_ERROR', `store ${root} is in use by process ${owner} (${lockPath})`);
      }
      fs.rmSync(lockPath, { force: true });
    }
  }
  throw new RocketMQError('SYSTEM_ERROR', `cannot take ${lockPath}`);
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** How startup recovers. */
export interface RecoveryPlan {
  /** True after a crash (abort marker present, or no checkpoint for existing data). */
  crashed: boolean;
  /** CommitLog offset to start the verifying scan from (a record boundary). */
  scanFrom: number;
}

/**
 * After a clean shutdown the scan starts at the flushed end recorded in the checkpoint (so it finds nothing: fast
 * start). After a crash it starts at the oldest offset the checkpoint does not vouch for, i.e. the smallest of the
 * CommitLog, ConsumeQueue and index flushed offsets, and everything dispatched from there is rebuilt.
 */
export function planRecovery(
  abortExists: boolean,
  checkpoint: Checkpoint | undefined,
  commitLogMin: number,
  commitLogEnd: number,
): RecoveryPlan {
  const crashed = abortExists || checkpoint === undefined;
  let scanFrom = commitLogMin;
  if (checkpoint) {
    scanFrom = crashed
      ? Math.min(checkpoint.commitLogFlushedOffset, checkpoint.consumeQueueFlushedOffset, checkpoint.indexFlushedOffset)
      : checkpoint.commitLogFlushedOffset;
  }
  scanFrom = Math.min(Math.max(scanFrom, commitLogMin), Math.max(commitLogEnd, commitLogMin));
  return { crashed, scanFrom };
}
