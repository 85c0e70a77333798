import { describe, expect, it } from 'vitest';
import * as root from '../src/index.js';

describe('package root', () => {
  it('exports the client SDK, the error classes and the protocol code tables', () => {
    for (const name of [
      'Producer',
      'TransactionProducer',
      'PushConsumer',
      'LitePullConsumer',
      'Admin',
      'RocketMQError',
      'ProtocolError',
      'RequestCode',
      'ResponseCode',
    ]) {
      expect(typeof (root as Record<string, unknown>)[name], name).not.toBe('undefined');
    }
    expect(root.ResponseCode.TOPIC_NOT_EXIST).toBe(17);
    expect(root.RequestCode.SEND_MESSAGE_V2).toBe(310);
  });
});
