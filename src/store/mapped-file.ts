import * as fs from 'node:fs';
import * as path from 'node:path';
import { RocketMQError } from '../common/errors.js';

/**
 * One fixed-size segment file, named by the 20-digit zero-padded offset of its first byte (RocketMQ's naming:
 * `00000000000000000000`, `00000000001073741824`, …). Node has no mmap: the file is preallocated to its full size
 * with ftruncate and accessed with positional reads and writes on its descriptor.
 */
export class SegmentFile {
  /** Absolute offset of the first byte of this segment. */
  readonly fromOffset: number;
  readonly size: number;
  readonly path: string;
  readonly fd: number;

  private constructor(dir: string, fromOffset: number, size: number, fd: number) {
    this.fromOffset = fromOffset;
    this.size = size;
    this.path = path.join(dir, segmentName(fromOffset));
    this.fd = fd;
  }

  /** Opens an existing segment, or creates it preallocated to `size` bytes. */
  static open(dir: string, fromOffset: number, size: number): SegmentFile {
    const file = path.join(dir, segmentName(fromOffset));
    fs.mkdirSync(dir, { recursive: true });
    const fd = fs.openSync(file, fs.existsSync(file) ? 'r+' : 'w+');
    const actual = fs.fstatSync(fd).size;
    if (actual !== size) {
      if (actual > size) {
        fs.closeSync(fd);
        throw new RocketMQError(
          'SYSTEM_ERROR',
          `segment ${file} is ${actual} bytes, expected ${size}: was the segment size changed on an existing store?`,
        );
      }
      fs.ftruncateSync(fd, size);
    }
    return new SegmentFile(dir, fromOffset, size, fd);
  }

  /** Absolute offset just past the last byte of this segment. */
  get endOffset(): number {
    return this.fromOffset + this.size;
  }

  /** Last modification time of the file (ms since the epoch). */
  mtimeMs(): number {
    return fs.fstatSync(this.fd).mtimeMs;
  }

  /** Zeroes everything from `relative` to the end of the file (shrink then regrow: the tail becomes a hole). */
  zeroFrom(relative: number): void {
    fs.ftruncateSync(this.fd, relative);
    fs.ftruncateSync(this.fd, this.size);
  }

  close(): void {
    try {
      fs.closeSync(this.fd);
    } catch {
      // already closed
    }
  }

  /** Closes and removes the file. */
  destroy(): void {
    this.close();
    fs.rmSync(this.path, { force: true });
  }
}

/** The 20-digit zero-padded name of a segment starting at `offset`. */
export function segmentName(offset: number): string {
  return String(offset).padStart(20, '0');
}

/** Start offsets of the segment files in `dir` (names of exactly 20 digits), ascending. Other names are ignored. */
export function listSegmentOffsets(dir: string): number[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((name) => /^\d{20}$/.test(name))
    .map((name) => Number(name))
    .sort((a, b) => a - b);
}

/** Positional write of all of `buf[from, from+len)` at file position `pos`. */
export function writeFully(fd: number, buf: Buffer, from: number, len: number, pos: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const step = (done: number): void => {
      if (done >= len) {
        resolve();
        return;
      }
      fs.write(fd, buf, from + done, len - done, pos + done, (err, written) => {
        if (err) reject(err);
        else step(done + written);
      });
    };
    step(0);
  });
}

/** {@link writeFully} on the calling thread. */
export function writeFullySync(fd: number, buf: Buffer, from: number, len: number, pos: number): void {
  for (let done = 0; done < len;) done += fs.writeSync(fd, buf, from + done, len - done, pos + done);
}

/** Positional read of up to `len` bytes at `pos`; shorter only at end of file. */
export function readAt(fd: number, len: number, pos: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(len);
  return new Promise((resolve, reject) => {
    const step = (done: number): void => {
      if (done >= len) {
        resolve(buf);
        return;
      }
      fs.read(fd, buf, done, len - done, pos + done, (err, n) => {
        if (err) reject(err);
        else if (n === 0) resolve(buf.subarray(0, done));
        else step(done + n);
      });
    };
    step(0);
  });
}

/** fdatasync as a promise. */
export function datasync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.fdatasync(fd, (err) => (err ? reject(err) : resolve())));
}
