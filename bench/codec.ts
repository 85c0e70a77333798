/**
 * Remoting codec micro-benchmark: encode and decode rates of typical frames with JSON and ROCKETMQ binary headers.
 *
 *   node --import tsx bench/codec.ts [--json] [--runs N] [--seconds S]
 *
 * Each case runs `runs` times (default 5) for about `seconds` (default 1) after a warm-up; the reported rate is the
 * median run's frames/s, and p50/p99 per-op latency are estimated from the timing of batches of operations.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { type RemotingCommand, SerializeType } from '../src/protocol/command.js';
import { decodeCommand, encodeCommand, encodeCommandHead } from '../src/protocol/frame.js';

const { values: args } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    runs: { type: 'string', default: '5' },
    seconds: { type: 'string', default: '1' },
  },
});
const RUNS = Math.max(1, Number(args.runs));
const RUN_NS = BigInt(Math.round(Number(args.seconds) * 1e9));
const BATCH = 256;

/** SEND_MESSAGE_V2 (310) with the single-letter header fields a Java producer sends, and a 1 KiB body. */
function sendRequest(serializeType: SerializeType): RemotingCommand {
  return {
    code: 310,
    language: 0,
    version: 479,
    opaque: 123456,
    flag: 0,
    extFields: {
      a: 'please_rename_unique_group_name',
      b: 'TopicTest',
      c: 'TBW102',
      d: '4',
      e: '3',
      f: '0',
      g: '1700000000000',
      h: '0',
      i: 'KEYS\u0001OrderID188\u0002UNIQ_KEY\u00017F0000010B6F18B4AAC2168E4A1F0000\u0002WAIT\u0001true\u0002TAGS\u0001TagA\u0002',
      j: '0',
      k: 'false',
      l: '16',
      m: 'false',
      n: 'broker-a',
    },
    body: randomBytes(1024),
    serializeType,
  };
}

/** A PULL_MESSAGE response carrying 32 stored records of about 1.1 KiB each. */
function pullResponse(serializeType: SerializeType): RemotingCommand {
  return {
    code: 0,
    language: 0,
    version: 479,
    opaque: 123456,
    flag: 1,
    extFields: { suggestWhichBrokerId: '0', nextBeginOffset: '1032', minOffset: '0', maxOffset: '250000' },
    body: randomBytes(32 * 1126),
    serializeType,
  };
}

interface Measurement {
  /** Operations per second of wall-clock time. */
  opsPerSec: number;
  /** Operations per second of this process's CPU time (user + system): the one-core rate on a busy machine. */
  opsPerCpuSec: number;
  p50Ns: number;
  p99Ns: number;
}

let sink = 0;

/** Runs `op` in batches for RUN_NS; returns the rate and per-op latency percentiles from batch timings. */
function measureOnce(op: () => number, runNs: bigint): Measurement {
  const perOp: number[] = [];
  let ops = 0;
  const cpuStart = process.cpuUsage();
  const start = process.hrtime.bigint();
  let now = start;
  while (now - start < runNs) {
    const batchStart = now;
    for (let i = 0; i < BATCH; i++) sink += op();
    now = process.hrtime.bigint();
    perOp.push(Number(now - batchStart) / BATCH);
    ops += BATCH;
  }
  const cpu = process.cpuUsage(cpuStart);
  perOp.sort((a, b) => a - b);
  const at = (q: number) => perOp[Math.min(perOp.length - 1, Math.floor(q * perOp.length))]!;
  return {
    opsPerSec: ops / (Number(now - start) / 1e9),
    opsPerCpuSec: ops / ((cpu.user + cpu.system) / 1e6),
    p50Ns: at(0.5),
    p99Ns: at(0.99),
  };
}

interface CaseResult extends Measurement {
  name: string;
  op: 'encode' | 'encodeHead' | 'decode';
  frameBytes: number;
  runsOpsPerSec: number[];
  runsOpsPerCpuSec: number[];
}

function measure(name: string, op: CaseResult['op'], frameBytes: number, fn: () => number): CaseResult {
  measureOnce(fn, RUN_NS / 3n); // warm-up
  const runs = Array.from({ length: RUNS }, () => measureOnce(fn, RUN_NS));
  const byRate = [...runs].sort((a, b) => a.opsPerSec - b.opsPerSec);
  const median = byRate[Math.floor(byRate.length / 2)]!;
  const medianCpu = [...runs].sort((a, b) => a.opsPerCpuSec - b.opsPerCpuSec)[Math.floor(runs.length / 2)]!;
  return {
    name,
    op,
    frameBytes,
    ...median,
    opsPerCpuSec: medianCpu.opsPerCpuSec,
    runsOpsPerSec: runs.map((r) => Math.round(r.opsPerSec)),
    runsOpsPerCpuSec: runs.map((r) => Math.round(r.opsPerCpuSec)),
  };
}

const cases: [string, RemotingCommand][] = [
  ['send-v2 json', sendRequest(SerializeType.JSON)],
  ['send-v2 binary', sendRequest(SerializeType.ROCKETMQ)],
  ['pull-32 json', pullResponse(SerializeType.JSON)],
  ['pull-32 binary', pullResponse(SerializeType.ROCKETMQ)],
];

const results: CaseResult[] = [];
for (const [name, cmd] of cases) {
  const frame = encodeCommand(cmd);
  const withoutPrefix = frame.subarray(4);
  results.push(measure(name, 'encode', frame.length, () => encodeCommand(cmd).length));
  results.push(measure(name, 'decode', frame.length, () => decodeCommand(withoutPrefix).code + 1));
  if (name.startsWith('pull')) {
    // what a transport writing head and body separately pays: no body copy
    results.push(measure(name, 'encodeHead', frame.length, () => encodeCommandHead(cmd).length));
  }
}

if (sink === 0) console.error('(sink unused)');

if (args.json) {
  console.log(
    JSON.stringify({
      bench: 'codec',
      node: process.version,
      arch: process.arch,
      runs: RUNS,
      secondsPerRun: Number(args.seconds),
      results: results.map((r) => ({
        ...r,
        opsPerSec: Math.round(r.opsPerSec),
        opsPerCpuSec: Math.round(r.opsPerCpuSec),
        p50Ns: Math.round(r.p50Ns),
        p99Ns: Math.round(r.p99Ns),
      })),
    }),
  );
} else {
  console.log(`codec bench — Node.js ${process.version} ${process.arch}, median of ${RUNS} runs × ${args.seconds} s`);
  console.log("frames/s: per wall-clock second; per cpu-s: per second of this process's CPU time (busy machines)");
  console.log(
    `${'case'.padEnd(16)}${'op'.padEnd(12)}${'bytes'.padStart(7)}${'frames/s'.padStart(12)}${'per cpu-s'.padStart(12)}${'p50 ns'.padStart(9)}${'p99 ns'.padStart(9)}`,
  );
  for (const r of results) {
    console.log(
      `${r.name.padEnd(16)}${r.op.padEnd(12)}${String(r.frameBytes).padStart(7)}` +
        `${Math.round(r.opsPerSec).toLocaleString('en-US').padStart(12)}` +
        `${Math.round(r.opsPerCpuSec).toLocaleString('en-US').padStart(12)}` +
        `${Math.round(r.p50Ns).toString().padStart(9)}${Math.round(r.p99Ns).toString().padStart(9)}`,
    );
  }
}
