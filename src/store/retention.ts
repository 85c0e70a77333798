import * as fs from 'node:fs';
import type { Logger } from '../common/logger.js';
import type { CommitLog } from './commitlog.js';

/** Disk use of the file system holding `path`, as a ratio in [0, 1]. */
export type DiskUsageProbe = (path: string) => Promise<number>;

/** The real probe: statfs on Node 20. */
export const statfsDiskUsage: DiskUsageProbe = async (path) => {
  const s = await fs.promises.statfs(path);
  return s.blocks > 0 ? 1 - s.bavail / s.blocks : 0;
};

/** Settings of {@link RetentionService} (the store's keys). */
export interface RetentionSettings {
  fileReservedTimeHours: number;
  diskMaxUsedSpaceRatio: number;
  diskSpaceHardLimitRatio: number;
  deleteIntervalMs: number;
  checkIntervalMs: number;
}

/**
 * Deletes CommitLog segments continuously rather than in one burst at `deleteWhen`: every check, the oldest
 * segment is removed if it has not been written for `fileReservedTime` hours, or early while disk use is past
 * `diskMaxUsedSpaceRatio`; one segment at a time with a pause between deletions. Past the hard watermark the
 * store stops accepting writes until deletion brings use back under it. The active segment is never deleted.
 */
export class RetentionService {
  /** Last measured disk use ratio. */
  diskRatio = 0;
  /** False while disk use is past the hard watermark. */
  writable = true;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;
  private stopped = false;

  constructor(
    private readonly commitLog: CommitLog,
    private readonly storePath: string,
    private readonly settings: RetentionSettings,
    private readonly clock: () => number,
    private readonly probe: DiskUsageProbe,
    private readonly afterDelete: () => Promise<void>,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.stopped = false;
    this.timer = setInterval(() => void this.runOnce().catch(() => undefined), this.settings.checkIntervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** One pass: measures the disk, then deletes segments while they are expired or the disk is too full. */
  runOnce(): Promise<number> {
    this.running ??= this.pass().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Measures disk use and updates `writable`. */
  async measure(): Promise<number> {
    try {
      this.diskRatio = await this.probe(this.storePath);
    } catch (err) {
      this.logger.warn({ err }, 'disk usage probe failed');
      return this.diskRatio;
    }
    const writable = this.diskRatio * 100 < this.settings.diskSpaceHardLimitRatio;
    if (writable !== this.writable) {
      if (writable) this.logger.info({ ratio: this.diskRatio }, 'disk use back under the hard limit: writes resume');
      else this.logger.error({ ratio: this.diskRatio }, 'disk use past the hard limit: refusing writes');
    }
    this.writable = writable;
    return this.diskRatio;
  }

  private async pass(): Promise<number> {
    let ratio = await this.measure();
    let deleted = 0;
    const reservedMs = this.settings.fileReservedTimeHours * 3600 * 1000;
    while (!this.stopped) {
      const segs = this.commitLog.log.segments;
      const oldest = segs[0];
      if (!oldest || segs.length < 2) break;
      // Never the active segment, nor data not yet durable.
      if (oldest.endOffset > this.commitLog.flushedOffset || oldest.endOffset > this.commitLog.maxOffset) break;
      const expired = this.clock() - oldest.mtimeMs() >= reservedMs;
      const force = ratio * 100 >= this.settings.diskMaxUsedSpaceRatio;
      if (!expired && !force) break;
      this.logger.info(
        { segment: oldest.path, expired, diskRatio: ratio },
        force && !expired ? 'deleting commitlog segment early: disk use high' : 'deleting expired commitlog segment',
      );
      this.commitLog.log.deleteFirstSegment();
      deleted++;
      await this.afterDelete();
      if (this.settings.deleteIntervalMs > 0) await new Promise((r) => setTimeout(r, this.settings.deleteIntervalMs));
      ratio = await this.measure();
    }
    return deleted;
  }
}
