/**
 * Message body compression (reference §5.2): the Java producer deflates bodies of 4096 bytes or more with zlib level 5
 * and sets COMPRESSED_FLAG; consumers inflate. Only zlib is supported here. Synchronous, pure compute.
 */
import * as zlib from 'node:zlib';
import { ProtocolError } from '../../common/errors.js';
import { MessageSysFlag } from './sysflag.js';

/** Bodies of at least this many bytes are compressed by the Java producer (`compressMsgBodyOverHowmuch`). */
export const COMPRESS_OVER = 4096;
/** Default cap on an inflated body, so a small corrupt or hostile body cannot claim unbounded memory. */
export const MAX_UNCOMPRESSED_BODY = 64 * 1024 * 1024;

/** The compression algorithm a sysFlag names: 'none' without COMPRESSED_FLAG; type 0 with the flag is zlib. */
export function compressionOf(sysFlag: number): 'none' | 'zlib' | 'lz4' | 'zstd' | 'unknown' {
  if ((sysFlag & MessageSysFlag.COMPRESSED_FLAG) === 0) return 'none';
  switch (sysFlag & MessageSysFlag.COMPRESSION_TYPE_MASK) {
    case 0:
    case MessageSysFlag.COMPRESSION_ZLIB_TYPE:
      return 'zlib';
    case MessageSysFlag.COMPRESSION_LZ4_TYPE:
      return 'lz4';
    case MessageSysFlag.COMPRESSION_ZSTD_TYPE:
      return 'zstd';
    default:
      return 'unknown';
  }
}

/** zlib-deflates `body` (zlib container, as java.util.zip.Deflater writes it). */
export function compressBody(body: Uint8Array, level = 5): Buffer {
  return zlib.deflateSync(body, { level });
}

/**
 * The plain body of a message with this sysFlag: `body` itself when not compressed, else inflated. LZ4, ZSTD or an
 * unknown type ⇒ ProtocolError RECORD_MALFORMED "unsupported"; corrupt data or an inflated size over `maxLength` ⇒
 * ProtocolError RECORD_MALFORMED.
 */
export function uncompressBody(body: Buffer, sysFlag: number, maxLength = MAX_UNCOMPRESSED_BODY): Buffer {
  const kind = compressionOf(sysFlag);
  if (kind === 'none') return body;
  if (kind !== 'zlib') throw new ProtocolError('RECORD_MALFORMED', `unsupported body compression: ${kind}`);
  try {
    return zlib.inflateSync(body, { maxOutputLength: maxLength });
  } catch (cause) {
    throw new ProtocolError('RECORD_MALFORMED', 'compressed body cannot be inflated', { cause });
  }
}
