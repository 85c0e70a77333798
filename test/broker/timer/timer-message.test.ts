import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  propertyValue,
  requestedDeliverMs,
  restoreTimerMessage,
  TIMER_TOPIC,
  type TimerRefusal,
  type TimerRules,
  timerSlotMs,
  toTimerMessage,
} from '../../../src/broker/timer/timer-message.js';
import { decodeProperties, encodeProperties } from '../../../src/protocol/message/properties.js';
import { MessageSysFlag } from '../../../src/protocol/message/sysflag.js';
import { ResponseCode } from '../../../src/protocol/response-code.js';
import type { MessageToStore } from '../../../src/store/message-store.js';
import { message } from '../../store/helpers.js';

const NOW = 1_700_000_000_000;
const RULES: TimerRules = { enable: true, maxDelaySec: 259_200, precisionMs: 1000 };

function withProps(props: Record<string, string>, sysFlag = 0): MessageToStore {
  return { ...message('Orders', 3, 'body', { sysFlag }), properties: encodeProperties({ TAGS: 't', ...props }) };
}
const isRefusal = (r: MessageToStore | TimerRefusal): r is TimerRefusal => 'code' in r;

describe('timer properties on send', () => {
  it('reads each property kind, relative ones from now', () => {
    expect(requestedDeliverMs({ TIMER_DELAY_SEC: '10' }, NOW)).toBe(NOW + 10_000);
    expect(requestedDeliverMs({ TIMER_DELAY_MS: '1500' }, NOW)).toBe(NOW + 1500);
    expect(requestedDeliverMs({ TIMER_DELIVER_MS: String(NOW + 7) }, NOW)).toBe(NOW + 7);
    expect(requestedDeliverMs({ __STARTDELIVERTIME: String(NOW + 9) }, NOW)).toBe(NOW + 9);
    expect(requestedDeliverMs({ TAGS: 'x' }, NOW)).toBeUndefined();
    expect(requestedDeliverMs({ TIMER_DELIVER_MS: 'soon' }, NOW)).toMatchObject({ code: ResponseCode.MESSAGE_ILLEGAL });
  });

  it('rounds to the slot as Java does: exact multiples one tick earlier', () => {
    expect(timerSlotMs(NOW + 3500, 1000)).toBe(NOW + 3000);
    expect(timerSlotMs(NOW + 3000, 1000)).toBe(NOW + 2000);
    expect(timerSlotMs(NOW + 3001, 1000)).toBe(NOW + 3000);
  });

  it('parks a future message in the timer topic with TIMER_OUT_MS, REAL_TOPIC and REAL_QID', () => {
    const out = toTimerMessage(withProps({ __STARTDELIVERTIME: String(NOW + 5500) }), RULES, NOW);
    expect(isRefusal(out)).toBe(false);
    const msg = out as MessageToStore;
    expect(msg.topic).toBe(TIMER_TOPIC);
    expect(msg.queueId).toBe(0);
    const props = decodeProperties(msg.properties);
    expect(props).toMatchObject({ TIMER_OUT_MS: String(NOW + 5000), REAL_TOPIC: 'Orders', REAL_QID: '3', TAGS: 't' });
  });

  it('stores an already-due message as it is', () => {
    const msg = withProps({ TIMER_DELIVER_MS: String(NOW - 1) });
    expect(toTimerMessage(msg, RULES, NOW)).toBe(msg);
    const exact = withProps({ TIMER_DELIVER_MS: String(NOW) });
    expect(toTimerMessage(exact, RULES, NOW)).toBe(exact);
  });

  it('refuses a delay beyond timerMaxDelaySec with MESSAGE_ILLEGAL and a readable remark', () => {
    const ok = toTimerMessage(withProps({ TIMER_DELAY_SEC: '259200' }), RULES, NOW);
    expect(isRefusal(ok)).toBe(false);
    const out = toTimerMessage(withProps({ TIMER_DELAY_SEC: '259201' }), RULES, NOW);
    expect(out).toMatchObject({ code: ResponseCode.MESSAGE_ILLEGAL });
    expect((out as TimerRefusal).remark).toMatch(/exceeds the maximum of 259200 s/);
  });

  it('refuses timer messages when the wheel is disabled', () => {
    const out = toTimerMessage(withProps({ TIMER_DELAY_SEC: '5' }), { ...RULES, enable: false }, NOW);
    expect(out).toMatchObject({ code: ResponseCode.SYSTEM_ERROR });
  });

  it('lets a positive DELAY level win: timer properties are stripped, topic unchanged', () => {
    const out = toTimerMessage(
      withProps({ DELAY: '3', TIMER_DELAY_SEC: '100', __STARTDELIVERTIME: String(NOW + 1000) }),
      RULES,
      NOW,
    ) as MessageToStore;
    expect(out.topic).toBe('Orders');
    expect(decodeProperties(out.properties)).toEqual({ TAGS: 't', DELAY: '3' });
  });

  it('leaves half (prepared) messages alone', () => {
    const msg = withProps({ TIMER_DELAY_SEC: '5' }, MessageSysFlag.TRANSACTION_PREPARED_TYPE);
    expect(toTimerMessage(msg, RULES, NOW)).toBe(msg);
  });

  it('restores the real topic on delivery and drops the relative delay properties', () => {
    const parked = toTimerMessage(withProps({ TIMER_DELAY_MS: '2500', KEYS: 'k1 k2' }), RULES, NOW) as MessageToStore;
    const restored = restoreTimerMessage(
      {
        ...parked,
        queueOffset: 0,
        physicalOffset: 0,
        storeTimestamp: NOW,
        storeHost: { host: '127.0.0.1', port: 1 },
        bodyCrc: 0,
      },
      NOW + 10,
    );
    expect(restored).toMatchObject({ topic: 'Orders', queueId: 3, tags: 't', keys: ['k1', 'k2'] });
    const props = decodeProperties(restored!.properties);
    expect(props.REAL_TOPIC).toBeUndefined();
    expect(props.TIMER_DELAY_MS).toBeUndefined();
    expect(props.TIMER_ENQUEUE_MS).toBe(String(NOW + 10));
    expect(props.TIMER_OUT_MS).toBe(String(NOW + 2000));
  });

  it('reads one property like decodeProperties does, for any properties string', () => {
    const text = encodeProperties({ A: '1', REAL_TOPIC: 'T', XREAL_TOPIC: 'no', TIMER_OUT_MS: '42' });
    expect(propertyValue(text, 'REAL_TOPIC')).toBe('T');
    expect(propertyValue(text, 'TIMER_OUT_MS')).toBe('42');
    expect(propertyValue(text, 'A')).toBe('1');
    expect(propertyValue(text, 'B')).toBeUndefined();
    expect(propertyValue('K\u0001first\u0002K\u0001last', 'K')).toBe('last');
    fc.assert(
      fc.property(
        fc.dictionary(fc.constantFrom('K', 'KK', 'XK', 'REAL_TOPIC', 'TIMER_OUT_MS'), fc.string({ maxLength: 6 })),
        fc.constantFrom('K', 'KK', 'REAL_TOPIC', 'TIMER_OUT_MS'),
        (dict, key) => {
          const clean = Object.fromEntries(Object.entries(dict).map(([k, v]) => [k, v.replace(/[\u0001\u0002]/g, '')]));
          const text = encodeProperties(clean);
          expect(propertyValue(text, key)).toBe(decodeProperties(text)[key]);
        },
      ),
      { numRuns: 300, seed: 7 },
    );
  });
});
