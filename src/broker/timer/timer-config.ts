import { type ConfigOf, defineSchema } from '../../common/config.js';
import type { TimerRules } from './timer-message.js';

/**
 * Timer-message keys of Java's MessageStoreConfig (reference §6.4, §6.11), spread into the broker schema so one
 * `broker.conf` sets them.
 */
export const timerConfigSchema = defineSchema({
  timerWheelEnable: {
    type: 'bool',
    default: true,
    doc: 'Hold messages with a delivery time (TIMER_* / __STARTDELIVERTIME) in the timer wheel',
  },
  timerMaxDelaySec: {
    type: 'long',
    default: 259200,
    min: 1,
    max: 604800,
    doc: 'Longest accepted timer delay in seconds (3 days); beyond ⇒ MESSAGE_ILLEGAL',
  },
  timerPrecisionMs: {
    type: 'long',
    default: 1000,
    min: 100,
    max: 1000,
    doc: 'Timer wheel tick (ms): delivery happens within one tick after the requested time',
  },
  timerRollWindowSlot: {
    type: 'long',
    default: 172800,
    min: 2,
    doc: 'Delays beyond this many ticks are parked and re-appended (rolled) when they reach it (2 days)',
  },
  timerFlushIntervalMs: {
    type: 'long',
    default: 1000,
    min: 10,
    doc: 'How often the timer log, wheel and config/timercheck are flushed (ms)',
  },
  mappedFileSizeTimerLog: {
    type: 'long',
    default: 104857600,
    min: 4096,
    doc: 'Size of one timerlog/ file in bytes',
  },
});

/** The timer keys' values. */
export type TimerConfig = ConfigOf<typeof timerConfigSchema>;

/** The send-path rules from the config. */
export function timerRulesOf(config: TimerConfig): TimerRules {
  return {
    enable: config.timerWheelEnable,
    maxDelaySec: config.timerMaxDelaySec,
    precisionMs: config.timerPrecisionMs,
  };
}
