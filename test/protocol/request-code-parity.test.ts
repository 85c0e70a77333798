import { describe, expect, it } from 'vitest';
import { REQUEST_CODE_PARITY, requestCodesServedBy } from '../../src/protocol/parity.js';
import { RequestCode } from '../../src/protocol/request-code.js';

describe('request code parity inventory', () => {
  it('lists every RequestCode exactly once', () => {
    const counts = new Map<string, number>();
    for (const e of REQUEST_CODE_PARITY) counts.set(e.name, (counts.get(e.name) ?? 0) + 1);
    const duplicated = [...counts].filter(([, n]) => n > 1).map(([name]) => name);
    const missing = Object.keys(RequestCode).filter((name) => !counts.has(name));
    const unknown = [...counts.keys()].filter((name) => !(name in RequestCode));
    expect({ duplicated, missing, unknown }).toEqual({ duplicated: [], missing: [], unknown: [] });
  });

  it('gives every entry a reason', () => {
    for (const e of REQUEST_CODE_PARITY) expect(e.reason.length, e.name).toBeGreaterThan(0);
  });

  it('puts the core codes where reference §2.1 serves them', () => {
    expect(requestCodesServedBy('namesrv')).toEqual(
      expect.arrayContaining(['REGISTER_BROKER', 'GET_ROUTEINFO_BY_TOPIC', 'GET_BROKER_CLUSTER_INFO', 'PUT_KV_CONFIG']),
    );
    expect(requestCodesServedBy('broker')).toEqual(
      expect.arrayContaining(['SEND_MESSAGE', 'SEND_MESSAGE_V2', 'PULL_MESSAGE', 'HEART_BEAT', 'END_TRANSACTION']),
    );
    expect(requestCodesServedBy('client')).toEqual(
      expect.arrayContaining([
        'CHECK_TRANSACTION_STATE',
        'NOTIFY_CONSUMER_IDS_CHANGED',
        'RESET_CONSUMER_CLIENT_OFFSET',
      ]),
    );
    expect(requestCodesServedBy('out-of-scope')).toContain('CONTROLLER_ELECT_MASTER');
  });
});
