import { describe, expect, it } from 'vitest';
import {
  ERROR_TABLE,
  errorFromResponse,
  ProtocolError,
  RocketMQError,
  responseCodeOf,
} from '../../src/common/errors.js';
import { ResponseCode, responseCodeName } from '../../src/protocol/response-code.js';

describe('errors', () => {
  it('carries a stable code, retriability, cause and the response code from the one table', () => {
    const cause = new Error('disk');
    const err = new RocketMQError('SERVICE_NOT_AVAILABLE', 'store is shutting down', { cause });
    expect(err.code).toBe('SERVICE_NOT_AVAILABLE');
    expect(err.retriable).toBe(true);
    expect(err.responseCode).toBe(14);
    expect(err.cause).toBe(cause);
    expect(err).toBeInstanceOf(Error);
    expect(new ProtocolError('FRAME_MALFORMED', 'bad').responseCode).toBe(ResponseCode.SYSTEM_ERROR);
  });

  it('maps every table entry to a response code the ResponseCode table names', () => {
    for (const kind of Object.values(ERROR_TABLE)) {
      expect(responseCodeName(kind.responseCode)).not.toMatch(/^UNKNOWN/);
    }
  });

  it('turns responses into errors, retriable exactly for the Java producer retry list', () => {
    expect(errorFromResponse(17, 'No topic route info').code).toBe('TOPIC_NOT_EXIST');
    expect(errorFromResponse(17, 'x').retriable).toBe(true);
    expect(errorFromResponse(2, 'busy').code).toBe('SYSTEM_BUSY');
    expect(errorFromResponse(1, 'x').code).toBe('SYSTEM_ERROR');
    expect(errorFromResponse(13, 'too big').retriable).toBe(false);
    expect(errorFromResponse(1500, 'go away').retriable).toBe(true);
    const unknown = errorFromResponse(4242, undefined);
    expect(unknown.code).toBe('BROKER_ERROR');
    expect(unknown.responseCode).toBe(4242);
    expect(unknown.message).toBe('response code 4242');
  });

  it('answers untyped throws with SYSTEM_ERROR', () => {
    expect(responseCodeOf(new TypeError('x'))).toBe(1);
    expect(responseCodeOf(new RocketMQError('NO_PERMISSION', 'x'))).toBe(16);
  });
});
