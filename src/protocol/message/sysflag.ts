/**
 * Message sysFlag bits (reference §5.2) and pull request sysFlag bits (§5.3).
 */

/** Bits of the int32 message sysFlag carried in send headers and stored in each record. */
export const MessageSysFlag = {
  /** Body is compressed (algorithm in the compression-type bits; 0 there means zlib). */
  COMPRESSED_FLAG: 0x1,
  /** Set by the broker when the topic filter type is MULTI_TAG. */
  MULTI_TAGS_FLAG: 0x2,
  TRANSACTION_NOT_TYPE: 0x0,
  TRANSACTION_PREPARED_TYPE: 0x4,
  TRANSACTION_COMMIT_TYPE: 0x8,
  TRANSACTION_ROLLBACK_TYPE: 0xc,
  /** Mask of the two transaction-type bits. */
  TRANSACTION_TYPE_MASK: 0xc,
  /** Born host stored as 16-byte IPv6. */
  BORNHOST_V6_FLAG: 0x10,
  /** Store host stored as 16-byte IPv6. */
  STOREHOSTADDRESS_V6_FLAG: 0x20,
  /** 5.x batch: the record wraps a batch to unwrap. */
  NEED_UNWRAP_FLAG: 0x40,
  /** 5.x batch consume queue. */
  INNER_BATCH_FLAG: 0x80,
  /** Mask of the compression-type bits (8–10). */
  COMPRESSION_TYPE_MASK: 0x700,
  COMPRESSION_LZ4_TYPE: 0x100,
  COMPRESSION_ZSTD_TYPE: 0x200,
  COMPRESSION_ZLIB_TYPE: 0x300,
} as const;

/** The transaction type bits of `sysFlag` (one of the TRANSACTION_*_TYPE values). */
export function transactionType(sysFlag: number): number {
  return sysFlag & MessageSysFlag.TRANSACTION_TYPE_MASK;
}

/** `sysFlag` with its transaction type bits replaced by `type`. */
export function resetTransactionType(sysFlag: number, type: number): number {
  return (sysFlag & ~MessageSysFlag.TRANSACTION_TYPE_MASK) | (type & MessageSysFlag.TRANSACTION_TYPE_MASK);
}

/** True when every bit of `flag` is set in `sysFlag`. */
export function hasSysFlag(sysFlag: number, flag: number): boolean {
  return (sysFlag & flag) === flag;
}

/** Bits of PullMessageRequestHeader.sysFlag. */
export const PullSysFlag = {
  /** `commitOffset` is valid: the broker stores it. */
  FLAG_COMMIT_OFFSET: 0x1,
  /** The broker may hold the request (long polling). */
  FLAG_SUSPEND: 0x2,
  /** The request carries its subscription expression. */
  FLAG_SUBSCRIPTION: 0x4,
  /** Legacy class filter. */
  FLAG_CLASS_FILTER: 0x8,
  /** Lite pull consumer. */
  FLAG_LITE_PULL_MESSAGE: 0x10,
} as const;

/** Options of a pull request, as the flags of {@link PullSysFlag}. */
export interface PullSysFlagOptions {
  commitOffset?: boolean;
  suspend?: boolean;
  subscription?: boolean;
  classFilter?: boolean;
  litePull?: boolean;
}

/** Builds a pull sysFlag from named options. */
export function buildPullSysFlag(options: PullSysFlagOptions): number {
  let flag = 0;
  if (options.commitOffset) flag |= PullSysFlag.FLAG_COMMIT_OFFSET;
  if (options.suspend) flag |= PullSysFlag.FLAG_SUSPEND;
  if (options.subscription) flag |= PullSysFlag.FLAG_SUBSCRIPTION;
  if (options.classFilter) flag |= PullSysFlag.FLAG_CLASS_FILTER;
  if (options.litePull) flag |= PullSysFlag.FLAG_LITE_PULL_MESSAGE;
  return flag;
}

/** `sysFlag` without the commit-offset bit (what a broker does when it may not store the offset). */
export function clearCommitOffsetFlag(sysFlag: number): number {
  return sysFlag & ~PullSysFlag.FLAG_COMMIT_OFFSET;
}

export function hasCommitOffsetFlag(sysFlag: number): boolean {
  return (sysFlag & PullSysFlag.FLAG_COMMIT_OFFSET) !== 0;
}

export function hasSuspendFlag(sysFlag: number): boolean {
  return (sysFlag & PullSysFlag.FLAG_SUSPEND) !== 0;
}

export function hasSubscriptionFlag(sysFlag: number): boolean {
  return (sysFlag & PullSysFlag.FLAG_SUBSCRIPTION) !== 0;
}

export function hasClassFilterFlag(sysFlag: number): boolean {
  return (sysFlag & PullSysFlag.FLAG_CLASS_FILTER) !== 0;
}

export function hasLitePullFlag(sysFlag: number): boolean {
  return (sysFlag & PullSysFlag.FLAG_LITE_PULL_MESSAGE) !== 0;
}
