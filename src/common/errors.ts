import { ResponseCode } from '../protocol/response-code.js';

/**
 * Every error rocketmq-ts raises is a RocketMQError: a stable string `code` that callers can switch on, whether
 * retrying the same operation may succeed (`retriable`), and the underlying `cause` when there is one.
 * `ERROR_TABLE` below is the one place that maps codes to and from RocketMQ response codes.
 */
export type ErrorCode =
  // protocol: a frame or record that cannot be decoded
  | 'FRAME_TOO_LARGE'
  | 'FRAME_MALFORMED'
  | 'HEADER_MALFORMED'
  | 'BODY_MALFORMED'
  | 'RECORD_MALFORMED'
  | 'MESSAGE_ID_MALFORMED'
  | 'MISSING_HEADER_FIELD'
  | 'INVALID_HEADER_FIELD'
  // transport
  | 'CONNECT_FAILED'
  | 'CONNECT_TIMEOUT'
  | 'CONNECTION_CLOSED'
  | 'REQUEST_TIMEOUT'
  | 'TOO_MANY_REQUESTS'
  // server-side outcomes with a RocketMQ response code
  | 'SYSTEM_ERROR'
  | 'SYSTEM_BUSY'
  | 'REQUEST_CODE_NOT_SUPPORTED'
  | 'MESSAGE_ILLEGAL'
  | 'SERVICE_NOT_AVAILABLE'
  | 'NO_PERMISSION'
  | 'TOPIC_NOT_EXIST'
  | 'TOPIC_EXIST_ALREADY'
  | 'QUERY_NOT_FOUND'
  | 'INVALID_PARAMETER'
  | 'FLUSH_DISK_TIMEOUT'
  | 'SUBSCRIPTION_GROUP_NOT_EXIST'
  | 'CONSUMER_NOT_ONLINE'
  | 'SUBSCRIPTION_PARSE_FAILED'
  // configuration
  | 'CONFIG_INVALID'
  // a response code the table does not name
  | 'BROKER_ERROR';

interface ErrorKind {
  /** RocketMQ response code a server answers with when this error reaches the dispatcher. */
  responseCode: number;
  retriable: boolean;
}

/** The one table from error codes to RocketMQ response codes (and retriability, as the Java producer sees it). */
export const ERROR_TABLE: Readonly<Record<ErrorCode, ErrorKind>> = {
  FRAME_TOO_LARGE: { responseCode: ResponseCode.SYSTEM_ERROR, retriable: false },
  FRAME_MALFORMED: { responseCode: ResponseCode.SYSTEM_ERROR, retriable: false },
  HEADER_MALFORMED: { responseCode: ResponseCode.SYSTEM_ERROR, retriable: false },
  BODY_MALFORMED: { responseCode: ResponseCode.SYSTEM_ERROR, retriable: false },
  RECORD_MALFORMED: { responseCode: ResponseCode.SYSTEM_ERROR, retriable: false },
  MESSAGE_ID_MALFORMED: { responseCode: ResponseCode.SYSTEM_ERROR, retriable: false },
  MISSING_HEADER_FIELD: { responseCode: ResponseCode.SYSTEM_ERROR, retriable: false },
  INVALID_HEADER_FIELD: { responseCode: ResponseCode.SYSTEM_ERROR, retriable: false },
  CONNECT_FAILED: { responseCode: ResponseCode.SYSTEM_ERROR, retriable: true },
  CONNECT_TIMEOUT: { responseCode: ResponseCode.SYSTEM_ERROR, retriable: true },
  CONNECTION_CLOSED: { responseCode: ResponseCode.SYSTEM_ERROR, retriable: true },
  REQUEST_TIMEOUT: { responseCode: ResponseCode.SYSTEM_ERROR, retriable: true },
  TOO_MANY_REQUESTS: { responseCode: ResponseCode.SYSTEM_BUSY, retriable: true },
  SYSTEM_ERROR: { responseCode: ResponseCode.SYSTEM_ERROR, retriable: true },
  SYSTEM_BUSY: { responseCode: ResponseCode.SYSTEM_BUSY, retriable: true },
  REQUEST_CODE_NOT_SUPPORTED: { responseCode: ResponseCode.REQUEST_CODE_NOT_SUPPORTED, retriable: false },
  MESSAGE_ILLEGAL: { responseCode: ResponseCode.MESSAGE_ILLEGAL, retriable: false },
  SERVICE_NOT_AVAILABLE: { responseCode: ResponseCode.SERVICE_NOT_AVAILABLE, retriable: true },
  NO_PERMISSION: { responseCode: ResponseCode.NO_PERMISSION, retriable: true },
  TOPIC_NOT_EXIST: { responseCode: ResponseCode.TOPIC_NOT_EXIST, retriable: true },
  TOPIC_EXIST_ALREADY: { responseCode: ResponseCode.TOPIC_EXIST_ALREADY, retriable: false },
  QUERY_NOT_FOUND: { responseCode: ResponseCode.QUERY_NOT_FOUND, retriable: false },
  INVALID_PARAMETER: { responseCode: ResponseCode.INVALID_PARAMETER, retriable: false },
  FLUSH_DISK_TIMEOUT: { responseCode: ResponseCode.FLUSH_DISK_TIMEOUT, retriable: false },
  SUBSCRIPTION_GROUP_NOT_EXIST: { responseCode: ResponseCode.SUBSCRIPTION_GROUP_NOT_EXIST, retriable: false },
  CONSUMER_NOT_ONLINE: { responseCode: ResponseCode.CONSUMER_NOT_ONLINE, retriable: false },
  SUBSCRIPTION_PARSE_FAILED: { responseCode: ResponseCode.SUBSCRIPTION_PARSE_FAILED, retriable: false },
  CONFIG_INVALID: { responseCode: ResponseCode.SYSTEM_ERROR, retriable: false },
  BROKER_ERROR: { responseCode: ResponseCode.SYSTEM_ERROR, retriable: false },
};

export class RocketMQError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;
  /** The RocketMQ response code this error is answered with, or was received as. */
  readonly responseCode: number;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; responseCode?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RocketMQError';
    this.code = code;
    const kind = ERROR_TABLE[code];
    this.retriable = kind.retriable;
    this.responseCode = options?.responseCode ?? kind.responseCode;
  }
}

/** A frame, header, body or record that cannot be decoded. Raised by protocol/ decoders, never anything untyped. */
export class ProtocolError extends RocketMQError {
  constructor(
    code: Extract<
      ErrorCode,
      | 'FRAME_TOO_LARGE'
      | 'FRAME_MALFORMED'
      | 'HEADER_MALFORMED'
      | 'BODY_MALFORMED'
      | 'RECORD_MALFORMED'
      | 'MESSAGE_ID_MALFORMED'
      | 'MISSING_HEADER_FIELD'
      | 'INVALID_HEADER_FIELD'
    >,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
    this.name = 'ProtocolError';
  }
}

const retriableResponseCodes = new Set<number>([
  ResponseCode.TOPIC_NOT_EXIST,
  ResponseCode.SERVICE_NOT_AVAILABLE,
  ResponseCode.SYSTEM_ERROR,
  ResponseCode.SYSTEM_BUSY,
  ResponseCode.NO_PERMISSION,
  ResponseCode.NO_BUYER_ID,
  ResponseCode.NOT_IN_CURRENT_UNIT,
  ResponseCode.GO_AWAY,
]);

/** Error codes named after a response code map back from it (SYSTEM_BUSY ⇄ 2, TOPIC_NOT_EXIST ⇄ 17, …). */
const codeByResponseCode = new Map<number, ErrorCode>();
for (const [code, kind] of Object.entries(ERROR_TABLE) as [ErrorCode, ErrorKind][]) {
  if ((ResponseCode as Record<string, number>)[code] === kind.responseCode)
    codeByResponseCode.set(kind.responseCode, code);
}

/**
 * The error a client raises for a non-success response. Retriability follows the Java producer's retry list
 * (reference §1.9), so a caller retrying on another broker sees the same decisions.
 */
export function errorFromResponse(responseCode: number, remark: string | undefined): RocketMQError {
  const code = codeByResponseCode.get(responseCode) ?? 'BROKER_ERROR';
  const err = new RocketMQError(code, remark ?? `response code ${responseCode}`, { responseCode });
  Object.defineProperty(err, 'retriable', { value: retriableResponseCodes.has(responseCode) });
  return err;
}

/** The RocketMQ response code a server answers with for any thrown value. */
export function responseCodeOf(err: unknown): number {
  return err instanceof RocketMQError ? err.responseCode : ResponseCode.SYSTEM_ERROR;
}
