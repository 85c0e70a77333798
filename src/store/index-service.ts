import * as fs from 'node:fs';
import * as path from 'node:path';
import { IndexFile, indexFileName, topicKeyHash } from './index-file.js';

/**
 * The IndexFiles of a store (`<root>/index/<yyyyMMddHHmmssSSS>`): adds `topic#key` for every key of each dispatched
 * record, rolls to a new file when one is full, answers lookups across files newest first, and removes files whose
 * records have all left the CommitLog.
 */
export class IndexService {
  readonly dir: string;
  private files: IndexFile[] = [];
  private readonly unflushed = new Set<IndexFile>();
  private flushChain: Promise<unknown> = Promise.resolve();
  /** A flush waiting to start, shared by callers arriving meanwhile. */
  private queuedFlush: Promise<void> | null = null;

  constructor(
    rootDir: string,
    private readonly hashSlotNum: number,
    private readonly indexNum: number,
    private readonly clock: () => number,
  ) {
    this.dir = path.join(rootDir, 'index');
  }

  /** Opens the existing files; after a crash the newest one's slot table is rebuilt from its durable items. */
  load(crashed: boolean): void {
    if (!fs.existsSync(this.dir)) return;
    const names = fs
      .readdirSync(this.dir)
      .filter((n) => /^\d{17}$/.test(n))
      .sort();
    names.forEach((name, i) => {
      const last = i === names.length - 1;
      this.files.push(
        IndexFile.open(path.join(this.dir, name), this.hashSlotNum, this.indexNum, last, crashed && last),
      );
    });
  }

  /** CommitLog offset of the newest indexed record (re-dispatch skips records at or before it). */
  get lastIndexedPhyOffset(): number {
    const last = this.files.at(-1);
    return last && last.header.indexCount > 1 ? last.header.endPhyOffset : -1;
  }

  /** Store time of the newest indexed record, 0 when none. */
  get lastIndexedTimestamp(): number {
    return this.files.at(-1)?.header.endTimestamp ?? 0;
  }

  /** Indexes `topic#uniqKey` and `topic#key` for each non-empty key of the record at `phyOffset`. */
  buildIndex(
    topic: string,
    uniqKey: string | undefined,
    keys: readonly string[] | undefined,
    phyOffset: number,
    storeTimestamp: number,
  ): void {
    if (phyOffset <= this.lastIndexedPhyOffset) return;
    if (uniqKey) this.addKey(topicKeyHash(topic, uniqKey), phyOffset, storeTimestamp);
    if (keys)
      for (const key of keys) if (key.length > 0) this.addKey(topicKeyHash(topic, key), phyOffset, storeTimestamp);
  }

  private addKey(keyHash: number, phyOffset: number, storeTimestamp: number): void {
    let file = this.writableFile();
    if (!file.putKeyHash(keyHash, phyOffset, storeTimestamp)) {
      file = this.rollFile();
      file.putKeyHash(keyHash, phyOffset, storeTimestamp);
    }
    this.unflushed.add(file);
  }

  /** CommitLog offsets of records indexed under `topic#key` with store time in [begin, end], newest first. */
  async query(topic: string, key: string, maxNum: number, begin: number, end: number): Promise<number[]> {
    const out: number[] = [];
    const seen = new Set<number>();
    for (let i = this.files.length - 1; i >= 0 && out.length < maxNum; i--) {
      const f = this.files[i]!;
      if (!f.overlaps(begin, end)) continue;
      for (const off of await f.lookup(`${topic}#${key}`, maxNum - out.length, begin, end)) {
        if (!seen.has(off)) {
          seen.add(off);
          out.push(off);
        }
      }
    }
    return out;
  }

  /** Flushes every file with unwritten changes. */
  flush(): Promise<void> {
    if (this.queuedFlush) return this.queuedFlush;
    const run = this.flushChain.then(async () => {
      this.queuedFlush = null;
      const files = [...this.unflushed];
      this.unflushed.clear();
      for (const f of files) await f.flush();
    });
    this.queuedFlush = run;
    this.flushChain = run.catch(() => undefined);
    return run;
  }

  /** Removes files (never the newest) whose records all precede `commitLogMinOffset`. Returns how many. */
  deleteExpired(commitLogMinOffset: number): number {
    let removed = 0;
    while (this.files.length > 1 && this.files[0]!.header.endPhyOffset < commitLogMinOffset) {
      const f = this.files.shift()!;
      this.unflushed.delete(f);
      f.destroy();
      removed++;
    }
    return removed;
  }

  /** Recovery: drops index entries of records at or past `phyOffset` (the CommitLog was truncated there). */
  truncateFromPhyOffset(phyOffset: number): void {
    while (this.files.length > 0) {
      const last = this.files.at(-1)!;
      if (last.header.indexCount > 1 && last.header.beginPhyOffset >= phyOffset) {
        this.files.pop();
        last.destroy();
        continue;
      }
      if (last.header.endPhyOffset >= phyOffset) {
        last.truncateFromPhyOffset(phyOffset);
        this.unflushed.add(last);
      }
      break;
    }
  }

  /** Number of index files. */
  get fileCount(): number {
    return this.files.length;
  }

  close(): void {
    for (const f of this.files) f.close();
  }

  private writableFile(): IndexFile {
    const last = this.files.at(-1);
    return last && !last.isFull ? last : this.rollFile();
  }

  private rollFile(): IndexFile {
    fs.mkdirSync(this.dir, { recursive: true });
    let t = this.clock();
    while (fs.existsSync(path.join(this.dir, indexFileName(t)))) t++;
    const f = IndexFile.create(path.join(this.dir, indexFileName(t)), this.hashSlotNum, this.indexNum);
    this.files.push(f);
    return f;
  }
}
