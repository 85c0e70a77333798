import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TimerWheel } from '../../../src/broker/timer/timer-wheel.js';
import { removeDir, tempDir } from '../../store/helpers.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) removeDir(d);
});

async function wheelIn(slots: number): Promise<{ wheel: TimerWheel; path: string }> {
  const dir = tempDir('wheel-');
  dirs.push(dir);
  const path = join(dir, 'timerwheel');
  const wheel = new TimerWheel(path, 1000, slots);
  await wheel.open();
  return { wheel, path };
}

describe('TimerWheel', () => {
  it('chains units per tick and reports each unit its predecessor', async () => {
    const { wheel } = await wheelIn(16);
    expect(wheel.get(5000)).toBeUndefined();
    expect(wheel.link(5000, 0)).toBe(-1);
    expect(wheel.link(5000, 52)).toBe(0);
    expect(wheel.link(6000, 104)).toBe(-1);
    expect(wheel.link(5000, 156)).toBe(52);
    expect(wheel.get(5000)).toEqual({ firstPos: 0, lastPos: 156, num: 3 });
    expect(wheel.get(6000)).toEqual({ firstPos: 104, lastPos: 104, num: 1 });
    wheel.clear(5000);
    expect(wheel.get(5000)).toBeUndefined();
    await wheel.close();
  });

  it('tells wheel turns apart: the same slot index a turn later is a different tick', async () => {
    const { wheel } = await wheelIn(16);
    wheel.link(3000, 520);
    // tick 19 lands on slot 19 mod 16 = 3 too
    expect(wheel.get(19_000)).toBeUndefined();
    expect(wheel.link(19_000, 572)).toBe(-1);
    expect(wheel.get(19_000)).toEqual({ firstPos: 572, lastPos: 572, num: 1 });
    expect(wheel.get(3000)).toBeUndefined();
    await wheel.close();
  });

  it('writes slots in the 32-byte layout at index (time / precision) mod slots', async () => {
    const { wheel, path } = await wheelIn(16);
    wheel.link(21_000, 52); // tick 21 → slot 5
    wheel.link(21_000, 104);
    await wheel.flush();
    const file = readFileSync(path);
    expect(file.length).toBe(16 * 32);
    expect(file.subarray(5 * 32, 6 * 32).toString('hex')).toBe(
      [
        '0000000000000015', // int64 timeSecs = 21
        '0000000000000034', // int64 firstPos = 52
        '0000000000000068', // int64 lastPos = 104
        '00000002', // int32 num = 2
        '00000000', // int32 magic
      ].join(''),
    );
    // later flushes write only the changed slots
    wheel.clear(21_000);
    wheel.link(22_000, 156);
    await wheel.flush();
    const again = readFileSync(path);
    expect(again.subarray(5 * 32, 6 * 32).equals(Buffer.alloc(32))).toBe(true);
    expect(again.readInt32BE(6 * 32 + 24)).toBe(1);
    await wheel.close();
  });
});
