import { type ConfigOf, defineSchema, type ResolveOptions, resolveConfig } from '../common/config.js';

/**
 * The message store's configuration keys, with RocketMQ's Java names and defaults (reference §6.11), so a
 * `broker.conf` written for the Java broker configures this store the same way.
 */
export const storeConfigSchema = defineSchema({
  storePathRootDir: { type: 'string', default: '~/store', doc: 'Root directory of the store' },
  storePathCommitLog: { type: 'string', default: '', doc: 'CommitLog directory; empty = <storePathRootDir>/commitlog' },
  mappedFileSizeCommitLog: {
    type: 'long',
    default: 1073741824,
    min: 4096,
    max: 2 ** 40,
    doc: 'Size of one CommitLog segment file in bytes',
  },
  mappedFileSizeConsumeQueue: {
    type: 'int',
    default: 6000000,
    min: 20,
    doc: 'Size of one ConsumeQueue file in bytes (a multiple of the 20-byte entry)',
  },
  flushDiskType: {
    type: 'enum',
    values: ['ASYNC_FLUSH', 'SYNC_FLUSH'] as const,
    default: 'ASYNC_FLUSH',
    doc: 'ASYNC_FLUSH acknowledges after the append; SYNC_FLUSH after the group fdatasync covering it',
  },
  flushIntervalCommitLog: { type: 'int', default: 500, min: 1, doc: 'ASYNC_FLUSH: CommitLog fdatasync period (ms)' },
  flushIntervalConsumeQueue: { type: 'int', default: 1000, min: 1, doc: 'ConsumeQueue and index flush period (ms)' },
  flushCheckpointInterval: {
    type: 'int',
    default: 1000,
    min: 1,
    doc: 'Accepted for compatibility: the checkpoint is written after each ConsumeQueue flush',
  },
  syncFlushTimeout: { type: 'int', default: 5000, min: 1, doc: 'SYNC_FLUSH: FLUSH_DISK_TIMEOUT after this many ms' },
  fileReservedTime: { type: 'int', default: 72, min: 0, doc: 'Hours a CommitLog segment is kept after its last write' },
  deleteWhen: {
    type: 'string',
    default: '04',
    doc: 'Accepted for compatibility; deletion here is continuous and rate-limited, not at these hours',
  },
  deleteCommitLogFilesInterval: { type: 'int', default: 100, min: 0, doc: 'Pause between two segment deletions (ms)' },
  cleanResourceInterval: { type: 'int', default: 10000, min: 10, doc: 'Retention check period (ms)' },
  diskMaxUsedSpaceRatio: {
    type: 'int',
    default: 75,
    min: 10,
    max: 95,
    doc: 'Disk use (%) past which segments are deleted before their time',
  },
  diskSpaceHardLimitRatio: {
    type: 'int',
    default: 90,
    min: 10,
    max: 99,
    doc: 'Disk use (%) past which writes are refused (reads go on)',
  },
  maxMessageSize: { type: 'int', default: 4194304, min: 1, doc: 'Largest accepted message body in bytes' },
  maxHashSlotNum: { type: 'int', default: 5000000, min: 1, doc: 'Hash slots per IndexFile' },
  maxIndexNum: { type: 'int', default: 20000000, min: 2, doc: 'Index entries per IndexFile' },
  messageIndexEnable: { type: 'bool', default: true, doc: 'Index KEYS and UNIQ_KEY for query by key' },
  writeBufferSize: {
    type: 'int',
    default: 4 * 1024 * 1024,
    min: 4096,
    doc: 'rocketmq-ts: size of one in-memory CommitLog write chunk (bytes)',
  },
  tailCacheChunks: {
    type: 'int',
    default: 8,
    min: 1,
    doc: 'rocketmq-ts: written CommitLog chunks kept in memory so tail reads never touch the disk',
  },
  brokerIP1: { type: 'string', default: '127.0.0.1', doc: 'Store host address recorded in each record' },
  listenPort: { type: 'int', default: 10911, min: 0, max: 65535, doc: 'Store host port recorded in each record' },
});

type Widen<T> = T extends string ? string : T extends number ? number : T extends boolean ? boolean : T;
type RawStoreConfig = ConfigOf<typeof storeConfigSchema>;

/** The resolved store configuration. */
export type StoreConfig = { [K in Exclude<keyof RawStoreConfig, 'flushDiskType'>]: Widen<RawStoreConfig[K]> } & {
  flushDiskType: 'ASYNC_FLUSH' | 'SYNC_FLUSH';
};

/** Defaults overlaid with `input` (parsed broker.conf properties or typed values); throws CONFIG_INVALID. */
export function resolveStoreConfig(
  input: Map<string, string> | Record<string, unknown> = {},
  options: ResolveOptions = {},
): StoreConfig {
  return resolveConfig(storeConfigSchema, input, options);
}
