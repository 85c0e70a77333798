/**
 * CPU time used by the benchmark client (this process) and by the local cluster's child process over the measured
 * window. CPU time per message does not depend on how busy the rest of the machine is, unlike messages/s.
 */
import { readFileSync } from 'node:fs';

/** Linux reports /proc/<pid>/stat times in USER_HZ ticks, 100 per second on every mainstream architecture. */
const USER_HZ = 100;

/** utime + stime of `pid` in seconds from /proc (Linux); undefined elsewhere or when the process is gone. */
export function processCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which is in parentheses and may contain spaces): state is field 3.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    if (!Number.isFinite(utime) || !Number.isFinite(stime)) return undefined;
    return (utime + stime) / USER_HZ;
  } catch {
    return undefined;
  }
}

/**
 * Seconds the main thread of `pid` has spent runnable but waiting for a core (the second field of
 * /proc/<pid>/schedstat, in ns); undefined where there is no such file. On a shared machine this is what stretches
 * latency tails: a message waits while its process waits for a CPU.
 */
export function runQueueWaitSeconds(pid: number): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/schedstat`, 'utf8').trim().split(' ');
    const ns = Number(fields[1]);
    return Number.isFinite(ns) ? ns / 1e9 : undefined;
  } catch {
    return undefined;
  }
}

/** This process's user + system CPU seconds. */
export function ownCpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

/** CPU seconds over a window, and per message. */
export interface CpuFigures {
  clientSeconds: number;
  /** Undefined with --namesrv (the broker is not our child). */
  brokerSeconds: number | undefined;
  /** Client CPU µs per message acknowledged in the window (sending and consuming both count). */
  clientUsPerMsg: number;
  brokerUsPerMsg: number | undefined;
  /** Seconds each main thread waited for a core in the window (Linux; undefined elsewhere). */
  clientRunQueueWaitSeconds?: number;
  brokerRunQueueWaitSeconds?: number;
}

/** Samples CPU times at the start of a window; `end(messages)` gives the figures. */
export class CpuWindow {
  private readonly client0: number;
  private readonly broker0: number | undefined;
  private readonly clientWait0 = runQueueWaitSeconds(process.pid);
  private readonly brokerWait0: number | undefined;

  constructor(private readonly brokerPid: number | undefined) {
    this.client0 = ownCpuSeconds();
    this.broker0 = brokerPid === undefined ? undefined : processCpuSeconds(brokerPid);
    this.brokerWait0 = brokerPid === undefined ? undefined : runQueueWaitSeconds(brokerPid);
  }

  /** Figures from the start to now, per `messages` messages. */
  end(messages: number): CpuFigures {
    const clientSeconds = ownCpuSeconds() - this.client0;
    const broker1 = this.brokerPid === undefined ? undefined : processCpuSeconds(this.brokerPid);
    const brokerSeconds = broker1 === undefined || this.broker0 === undefined ? undefined : broker1 - this.broker0;
    const per = (s: number) => (messages > 0 ? Math.round((s * 1e6) / messages) : 0);
    const waited = (before: number | undefined, after: number | undefined) =>
      before === undefined || after === undefined ? undefined : Math.round((after - before) * 100) / 100;
    const clientWait = waited(this.clientWait0, runQueueWaitSeconds(process.pid));
    const brokerWait =
      this.brokerPid === undefined ? undefined : waited(this.brokerWait0, runQueueWaitSeconds(this.brokerPid));
    return {
      ...(clientWait === undefined ? {} : { clientRunQueueWaitSeconds: clientWait }),
      ...(brokerWait === undefined ? {} : { brokerRunQueueWaitSeconds: brokerWait }),
      clientSeconds: Math.round(clientSeconds * 100) / 100,
      brokerSeconds: brokerSeconds === undefined ? undefined : Math.round(brokerSeconds * 100) / 100,
      clientUsPerMsg: per(clientSeconds),
      brokerUsPerMsg: brokerSeconds === undefined ? undefined : per(brokerSeconds),
    };
  }
}
