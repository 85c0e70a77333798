/**
 * Message store benchmark (`npm run bench:store`): append rate for 128 B, 1 KiB and 4 KiB bodies in both flush
 * modes with 1 and 64 concurrent appenders, read rate at the tail (memory) and cold (positional reads), and the
 * disk's own fdatasync'ed sequential write rate measured by this script for comparison.
 *
 * Prints a table of medians over RUNS runs (with CPU µs per append, which unlike msgs/s hardly depends on what else
 * runs on the machine), then one JSON line (`BENCH_JSON {...}`).
 * Environment: BENCH_RUNS (default 3), BENCH_SECONDS per run (default 1), BENCH_WARMUP seconds of appends before each
 * append run's measured window (default 0.3), BENCH_DIR (default os.tmpdir()),
 * BENCH_ONLY (a regular expression: run only the cases whose name matches, e.g. `SYNC.*4096`).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FileStore } from '../src/store/file-store.js';
import type { MessageToStore } from '../src/store/message-store.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 1);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 0.3);
const BASE = process.env.BENCH_DIR ?? os.tmpdir();
const ONLY = new RegExp(process.env.BENCH_ONLY ?? '.');

interface Sample {
  msgsPerSec: number;
  mbPerSec: number;
  p50us: number;
  p99us: number;
  /** CPU time (user + system, all threads of the process) per message over the run, in µs. */
  cpuUsPerMsg?: number;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};
const percentile = (sorted: Float64Array, p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;

function tempRoot(): string {
  return fs.mkdtempSync(path.join(BASE, 'rmq-bench-'));
}

/**
 * The disk's own rate: sequential writes of `chunk` bytes into a new file, each followed by fdatasync, measured over
 * `seconds` after `warmup` seconds of the same writes.
 */
function diskSyncRate(chunk: number, seconds: number, warmup = 0): number {
  const dir = tempRoot();
  const file = path.join(dir, 'disk');
  const fd = fs.openSync(file, 'w+');
  fs.ftruncateSync(fd, 1024 * 1024 * 1024);
  const buf = Buffer.alloc(chunk, 0x5a);
  let pos = 0;
  const writeFor = (secs: number): void => {
    const deadline = process.hrtime.bigint() + BigInt(Math.round(secs * 1e9));
    while (process.hrtime.bigint() < deadline && pos + chunk <= 1024 * 1024 * 1024) {
      fs.writeSync(fd, buf, 0, chunk, pos);
      fs.fdatasyncSync(fd);
      pos += chunk;
    }
  };
  writeFor(warmup);
  const from = pos;
  const start = process.hrtime.bigint();
  writeFor(seconds);
  const secs = Number(process.hrtime.bigint() - start) / 1e9;
  fs.closeSync(fd);
  fs.rmSync(dir, { recursive: true, force: true });
  return (pos - from) / secs / 1e6;
}

function msg(body: Buffer, i: number): MessageToStore {
  return {
    topic: 'BenchTopic',
    queueId: i % 8,
    flag: 0,
    sysFlag: 0,
    bornTimestamp: Date.now(),
    bornHost: { host: '127.0.0.1', port: 40000 },
    body,
    properties: `UNIQ_KEY\u0001BENCH${i}\u0002`,
    reconsumeTimes: 0,
    preparedTransactionOffset: 0,
    uniqKey: `BENCH${i}`,
  };
}

async function appendRun(bodySize: number, mode: 'ASYNC_FLUSH' | 'SYNC_FLUSH', appenders: number): Promise<Sample> {
  const root = tempRoot();
  const store = new FileStore({ config: { storePathRootDir: root, flushDiskType: mode } });
  await store.start();
  const body = Buffer.alloc(bodySize, 0x61);
  const latencies = new Float64Array(4_000_000);
  let seq = 0;
  let count = 0;
  let bytes = 0;
  let measuring = false;
  /** Runs the appenders until `seconds` have passed; only the measuring phase records latencies and counts. */
  const phase = async (seconds: number): Promise<void> => {
    const deadline = process.hrtime.bigint() + BigInt(Math.round(seconds * 1e9));
    let stop = false;
    const worker = async (): Promise<void> => {
      let n = 0;
      while (!stop) {
        const t0 = process.hrtime.bigint();
        const r = await store.putMessage(msg(body, seq++));
        const t1 = process.hrtime.bigint();
        if (r.status !== 'PUT_OK') throw new Error(`put failed: ${r.status}`);
        if (measuring) {
          if (count < latencies.length) latencies[count] = Number(t1 - t0) / 1000;
          count++;
          bytes += r.size;
        }
        // Let socket-like macrotasks (and the write-behind) run now and then, as a real broker's event loop does.
        if (++n % 64 === 0) {
          await new Promise((resolve) => setImmediate(resolve));
          if (process.hrtime.bigint() > deadline) stop = true;
        }
      }
    };
    await Promise.all(Array.from({ length: appenders }, worker));
  };
  // Not measured: lets the JIT optimise the append path (its compile threads count in process CPU).
  await phase(WARMUP);
  measuring = true;
  const start = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  await phase(SECONDS);
  const secs = Number(process.hrtime.bigint() - start) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  await store.shutdown();
  fs.rmSync(root, { recursive: true, force: true });
  const lat = latencies.subarray(0, Math.min(count, latencies.length)).sort();
  return {
    msgsPerSec: count / secs,
    mbPerSec: bytes / secs / 1e6,
    p50us: percentile(lat, 0.5),
    p99us: percentile(lat, 0.99),
    cpuUsPerMsg: (cpu.user + cpu.system) / count,
  };
}

async function readRun(where: 'tail' | 'cold'): Promise<Sample> {
  const root = tempRoot();
  const config = { storePathRootDir: root, tailCacheChunks: 8 };
  let store = new FileStore({ config });
  await store.start();
  const body = Buffer.alloc(1024, 0x62);
  const total = where === 'tail' ? 20_000 : 100_000;
  for (let i = 0; i < total; i++) {
    await store.putMessage({ ...msg(body, i), queueId: 0 });
    if (i % 64 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  if (where === 'cold') {
    await store.shutdown();
    store = new FileStore({ config });
    await store.start();
  }
  const latencies: number[] = [];
  let count = 0;
  let bytes = 0;
  const first = where === 'tail' ? total - 20_000 : 0;
  const start = process.hrtime.bigint();
  for (let offset = first; offset < total;) {
    const t0 = process.hrtime.bigint();
    const g = await store.getMessage('bench', 'BenchTopic', 0, offset, 32, 1 << 20);
    latencies.push(Number(process.hrtime.bigint() - t0) / 1000);
    if (g.status !== 'FOUND') throw new Error(`read failed at ${offset}: ${g.status}`);
    count += g.messages.length;
    bytes += g.totalBytes;
    offset = g.nextBeginOffset;
  }
  const secs = Number(process.hrtime.bigint() - start) / 1e9;
  await store.shutdown();
  fs.rmSync(root, { recursive: true, force: true });
  const lat = Float64Array.from(latencies).sort();
  return {
    msgsPerSec: count / secs,
    mbPerSec: bytes / secs / 1e6,
    p50us: percentile(lat, 0.5),
    p99us: percentile(lat, 0.99),
  };
}

function summarize(samples: Sample[]): Sample {
  return {
    msgsPerSec: median(samples.map((s) => s.msgsPerSec)),
    mbPerSec: median(samples.map((s) => s.mbPerSec)),
    p50us: median(samples.map((s) => s.p50us)),
    p99us: median(samples.map((s) => s.p99us)),
    ...(samples[0]?.cpuUsPerMsg === undefined ? {} : { cpuUsPerMsg: median(samples.map((s) => s.cpuUsPerMsg!)) }),
  };
}

const fmt = (n: number, d = 0): string =>
  n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

async function main(): Promise<void> {
  console.log(
    `store bench: ${RUNS} runs x ${SECONDS}s (after ${WARMUP}s warm-up), dir ${BASE}, node ${process.version}, ${os.cpus().length} cpus`,
  );
  const disk1m = median(Array.from({ length: RUNS }, () => diskSyncRate(1024 * 1024, SECONDS, WARMUP)));
  const disk256k = median(Array.from({ length: RUNS }, () => diskSyncRate(256 * 1024, SECONDS, WARMUP)));
  console.log(
    `disk sequential write + fdatasync: ${fmt(disk1m, 1)} MB/s (1 MiB writes), ${fmt(disk256k, 1)} MB/s (256 KiB writes)`,
  );
  const results: Record<string, Sample & { ratioToDisk?: number; diskMBps?: number[] }> = {};
  console.log(
    '\n"vs disk" (SYNC_FLUSH) = our MB/s over the disk\'s 1 MiB write + fdatasync rate, measured the same way as the',
  );
  console.log(
    'run (same warm-up, same window) right before and right after it, and averaged (median over the runs). The disk',
  );
  console.log("rate swings with the disk's recent load, so both sides are measured at the same moments. ASYNC_FLUSH");
  console.log(
    "cases, whose appends are not each fdatasync'ed, are compared with the 1 MiB rate above (after the same warm-up).",
  );
  console.log(
    '"cpu us/msg" = process CPU (user + system, every thread) over the run divided by the appends: unlike msgs/s it',
  );
  console.log('hardly depends on what else runs on the machine');
  console.log('case                         msgs/s        MB/s   put p50 us   put p99 us   vs disk   cpu us/msg');
  for (const mode of ['ASYNC_FLUSH', 'SYNC_FLUSH'] as const) {
    for (const size of [128, 1024, 4096]) {
      for (const appenders of [1, 64]) {
        const key = `append ${mode} ${size}B x${appenders}`;
        if (!ONLY.test(key)) continue;
        const runs: Sample[] = [];
        const ratios: number[] = [];
        const disks: number[] = [];
        for (let r = 0; r < RUNS; r++) {
          if (mode === 'ASYNC_FLUSH') {
            runs.push(await appendRun(size, mode, appenders));
            continue;
          }
          // The disk is shared and its rate depends on its recent load: bracket each run with two disk runs.
          const before = diskSyncRate(1024 * 1024, SECONDS, WARMUP);
          const run = await appendRun(size, mode, appenders);
          const after = diskSyncRate(1024 * 1024, SECONDS, WARMUP);
          runs.push(run);
          disks.push(before, after);
          ratios.push(run.mbPerSec / ((before + after) / 2));
        }
        const s = summarize(runs);
        const ratio = ratios.length > 0 ? median(ratios) : s.mbPerSec / disk1m;
        results[key] = { ...s, ratioToDisk: ratio, ...(disks.length > 0 ? { diskMBps: disks } : {}) };
        const vsDisk = `${fmt(ratio * 100, 0).padStart(8)}%`;
        console.log(
          `${key.padEnd(28)} ${fmt(s.msgsPerSec).padStart(9)} ${fmt(s.mbPerSec, 1).padStart(10)} ${fmt(s.p50us, 1).padStart(12)} ${fmt(s.p99us, 1).padStart(12)} ${vsDisk} ${fmt(s.cpuUsPerMsg ?? 0, 2).padStart(12)}`,
        );
        if (disks.length > 0) {
          const pairs = runs.map((run, i) => `${fmt(disks[2 * i]!)}|${fmt(run.mbPerSec)}|${fmt(disks[2 * i + 1]!)}`);
          console.log(`${''.padEnd(28)} disk|ours|disk MB/s per run: ${pairs.join('  ')}`);
        }
      }
    }
  }
  for (const where of ['tail', 'cold'] as const) {
    const key = `read ${where} 1KiB x32/pull`;
    if (!ONLY.test(key)) continue;
    const runs: Sample[] = [];
    for (let r = 0; r < RUNS; r++) runs.push(await readRun(where));
    const s = summarize(runs);
    results[key] = s;
    console.log(
      `${key.padEnd(28)} ${fmt(s.msgsPerSec).padStart(9)} ${fmt(s.mbPerSec, 1).padStart(10)} ${fmt(s.p50us, 1).padStart(12)} ${fmt(s.p99us, 1).padStart(12)}   (per pull)`,
    );
  }
  console.log(`BENCH_JSON ${JSON.stringify({ diskSyncMBps1MiB: disk1m, diskSyncMBps256KiB: disk256k, results })}`);
}

await main();
