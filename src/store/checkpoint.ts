import * as fs from 'node:fs';

/** Size of the checkpoint file. */
export const CHECKPOINT_FILE_SIZE = 4096;

/**
 * `<root>/checkpoint` (reference §5.10): RocketMQ's fields at their positions (int64 physicMsgTimestamp @0,
 * logicsMsgTimestamp @8, indexMsgTimestamp @16, masterFlushedOffset @24, confirmPhyOffset @32), followed by the
 * offsets this store recovers from, all int64: commitLogFlushedOffset @40 (CommitLog bytes before it are durable),
 * consumeQueueFlushedOffset @48 and indexFlushedOffset @56 (every record before that CommitLog offset has its
 * ConsumeQueue entries / index items durable).
 */
export interface Checkpoint {
  physicMsgTimestamp: number;
  logicsMsgTimestamp: number;
  indexMsgTimestamp: number;
  masterFlushedOffset: number;
  confirmPhyOffset: number;
  commitLogFlushedOffset: number;
  consumeQueueFlushedOffset: number;
  indexFlushedOffset: number;
}

const FIELDS: (keyof Checkpoint)[] = [
  'physicMsgTimestamp',
  'logicsMsgTimestamp',
  'indexMsgTimestamp',
  'masterFlushedOffset',
  'confirmPhyOffset',
  'commitLogFlushedOffset',
  'consumeQueueFlushedOffset',
  'indexFlushedOffset',
];

export function emptyCheckpoint(): Checkpoint {
  return {
    physicMsgTimestamp: 0,
    logicsMsgTimestamp: 0,
    indexMsgTimestamp: 0,
    masterFlushedOffset: 0,
    confirmPhyOffset: 0,
    commitLogFlushedOffset: 0,
    consumeQueueFlushedOffset: 0,
    indexFlushedOffset: 0,
  };
}

/** The 4096-byte file image of `cp`. */
export function encodeCheckpoint(cp: Checkpoint): Buffer {
  const buf = Buffer.alloc(CHECKPOINT_FILE_SIZE);
  FIELDS.forEach((f, i) => {
    buf.writeBigInt64BE(BigInt(Math.max(0, Math.floor(cp[f]))), i * 8);
  });
  return buf;
}

/** Decodes a checkpoint image; a short or negative-valued image yields zeros for what is missing. */
export function decodeCheckpoint(buf: Buffer): Checkpoint {
  const cp = emptyCheckpoint();
  FIELDS.forEach((f, i) => {
    if (buf.length >= (i + 1) * 8) {
      const v = Number(buf.readBigInt64BE(i * 8));
      cp[f] = Number.isSafeInteger(v) && v >= 0 ? v : 0;
    }
  });
  return cp;
}

/** The checkpoint file: read at startup, rewritten in place and fdatasync'ed by the flush service. */
export class CheckpointFile {
  private fd: number | undefined;

  constructor(readonly path: string) {}

  /** Reads the file, or undefined when there is none. */
  read(): Checkpoint | undefined {
    if (!fs.existsSync(this.path)) return undefined;
    return decodeCheckpoint(fs.readFileSync(this.path));
  }

  /** Writes `cp` durably. */
  async write(cp: Checkpoint): Promise<void> {
    if (this.fd === undefined) this.fd = fs.openSync(this.path, fs.existsSync(this.path) ? 'r+' : 'w+');
    const fd = this.fd;
    const buf = encodeCheckpoint(cp);
    await new Promise<void>((resolve, reject) =>
      fs.write(fd, buf, 0, buf.length, 0, (err) => (err ? reject(err) : resolve())),
    );
    await new Promise<void>((resolve, reject) => fs.fdatasync(fd, (err) => (err ? reject(err) : resolve())));
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }
}
