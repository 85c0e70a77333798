/**
 * TimerMessageService over a real FileStore in a temp dir, driven by hand (manual mode) with an injected clock:
 * enqueue into the wheel, delivery at the end of the tick, rolls, late and catch-up ticks, restart recovery.
 */
import { readdirSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TIMER_TOPIC, type TimerRules, toTimerMessage } from '../../../src/broker/timer/timer-message.js';
import { TimerMessageService } from '../../../src/broker/timer/timer-message-service.js';
import { silentLogger } from '../../../src/common/logger.js';
import { decodeProperties } from '../../../src/protocol/message/properties.js';
import { decodeRecord } from '../../../src/protocol/message/record.js';
import type { FileStore } from '../../../src/store/file-store.js';
import type { MessageToStore } from '../../../src/store/message-store.js';
import { message, newStore, removeDir, tempDir } from '../../store/helpers.js';

const T0 = 1_700_000_000_000;
const RULES: TimerRules = { enable: true, maxDelaySec: 259_200, precisionMs: 1000 };
const CONFIG = {
  timerPrecisionMs: 1000,
  timerRollWindowSlot: 172_800,
  timerFlushIntervalMs: 1000,
  mappedFileSizeTimerLog: 52 * 20,
};

interface Rig {
  root: string;
  clock: { now: number };
  store: FileStore;
  timer: TimerMessageService;
}
const rigs: Rig[] = [];

afterEach(async () => {
  for (const r of rigs.splice(0)) {
    await r.timer.shutdown().catch(() => undefined);
    await r.store.shutdown().catch(() => undefined);
    removeDir(r.root);
  }
});

async function startRig(
  root = tempDir('timer-'),
  clock = { now: T0 },
  overrides: Partial<typeof CONFIG> = {},
  fileReservedTime = 72,
) {
  const store = newStore(root, { fileReservedTime }, { clock: () => clock.now });
  await store.start();
  const timer = new TimerMessageService({
    store,
    rootDir: join(root, 'store'),
    config: { ...CONFIG, ...overrides },
    fileReservedTimeHours: fileReservedTime,
    logger: silentLogger,
    now: () => clock.now,
    manual: true,
  });
  await timer.start();
  const rig = { root, clock, store, timer };
  rigs.push(rig);
  return rig;
}

async function stopRig(rig: Rig): Promise<void> {
  await rig.timer.shutdown();
  await rig.store.shutdown();
  rigs.splice(rigs.indexOf(rig), 1);
}

/** Puts `body` for `topic` asking for delivery at `deliverMs`, through the send-path conversion. */
async function putTimed(rig: Rig, topic: string, body: string, deliverMs: number): Promise<void> {
  const plain = message(topic, 1, body, { tags: 'T' });
  const msg = toTimerMessage(
    { ...plain, properties: `${plain.properties}TIMER_DELIVER_MS\u0001${deliverMs}\u0002` },
    RULES,
    rig.clock.now,
  );
  if ('code' in msg) throw new Error(msg.remark);
  expect((msg as MessageToStore).topic).toBe(TIMER_TOPIC);
  const put = await rig.store.putMessage(msg as MessageToStore);
  expect(put.status).toBe('PUT_OK');
}

async function bodiesIn(store: FileStore, topic: string, queueId = 1): Promise<string[]> {
  const out: string[] = [];
  for (;;) {
    const res = await store.getMessage('G', topic, queueId, out.length, 1000, 64 * 1024 * 1024);
    if (res.messages.length === 0) return out;
    for (const m of res.messages) out.push(decodeRecord(m).body.toString());
  }
}

async function drain(rig: Rig): Promise<void> {
  while ((await rig.timer.enqueueOnce()) > 0) {
    // until the timer topic is drained
  }
}

describe('TimerMessageService', () => {
  it('holds a message until the end of its tick, then puts it to its real topic and queue', async () => {
    const rig = await startRig();
    await putTimed(rig, 'Real', 'a', T0 + 3500);
    await putTimed(rig, 'Real', 'b', T0 + 3000);
    await drain(rig);
    expect(rig.timer.stats().pending).toBe(2);

    rig.clock.now = T0 + 2999;
    await rig.timer.dequeueDue();
    expect(await bodiesIn(rig.store, 'Real')).toEqual([]);

    rig.clock.now = T0 + 3000; // b (exactly 3000) is due; a (3500) is in the next tick
    await rig.timer.dequeueDue();
    expect(await bodiesIn(rig.store, 'Real')).toEqual(['b']);

    rig.clock.now = T0 + 3999;
    await rig.timer.dequeueDue();
    expect(await bodiesIn(rig.store, 'Real')).toEqual(['b']);
    rig.clock.now = T0 + 4000;
    await rig.timer.dequeueDue();
    expect(await bodiesIn(rig.store, 'Real')).toEqual(['b', 'a']);
    expect(rig.timer.stats()).toMatchObject({ pending: 0, delivered: 2 });

    const res = await rig.store.getMessage('G', 'Real', 1, 0, 10, 1 << 20);
    const props = decodeProperties(decodeRecord(res.messages[1]!).properties);
    expect(props.REAL_TOPIC).toBeUndefined();
    expect(props.REAL_QID).toBeUndefined();
    expect(props.TIMER_OUT_MS).toBe(String(T0 + 3000));
    expect(props.TIMER_DELIVER_MS).toBe(String(T0 + 3500));
    expect(props.TAGS).toBe('T');
  });

  it('keeps several messages of one tick in send order and spreads timer log files', async () => {
    const rig = await startRig();
    const bodies = Array.from({ length: 50 }, (_, i) => `m${i}`);
    for (const b of bodies) await putTimed(rig, 'Burst', b, T0 + 10_000);
    await drain(rig);
    rig.clock.now = T0 + 10_000;
    expect(await rig.timer.dequeueDue()).toBe(50);
    expect(await bodiesIn(rig.store, 'Burst')).toEqual(bodies);
    // 50 units of 52 bytes in 1040-byte files: 3 files
    expect(readdirSync(join(rig.root, 'store', 'timerlog')).length).toBe(3);
    expect(statSync(join(rig.root, 'store', 'timerwheel')).size).toBe(0); // written at the first flush
    await rig.timer.flush();
    expect(statSync(join(rig.root, 'store', 'timerwheel')).size).toBe(2 * 7 * 86_400 * 32);
  });

  it('walks a slot chain across read blocks (3000 units in one tick, 1 MiB timer log files)', async () => {
    const rig = await startRig(undefined, undefined, { mappedFileSizeTimerLog: 1024 * 1024 });
    const bodies = Array.from({ length: 3000 }, (_, i) => `n${i}`);
    for (const b of bodies) await putTimed(rig, 'Big', b, T0 + 4000);
    await drain(rig);
    rig.clock.now = T0 + 4000;
    expect(await rig.timer.dequeueDue()).toBe(3000);
    expect(await bodiesIn(rig.store, 'Big')).toEqual(bodies);
    expect(rig.timer.stats()).toMatchObject({ delivered: 3000, lost: 0, pending: 0 });
  });

  it('walks the chain of a slot whose units are spread out in the log', async () => {
    const rig = await startRig(undefined, undefined, { mappedFileSizeTimerLog: 1024 * 1024 });
    const expected: string[] = [];
    for (let i = 0; i < 5; i++) {
      await putTimed(rig, 'Sparse', `s${i}`, T0 + 3000);
      expected.push(`s${i}`);
      for (let k = 0; k < 30; k++) await putTimed(rig, 'Other', `o${i}-${k}`, T0 + 9000);
    }
    await drain(rig);
    rig.clock.now = T0 + 3000;
    expect(await rig.timer.dequeueDue()).toBe(5);
    expect(await bodiesIn(rig.store, 'Sparse')).toEqual(expected);
    expect(await bodiesIn(rig.store, 'Other')).toEqual([]);
    rig.clock.now = T0 + 9000;
    expect(await rig.timer.dequeueDue()).toBe(150);
  });

  it('puts a message that enqueues after its tick was taken into the next tick', async () => {
    const rig = await startRig();
    await putTimed(rig, 'Late', 'x', T0 + 2000);
    rig.clock.now = T0 + 5000; // the wheel passed T0+2000 before the enqueue saw the message
    await rig.timer.dequeueDue();
    await drain(rig);
    expect(await bodiesIn(rig.store, 'Late')).toEqual([]);
    rig.clock.now = T0 + 6000;
    await rig.timer.dequeueDue();
    expect(await bodiesIn(rig.store, 'Late')).toEqual(['x']);
  });

  it('rolls a delay beyond the roll window through a fresh copy, then delivers it on time', async () => {
    const rig = await startRig(undefined, undefined, { timerRollWindowSlot: 10 });
    expect(rig.timer.rollWindow).toBe(10_000);
    await putTimed(rig, 'Far', 'f', T0 + 25_000);
    await drain(rig);
    rig.clock.now = T0 + 10_000;
    await rig.timer.dequeueDue();
    expect(rig.timer.stats().rolled).toBe(1);
    await drain(rig); // the rolled copy comes back through the timer topic
    expect(rig.timer.stats().pending).toBe(1);
    rig.clock.now = T0 + 20_000;
    await rig.timer.dequeueDue();
    await drain(rig);
    expect(rig.timer.stats().rolled).toBe(2);
    rig.clock.now = T0 + 24_999;
    await rig.timer.dequeueDue();
    expect(await bodiesIn(rig.store, 'Far')).toEqual([]);
    rig.clock.now = T0 + 25_000;
    await rig.timer.dequeueDue();
    expect(await bodiesIn(rig.store, 'Far')).toEqual(['f']);
    const res = await rig.store.getMessage('G', 'Far', 1, 0, 10, 1 << 20);
    expect(decodeProperties(decodeRecord(res.messages[0]!).properties).TIMER_ROLL_TIMES).toBe('2');
  });

  it('survives a restart: pending timers are delivered once, a timer due during the downtime at start', async () => {
    const root = tempDir('timer-');
    const clock = { now: T0 };
    const rig = await startRig(root, clock);
    await putTimed(rig, 'R', 'early', T0 + 2000);
    await putTimed(rig, 'R', 'during-downtime', T0 + 5000);
    await putTimed(rig, 'R', 'after', T0 + 60_000);
    await drain(rig);
    await putTimed(rig, 'R', 'not-yet-enqueued', T0 + 7000);
    clock.now = T0 + 2000;
    await rig.timer.dequeueDue();
    expect(await bodiesIn(rig.store, 'R')).toEqual(['early']);
    await stopRig(rig);

    clock.now = T0 + 30_000; // down for 28 s
    const again = await startRig(root, clock);
    expect(again.timer.stats().pending).toBe(2);
    await drain(again);
    await again.timer.dequeueDue();
    expect(await bodiesIn(again.store, 'R')).toEqual(['early', 'during-downtime', 'not-yet-enqueued']);
    clock.now = T0 + 60_000;
    await again.timer.dequeueDue();
    expect(await bodiesIn(again.store, 'R')).toEqual(['early', 'during-downtime', 'not-yet-enqueued', 'after']);
    await stopRig(again);

    const third = await startRig(root, clock);
    await drain(third);
    clock.now = T0 + 120_000;
    await third.timer.dequeueDue();
    expect(third.timer.stats()).toMatchObject({ pending: 0, delivered: 0 });
    expect((await bodiesIn(third.store, 'R')).length).toBe(4);
  });

  it('deletes timer log files once every unit in them is delivered and checkpointed', async () => {
    const rig = await startRig();
    for (let i = 0; i < 45; i++) await putTimed(rig, 'Del', `d${i}`, T0 + 2000);
    await putTimed(rig, 'Del', 'later', T0 + 100_000);
    await drain(rig);
    const dir = join(rig.root, 'store', 'timerlog');
    expect(readdirSync(dir).length).toBe(3);
    rig.clock.now = T0 + 2000;
    await rig.timer.dequeueDue();
    await new Promise((r) => setTimeout(r, 150)); // the store's flush interval is 50 ms
    await rig.timer.flush();
    await rig.timer.flush();
    // the first two files only hold delivered units; the third holds 'later' and is being written
    expect(readdirSync(dir).length).toBe(1);
    rig.clock.now = T0 + 100_000;
    await rig.timer.dequeueDue();
    expect((await bodiesIn(rig.store, 'Del')).at(-1)).toBe('later');
  });

  it('keeps a timer beyond CommitLog retention by rolling it forward (fileReservedTime 1 h, a 100-minute timer)', async () => {
    const MIN = 60_000;
    const t = Math.floor(Date.now() / 1000) * 1000;
    const rig = await startRig(undefined, { now: t }, {}, 1);
    expect(rig.timer.rollWindow).toBe(30 * MIN); // half the retention time
    const commitDir = join(rig.root, 'store', 'commitlog');
    const stamped = new Set<string>();
    let active = '';
    // what the file system would show: each segment's mtime is when the broker last wrote it (the phase's time)
    const phaseEnd = async (at: number) => {
      for (let i = 0; i < 80; i++) await rig.store.putMessage(message('Fill', 0, 'f'.repeat(1000)));
      await rig.store.flush();
      const files = readdirSync(commitDir).sort();
      for (const f of files) {
        if (stamped.has(f) && f !== active) continue;
        utimesSync(join(commitDir, f), at / 1000, at / 1000);
        stamped.add(f);
      }
      active = files.at(-1)!;
    };
    await putTimed(rig, 'Keep', 'kept', t + 100 * MIN);
    const original = rig.store.getCommitLogMaxOffset();
    await drain(rig);
    await phaseEnd(t);
    for (const at of [30, 60, 90]) {
      rig.clock.now = t + at * MIN;
      await rig.timer.dequeueDue();
      await drain(rig);
      await phaseEnd(rig.clock.now);
      rig.clock.now = t + (at + 5) * MIN;
      await rig.store.runRetention();
    }
    expect(rig.store.getCommitLogMinOffset()).toBeGreaterThan(original); // the first copy is gone
    expect(rig.timer.stats()).toMatchObject({ rolled: 3, lost: 0, pending: 1 });
    rig.clock.now = t + 99 * MIN;
    await rig.timer.dequeueDue();
    expect(await bodiesIn(rig.store, 'Keep')).toEqual([]);
    rig.clock.now = t + 100 * MIN;
    await rig.timer.dequeueDue();
    expect(await bodiesIn(rig.store, 'Keep')).toEqual(['kept']);
    expect(rig.timer.stats()).toMatchObject({ delivered: 1, lost: 0 });
  });
});
