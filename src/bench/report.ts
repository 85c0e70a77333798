/**
 * What mqbench prints: the per-second progress line, the final text report, and the result object (the `--json`
 * line).
 */
import type { CpuFigures } from './cpu.js';
import type { LatencySummary } from './histogram.js';
import type { BenchOptions } from './options.js';
import type { IntervalFigures } from './stats.js';

/** The backlog drain of a `backlog` run. */
export interface DrainFigures {
  /** Messages received while draining. */
  messages: number;
  /** From the first to the last message received. */
  seconds: number;
  /** messages / seconds. */
  tps: number;
  /** From starting the consumers to the first message (rebalance, first pulls). */
  startupSeconds: number;
  /** CPU used while draining (from starting the consumers), per message drained. */
  cpu?: CpuFigures;
}

/** The outcome of one run (also the `--json` object). */
export interface BenchResult {
  tool: 'mqbench';
  name: string;
  options: BenchOptions;
  /** 'local (child process, ASYNC_FLUSH)' or 'external <namesrv>'. */
  cluster: string;
  startedAt: string;
  node: string;
  cpus: number;
  /** os.loadavg() at the start and at the end of the measurement. */
  loadavgStart: number[];
  loadavgEnd: number[];
  /** True when stopped early by SIGINT. */
  interrupted: boolean;
  /** Length of the measured window (the production phase for backlog runs). */
  seconds: number;
  /** Messages acknowledged SEND_OK within the measured window. */
  sent: number;
  /** Messages of this run received within the measured window. */
  received: number;
  sendTps: number;
  consumeTps: number;
  /** Body megabytes (10^6) per second acknowledged. */
  sendMBps: number;
  /** Whole run, warm-up included. */
  sentTotal: number;
  receivedTotal: number;
  /** Acknowledged but not received when the report was made. */
  backlogAtEnd: number;
  /** Latency of one send request (a whole batch with --batch), ms. */
  publishLatencyMs: LatencySummary;
  /** Receive time − send time of messages sent in the window, ms. */
  endToEndLatencyMs: LatencySummary;
  /** End-to-end split at the broker's store timestamp (whole ms, so each half is ±1 ms): send → stored. */
  sendToStoreMs?: LatencySummary;
  /** … and stored → received (the consume path: held-pull wake-up, pull response, client parse and hand-off). */
  storeToReceiveMs?: LatencySummary;
  /** Failed messages by error code (RocketMQError code, or status:<SendStatus>). */
  errors: Record<string, number>;
  errorCount: number;
  /** CPU used in the measured window (client = this process; broker = the local cluster child). */
  cpu?: CpuFigures;
  drain?: DrainFigures;
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const ms = (n: number) => (n < 10 ? n.toFixed(3) : n < 100 ? n.toFixed(2) : n.toFixed(1));

/** One progress line: `[ 12s measure] send 98,120/s  consume 97,004/s  backlog 1,116  max send RT 4.210 ms`. */
export function formatProgress(
  elapsedSeconds: number,
  phase: string,
  interval: IntervalFigures,
  intervalSeconds: number,
  backlog: number,
): string {
  const per = (n: number) => int(intervalSeconds > 0 ? n / intervalSeconds : 0);
  const errors = interval.errors > 0 ? `  errors ${int(interval.errors)}` : '';
  return (
    `[${String(Math.round(elapsedSeconds)).padStart(4)}s ${phase.padEnd(7)}] send ${per(interval.sent)}/s  ` +
    `consume ${per(interval.received)}/s  backlog ${int(backlog)}  max send RT ${ms(interval.maxSendRtMs)} ms${errors}`
  );
}

/** How long the main threads waited for a core (a shared machine's share of every latency tail). */
function runQueueWaitLine(c: CpuFigures, seconds: number): string | undefined {
  if (c.clientRunQueueWaitSeconds === undefined) return undefined;
  const share = (s: number) => (seconds > 0 ? ` (${Math.round((100 * s) / seconds)} % of the window)` : '');
  const broker =
    c.brokerRunQueueWaitSeconds === undefined
      ? ''
      : `, broker ${c.brokerRunQueueWaitSeconds.toFixed(2)} s${share(c.brokerRunQueueWaitSeconds)}`;
  return (
    `waiting for a core (main threads): client ${c.clientRunQueueWaitSeconds.toFixed(2)} s` +
    `${share(c.clientRunQueueWaitSeconds)}${broker}`
  );
}

function latencyLine(label: string, s: LatencySummary): string {
  if (s.count === 0) return `${label}: no samples`;
  return (
    `${label}: p50 ${ms(s.p50)} ms  p99 ${ms(s.p99)} ms  p99.9 ${ms(s.p999)} ms  max ${ms(s.max)} ms` +
    `  (${int(s.count)} samples, mean ${ms(s.mean)} ms)`
  );
}

/** The final human-readable report (several lines, no trailing newline). */
export function formatReport(r: BenchResult): string {
  const o = r.options;
  const lines = [
    `mqbench ${r.name}${r.interrupted ? ' (interrupted)' : ''}: ${o.topics} topic(s) x ${o.queues} queues, ` +
      `${o.size} B, ${o.producers} producer(s) x ${o.window} in flight, batch ${o.batch}, ` +
      `rate ${o.rate === 0 ? 'max' : `${int(o.rate)}/s`}, ${o.consumers} consumer(s), ${r.cluster}`,
    `load average ${r.loadavgStart.map((n) => n.toFixed(2)).join(' ')} -> ${r.loadavgEnd.map((n) => n.toFixed(2)).join(' ')}, ${r.cpus} cpus, node ${r.node}`,
    `measured ${r.seconds.toFixed(1)} s: sent ${int(r.sent)} (${int(r.sendTps)} msgs/s, ${r.sendMBps.toFixed(1)} MB/s), ` +
      `received ${int(r.received)} (${int(r.consumeTps)} msgs/s)`,
    `whole run: sent ${int(r.sentTotal)}, received ${int(r.receivedTotal)}, backlog at end ${int(r.backlogAtEnd)}`,
    latencyLine('publish latency', r.publishLatencyMs),
    latencyLine('end-to-end latency', r.endToEndLatencyMs),
  ];
  if (r.sendToStoreMs && r.storeToReceiveMs && r.storeToReceiveMs.count > 0) {
    lines.push(
      latencyLine('  of which send → stored (±1 ms)', r.sendToStoreMs),
      latencyLine('  and stored → received (±1 ms)', r.storeToReceiveMs),
    );
  }
  if (r.cpu) {
    const broker =
      r.cpu.brokerSeconds === undefined
        ? 'broker not measured (external cluster)'
        : `broker ${r.cpu.brokerSeconds.toFixed(2)} s (${r.cpu.brokerUsPerMsg} µs/msg)`;
    lines.push(
      `cpu in the window: client ${r.cpu.clientSeconds.toFixed(2)} s (${r.cpu.clientUsPerMsg} µs/msg), ${broker}`,
    );
    const wait = runQueueWaitLine(r.cpu, r.seconds);
    if (wait) lines.push(wait);
  }
  if (r.drain) {
    lines.push(
      `backlog drain: ${int(r.drain.messages)} msgs in ${r.drain.seconds.toFixed(2)} s = ${int(r.drain.tps)} msgs/s` +
        ` (first message ${r.drain.startupSeconds.toFixed(2)} s after the consumers started)`,
    );
    const c = r.drain.cpu;
    if (c) {
      const broker =
        c.brokerSeconds === undefined ? '' : `, broker ${c.brokerSeconds.toFixed(2)} s (${c.brokerUsPerMsg} µs/msg)`;
      lines.push(`cpu while draining: client ${c.clientSeconds.toFixed(2)} s (${c.clientUsPerMsg} µs/msg)${broker}`);
      const wait = runQueueWaitLine(c, r.drain.seconds);
      if (wait) lines.push(wait);
    }
  }
  const errors = Object.entries(r.errors);
  lines.push(
    errors.length === 0
      ? 'errors: none'
      : `errors: ${errors.map(([code, n]) => `${code} ${int(n)}`).join(', ')} (${int(r.errorCount)} messages)`,
  );
  return lines.join('\n');
}
