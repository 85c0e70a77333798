/**
 * The single-message "encode" format (reference §5.5), the body of CHECK_TRANSACTION_STATE and of POP retry rewrites:
 * the CommitLog record layout of §5.4, always with V1 magic (1-byte topic length) and TOTALSIZE recomputed.
 */
import { ProtocolError } from '../../common/errors.js';
import {
  type DecodeRecordOptions,
  decodeRecord,
  encodeRecord,
  type MessageRecord,
  type MessageRecordInput,
} from './record.js';

/**
 * Encodes one message in the §5.5 format: {@link encodeRecord} with V1 forced. The body is written as given (pass it
 * compressed together with COMPRESSED_FLAG if it should travel compressed). A topic over 127 bytes cannot be written
 * with V1 magic and throws RocketMQError MESSAGE_ILLEGAL.
 */
export function encodeMessageForCheck(rec: MessageRecordInput): Buffer {
  return encodeRecord(rec, { forceV1: true });
}

/** Decodes a §5.5 body (one record); throws ProtocolError RECORD_MALFORMED on trailing bytes or any inconsistency. */
export function decodeMessageForCheck(buf: Buffer, options?: DecodeRecordOptions): MessageRecord {
  const { size, ...rec } = decodeRecord(buf, 0, options);
  if (size !== buf.length) throw new ProtocolError('RECORD_MALFORMED', `${buf.length - size} bytes after the record`);
  return rec;
}
