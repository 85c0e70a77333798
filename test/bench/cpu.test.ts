import { describe, expect, it } from 'vitest';
import { CpuWindow, ownCpuSeconds, processCpuSeconds, runQueueWaitSeconds } from '../../src/bench/cpu.js';

describe('CPU accounting', () => {
  it.runIf(process.platform === 'linux')('reads a live process from /proc, nothing for a missing one', () => {
    const seconds = processCpuSeconds(process.pid);
    expect(seconds).toBeTypeOf('number');
    expect(seconds!).toBeGreaterThanOrEqual(0);
    expect(processCpuSeconds(2 ** 31 - 1)).toBeUndefined();
  });

  it('a window counts CPU spent in it, per message', () => {
    const window = new CpuWindow(process.platform === 'linux' ? process.pid : undefined);
    const start = ownCpuSeconds();
    let x = 0;
    while (ownCpuSeconds() - start < 0.05) x += Math.sqrt(x + 1);
    const figures = window.end(1000);
    expect(x).toBeGreaterThan(0);
    expect(figures.clientSeconds).toBeGreaterThanOrEqual(0.04);
    expect(figures.clientUsPerMsg).toBeGreaterThanOrEqual(40); // ≥ 0.04 s over 1000 messages
    expect(window.end(0).clientUsPerMsg).toBe(0);
  });

  it.runIf(process.platform === 'linux')(
    'reads how long a main thread waited for a core, and counts it per window',
    () => {
      const waited = runQueueWaitSeconds(process.pid);
      expect(waited).toBeTypeOf('number');
      expect(waited!).toBeGreaterThanOrEqual(0);
      expect(runQueueWaitSeconds(2 ** 31 - 1)).toBeUndefined();
      const figures = new CpuWindow(process.pid).end(1);
      expect(figures.clientRunQueueWaitSeconds).toBeGreaterThanOrEqual(0);
      expect(figures.brokerRunQueueWaitSeconds).toBeGreaterThanOrEqual(0);
      expect(new CpuWindow(undefined).end(1).brokerRunQueueWaitSeconds).toBeUndefined();
    },
  );
});
