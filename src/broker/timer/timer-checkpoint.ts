/**
 * `config/timercheck`: the timer store's progress, the fields Java's TimerCheckpoint keeps, as big-endian int64s in
 * this order: lastReadTimeMs, lastTimerLogFlushPos, lastTimerQueueOffset, masterTimerQueueOffset, then the data
 * version (stateVersion, timestamp, counter). Written to a temporary file, fsynced and renamed over the old one.
 */
import * as fs from 'node:fs';
import { dirname } from 'node:path';

/** Timer progress as persisted. */
export interface TimerCheckpoint {
  /** Every slot before this time (ms) is delivered (and the deliveries flushed). */
  lastReadTimeMs: number;
  /** TimerLog bytes up to here are flushed and consistent with lastTimerQueueOffset. */
  lastTimerLogFlushPos: number;
  /** Next offset of the timer topic's queue to enqueue into the wheel. */
  lastTimerQueueOffset: number;
  /** Replication progress (kept equal to lastTimerQueueOffset on a master). */
  masterTimerQueueOffset: number;
  stateVersion: number;
  timestamp: number;
  counter: number;
}

const FIELDS = 7;

/** Reads the checkpoint; undefined when the file is absent or too short. */
export async function loadTimerCheckpoint(path: string): Promise<TimerCheckpoint | undefined> {
  let buf: Buffer;
  try {
    buf = await fs.promises.readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  if (buf.length < FIELDS * 8) return undefined;
  const n = (i: number) => Number(buf.readBigInt64BE(i * 8));
  return {
    lastReadTimeMs: n(0),
    lastTimerLogFlushPos: n(1),
    lastTimerQueueOffset: n(2),
    masterTimerQueueOffset: n(3),
    stateVersion: n(4),
    timestamp: n(5),
    counter: n(6),
  };
}

/** Writes the checkpoint atomically. */
export async function saveTimerCheckpoint(path: string, cp: TimerCheckpoint): Promise<void> {
  const buf = Buffer.alloc(FIELDS * 8);
  const values = [
    cp.lastReadTimeMs,
    cp.lastTimerLogFlushPos,
    cp.lastTimerQueueOffset,
    cp.masterTimerQueueOffset,
    cp.stateVersion,
    cp.timestamp,
    cp.counter,
  ];
  for (let i = 0; i < values.length; i++) buf.writeBigInt64BE(BigInt(values[i]!), i * 8);
  await fs.promises.mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp`;
  const handle = await fs.promises.open(tmp, 'w');
  try {
    await handle.write(buf, 0, buf.length, 0);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.promises.rename(tmp, path);
}
