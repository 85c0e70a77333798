import * as fs from 'node:fs';
import * as path from 'node:path';
import { javaStringHashCode } from '../protocol/message/hash.js';
import { readLong, writeInt, writeLong } from './consume-queue.js';
import { datasync, readAt, writeFully } from './mapped-file.js';

/** Bytes of the IndexFile header (reference §5.8). */
export const INDEX_HEADER_SIZE = 40;
/** Bytes of one hash slot. */
export const INDEX_SLOT_SIZE = 4;
/** Bytes of one index item. */
export const INDEX_ITEM_SIZE = 20;
const SLOT_PAGE = 4096;
/** Dirty slot pages at most this many pages apart are written together. */
const SLOT_RUN_GAP = 16;
const ITEMS_PER_PENDING_CHUNK = 4096;

/** The 40-byte IndexFile header. */
export interface IndexHeader {
  beginTimestamp: number;
  endTimestamp: number;
  beginPhyOffset: number;
  endPhyOffset: number;
  hashSlotCount: number;
  /** Next item number; starts at 1 (item 0 is never used, 0 means "empty"). */
  indexCount: number;
}

/** One 20-byte index item. */
export interface IndexItem {
  keyHash: number;
  phyOffset: number;
  timeDiffSeconds: number;
  prevIndex: number;
}

/** `abs(hashCode(key))` with Integer.MIN_VALUE mapped to 0, as RocketMQ hashes index keys. */
export function indexKeyHash(key: string): number {
  return positiveHash(javaStringHashCode(key));
}

/**
 * `indexKeyHash(topic + '#' + key)` without building that string (the store indexes one or two keys per message):
 * Java's string hash is `h = 31 * h + char` over the characters in order, so it just continues over '#' and the key.
 */
export function topicKeyHash(topic: string, key: string): number {
  let h = 0;
  for (let i = 0; i < topic.length; i++) h = (Math.imul(h, 31) + topic.charCodeAt(i)) | 0;
  h = (Math.imul(h, 31) + 0x23) | 0;
  for (let i = 0; i < key.length; i++) h = (Math.imul(h, 31) + key.charCodeAt(i)) | 0;
  return positiveHash(h);
}

function positiveHash(h: number): number {
  return h === -0x80000000 ? 0 : Math.abs(h);
}

export function encodeIndexHeader(h: IndexHeader, buf: Buffer = Buffer.alloc(INDEX_HEADER_SIZE)): Buffer {
  buf.writeBigInt64BE(BigInt(h.beginTimestamp), 0);
  buf.writeBigInt64BE(BigInt(h.endTimestamp), 8);
  buf.writeBigInt64BE(BigInt(h.beginPhyOffset), 16);
  buf.writeBigInt64BE(BigInt(h.endPhyOffset), 24);
  buf.writeInt32BE(h.hashSlotCount, 32);
  buf.writeInt32BE(h.indexCount, 36);
  return buf;
}

export function decodeIndexHeader(buf: Buffer): IndexHeader {
  return {
    beginTimestamp: Number(buf.readBigInt64BE(0)),
    endTimestamp: Number(buf.readBigInt64BE(8)),
    beginPhyOffset: Number(buf.readBigInt64BE(16)),
    endPhyOffset: Number(buf.readBigInt64BE(24)),
    hashSlotCount: buf.readInt32BE(32),
    indexCount: buf.readInt32BE(36),
  };
}

export function encodeIndexItem(item: IndexItem, buf: Buffer, off: number): void {
  buf.writeInt32BE(item.keyHash, off);
  writeLong(buf, item.phyOffset, off + 4);
  buf.writeInt32BE(item.timeDiffSeconds, off + 12);
  buf.writeInt32BE(item.prevIndex, off + 16);
}

export function decodeIndexItem(buf: Buffer, off: number): IndexItem {
  return {
    keyHash: buf.readInt32BE(off),
    phyOffset: readLong(buf, off + 4),
    timeDiffSeconds: buf.readInt32BE(off + 12),
    prevIndex: buf.readInt32BE(off + 16),
  };
}

/** Local time as yyyyMMddHHmmssSSS, the IndexFile name. */
export function indexFileName(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}${p(d.getMilliseconds(), 3)}`;
}

/**
 * One IndexFile: header, `hashSlotNum` slots holding the newest item of each bucket, then `indexNum` linked items.
 * The file being written keeps its slot table in memory and its not-yet-written items in a pending list; a flush
 * writes items, then the dirty slot pages, then the header, then fdatasyncs. Older files are read positionally.
 */
export class IndexFile {
  readonly path: string;
  readonly hashSlotNum: number;
  readonly indexNum: number;
  readonly header: IndexHeader;
  private readonly fd: number;
  /** Slot table of a writable file; undefined once the file is full and flushed. */
  /** Big-endian slot table image (written to the file as it is). */
  private slots: Buffer | undefined;
  private readonly dirtyPages = new Set<number>();
  /** Items not yet written: item number `pendingBase + i` is at pending[i]. */
  private pending: Buffer[] = [];
  private pendingBase: number;
  private flushedHeader: Buffer;

  private constructor(file: string, hashSlotNum: number, indexNum: number, fd: number, header: IndexHeader) {
    this.path = file;
    this.hashSlotNum = hashSlotNum;
    this.indexNum = indexNum;
    this.fd = fd;
    this.header = header;
    this.pendingBase = header.indexCount;
    this.flushedHeader = encodeIndexHeader(header);
  }

  /** File size for these dimensions: 40 + slots*4 + items*20. */
  static fileSize(hashSlotNum: number, indexNum: number): number {
    return INDEX_HEADER_SIZE + hashSlotNum * INDEX_SLOT_SIZE + indexNum * INDEX_ITEM_SIZE;
  }

  /** Creates a new, empty, writable file. */
  static create(file: string, hashSlotNum: number, indexNum: number): IndexFile {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const fd = fs.openSync(file, 'wx+');
    fs.ftruncateSync(fd, IndexFile.fileSize(hashSlotNum, indexNum));
    const header: IndexHeader = {
      beginTimestamp: 0,
      endTimestamp: 0,
      beginPhyOffset: 0,
      endPhyOffset: 0,
      hashSlotCount: 0,
      indexCount: 1,
    };
    const f = new IndexFile(file, hashSlotNum, indexNum, fd, header);
    f.slots = Buffer.alloc(hashSlotNum * INDEX_SLOT_SIZE);
    return f;
  }

  /**
   * Opens an existing file. A `writable` file (the newest) gets its slot table in memory: read from disk after a
   * clean shutdown, rebuilt from the durable items after a crash (`rebuildSlots`), since slot pages may have
   * reached the disk ahead of the header that covers them.
   */
  static open(
    file: string,
    hashSlotNum: number,
    indexNum: number,
    writable: boolean,
    rebuildSlots: boolean,
  ): IndexFile {
    const fd = fs.openSync(file, 'r+');
    const size = fs.fstatSync(fd).size;
    const head = Buffer.alloc(INDEX_HEADER_SIZE);
    fs.readSync(fd, head, 0, INDEX_HEADER_SIZE, 0);
    const header = decodeIndexHeader(head);
    if (header.indexCount < 1) header.indexCount = 1;
    // The file carries its own dimensions: trust its size over the current configuration.
    let slotNum = hashSlotNum;
    let itemNum = indexNum;
    if (size !== IndexFile.fileSize(hashSlotNum, indexNum)) {
      itemNum = Math.max(header.indexCount, Math.floor((size - INDEX_HEADER_SIZE - slotNum * INDEX_SLOT_SIZE) / 20));
      if (size !== IndexFile.fileSize(slotNum, itemNum)) slotNum = 0;
    }
    const f = new IndexFile(file, slotNum, itemNum, fd, header);
    if (writable && slotNum > 0 && header.indexCount < itemNum) {
      const slots = Buffer.alloc(slotNum * INDEX_SLOT_SIZE);
      if (rebuildSlots) {
        f.rebuildSlots(slots);
        for (let p = 0; p < Math.ceil((slotNum * INDEX_SLOT_SIZE) / SLOT_PAGE); p++) f.dirtyPages.add(p);
      } else {
        fs.readSync(fd, slots, 0, slots.length, INDEX_HEADER_SIZE);
      }
      f.slots = slots;
    }
    return f;
  }

  /** True when no more item fits (or the file is read-only). */
  get isFull(): boolean {
    return this.slots === undefined || this.header.indexCount >= this.indexNum;
  }

  /** Adds `key` for the record at `phyOffset` stored at `storeTimestamp`. False when the file is full. */
  putKey(key: string, phyOffset: number, storeTimestamp: number): boolean {
    return this.putKeyHash(indexKeyHash(key), phyOffset, storeTimestamp);
  }

  /** {@link putKey} of a key whose {@link indexKeyHash} is `keyHash`. */
  putKeyHash(keyHash: number, phyOffset: number, storeTimestamp: number): boolean {
    const slots = this.slots;
    if (!slots || this.isFull) return false;
    const slot = keyHash % this.hashSlotNum;
    let prev = slots.readInt32BE(slot * INDEX_SLOT_SIZE);
    if (prev <= 0 || prev >= this.header.indexCount) prev = 0;
    if (this.header.indexCount <= 1) {
      this.header.beginTimestamp = storeTimestamp;
      this.header.beginPhyOffset = phyOffset;
    }
    const diff = Math.floor((storeTimestamp - this.header.beginTimestamp) / 1000);
    const timeDiffSeconds = Math.min(Math.max(diff, 0), 0x7fffffff);
    const index = this.header.indexCount;
    const local = index - this.pendingBase;
    const chunkNo = Math.floor(local / ITEMS_PER_PENDING_CHUNK);
    if (chunkNo >= this.pending.length) this.pending.push(Buffer.alloc(ITEMS_PER_PENDING_CHUNK * INDEX_ITEM_SIZE));
    const off = (local % ITEMS_PER_PENDING_CHUNK) * INDEX_ITEM_SIZE;
    const items = this.pending[chunkNo]!;
    writeInt(items, keyHash, off);
    writeLong(items, phyOffset, off + 4);
    writeInt(items, timeDiffSeconds, off + 12);
    writeInt(items, prev, off + 16);
    if (prev === 0) this.header.hashSlotCount++;
    writeInt(slots, index, slot * INDEX_SLOT_SIZE);
    this.dirtyPages.add(Math.floor((slot * INDEX_SLOT_SIZE) / SLOT_PAGE));
    this.header.indexCount++;
    this.header.endPhyOffset = phyOffset;
    this.header.endTimestamp = storeTimestamp;
    return true;
  }

  /** Offsets of records whose key hash matches `key` and whose store time is in [begin, end], newest first. */
  async lookup(key: string, maxNum: number, begin: number, end: number): Promise<number[]> {
    const out: number[] = [];
    if (this.hashSlotNum === 0) return out;
    const keyHash = indexKeyHash(key);
    const slot = keyHash % this.hashSlotNum;
    const count = this.header.indexCount;
    let cur = this.slots
      ? this.slots.readInt32BE(slot * INDEX_SLOT_SIZE)
      : (await readAt(this.fd, 4, INDEX_HEADER_SIZE + slot * 4)).readInt32BE(0);
    while (cur > 0 && cur < count && out.length < maxNum) {
      const item = await this.readItem(cur);
      if (!item) break;
      const time = this.header.beginTimestamp + item.timeDiffSeconds * 1000;
      if (item.keyHash === keyHash && time >= begin && time <= end) out.push(item.phyOffset);
      if (item.prevIndex <= 0 || item.prevIndex >= cur || time < begin) break;
      cur = item.prevIndex;
    }
    return out;
  }

  /** True when the file's time span overlaps [begin, end]. */
  overlaps(begin: number, end: number): boolean {
    return this.header.indexCount > 1 && this.header.beginTimestamp <= end && this.header.endTimestamp >= begin;
  }

  /** Writes pending items, dirty slot pages and the header, then fdatasyncs. Drops the slot table once full. */
  async flush(): Promise<void> {
    const count = this.header.indexCount;
    const header = encodeIndexHeader(this.header);
    const itemsToWrite = count - this.pendingBase;
    if (itemsToWrite > 0 || this.dirtyPages.size > 0 || !header.equals(this.flushedHeader)) {
      const itemsAt = INDEX_HEADER_SIZE + this.hashSlotNum * INDEX_SLOT_SIZE;
      for (let i = 0; i * ITEMS_PER_PENDING_CHUNK < itemsToWrite; i++) {
        const n = Math.min(ITEMS_PER_PENDING_CHUNK, itemsToWrite - i * ITEMS_PER_PENDING_CHUNK);
        const first = this.pendingBase + i * ITEMS_PER_PENDING_CHUNK;
        await writeFully(this.fd, this.pending[i]!, 0, n * INDEX_ITEM_SIZE, itemsAt + first * INDEX_ITEM_SIZE);
      }
      const slots = this.slots;
      if (slots) {
        // Dirty pages less than SLOT_RUN_GAP pages apart go out as one write straight from the slot image (the
        // clean pages in between are rewritten as they are): few large writes rather than thousands of small ones.
        const pages = [...this.dirtyPages].sort((a, b) => a - b);
        this.dirtyPages.clear();
        for (let i = 0; i < pages.length;) {
          let j = i;
          while (j + 1 < pages.length && pages[j + 1]! - pages[j]! <= SLOT_RUN_GAP) j++;
          const from = pages[i]! * SLOT_PAGE;
          const to = Math.min((pages[j]! + 1) * SLOT_PAGE, slots.length);
          await writeFully(this.fd, slots, from, to - from, INDEX_HEADER_SIZE + from);
          i = j + 1;
        }
      }
      await writeFully(this.fd, header, 0, INDEX_HEADER_SIZE, 0);
      await datasync(this.fd);
      this.flushedHeader = header;
      // Drop the written pending chunks that are complete.
      const doneChunks = Math.floor((count - this.pendingBase) / ITEMS_PER_PENDING_CHUNK);
      this.pending.splice(0, doneChunks);
      this.pendingBase += doneChunks * ITEMS_PER_PENDING_CHUNK;
    }
    if (this.header.indexCount >= this.indexNum && this.dirtyPages.size === 0) this.slots = undefined;
  }

  close(): void {
    try {
      fs.closeSync(this.fd);
    } catch {
      // already closed
    }
  }

  destroy(): void {
    this.close();
    fs.rmSync(this.path, { force: true });
  }

  /**
   * Recovery: forgets the items of records at or past CommitLog offset `phyOffset` (items are in CommitLog order),
   * rebuilding the slot table from the items kept. The file becomes writable again.
   */
  truncateFromPhyOffset(phyOffset: number): void {
    if (this.hashSlotNum === 0 || this.header.indexCount <= 1 || this.header.endPhyOffset < phyOffset) return;
    const itemsAt = INDEX_HEADER_SIZE + this.hashSlotNum * INDEX_SLOT_SIZE;
    const one = Buffer.alloc(INDEX_ITEM_SIZE);
    let keep = this.header.indexCount;
    let lastKept: IndexItem | undefined;
    while (keep > 1) {
      fs.readSync(this.fd, one, 0, INDEX_ITEM_SIZE, itemsAt + (keep - 1) * INDEX_ITEM_SIZE);
      const item = decodeIndexItem(one, 0);
      if (item.phyOffset < phyOffset) {
        lastKept = item;
        break;
      }
      keep--;
    }
    this.header.indexCount = keep;
    this.header.endPhyOffset = lastKept ? lastKept.phyOffset : 0;
    this.header.endTimestamp = lastKept ? this.header.beginTimestamp + lastKept.timeDiffSeconds * 1000 : 0;
    this.pending = [];
    this.pendingBase = keep;
    const slots = Buffer.alloc(this.hashSlotNum * INDEX_SLOT_SIZE);
    this.rebuildSlots(slots);
    let used = 0;
    for (let i = 0; i < this.hashSlotNum; i++) if (slots.readInt32BE(i * INDEX_SLOT_SIZE) > 0) used++;
    this.header.hashSlotCount = used;
    for (let p = 0; p < Math.ceil((this.hashSlotNum * INDEX_SLOT_SIZE) / SLOT_PAGE); p++) this.dirtyPages.add(p);
    this.slots = slots;
  }

  private async readItem(index: number): Promise<IndexItem | undefined> {
    if (index >= this.pendingBase) {
      const local = index - this.pendingBase;
      const chunk = this.pending[Math.floor(local / ITEMS_PER_PENDING_CHUNK)];
      if (chunk) return decodeIndexItem(chunk, (local % ITEMS_PER_PENDING_CHUNK) * INDEX_ITEM_SIZE);
    }
    const at = INDEX_HEADER_SIZE + this.hashSlotNum * INDEX_SLOT_SIZE + index * INDEX_ITEM_SIZE;
    const buf = await readAt(this.fd, INDEX_ITEM_SIZE, at);
    return buf.length === INDEX_ITEM_SIZE ? decodeIndexItem(buf, 0) : undefined;
  }

  private rebuildSlots(slots: Buffer): void {
    const itemsAt = INDEX_HEADER_SIZE + this.hashSlotNum * INDEX_SLOT_SIZE;
    const batch = 65536;
    const buf = Buffer.alloc(batch * INDEX_ITEM_SIZE);
    for (let first = 1; first < this.header.indexCount; first += batch) {
      const n = Math.min(batch, this.header.indexCount - first);
      fs.readSync(this.fd, buf, 0, n * INDEX_ITEM_SIZE, itemsAt + first * INDEX_ITEM_SIZE);
      for (let i = 0; i < n; i++) {
        slots.writeInt32BE(first + i, (buf.readInt32BE(i * INDEX_ITEM_SIZE) % this.hashSlotNum) * INDEX_SLOT_SIZE);
      }
    }
  }
}
