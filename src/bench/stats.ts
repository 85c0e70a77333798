/**
 * Counters and histograms of one mqbench run, plus the body stamp that carries each message's send time to the
 * consumer (same process, so one clock): `MQB1` magic, run id, send time in epoch ms with µs fraction.
 */
import { RocketMQError } from '../common/errors.js';
import { Histogram } from './histogram.js';

/** Bytes of the stamp at the start of each body (bodies shorter than this carry none). */
export const STAMP_BYTES = 16;
const STAMP_MAGIC = 0x3142514d; // 'MQB1' little-endian

/** The performance clock's origin (epoch ms), read once: the getter is a measurable cost at 100,000 calls/s. */
const TIME_ORIGIN = performance.timeOrigin;

/** Wall-clock milliseconds with sub-millisecond precision (performance clock anchored at its time origin). */
export function nowMs(): number {
  return TIME_ORIGIN + performance.now();
}

/** A body template of `size` bytes ('x' filler); {@link stampBody} copies it and writes the stamp. */
export function bodyTemplate(size: number): Buffer {
  return Buffer.alloc(size, 0x78);
}

/** A fresh body: the template with the stamp (magic, runId, sendTimeMs) when it is long enough. */
export function stampBody(template: Buffer, runId: number, sendTimeMs: number): Buffer {
  const body = Buffer.allocUnsafe(template.length);
  template.copy(body);
  if (body.length >= STAMP_BYTES) {
    body.writeUInt32LE(STAMP_MAGIC, 0);
    body.writeUInt32LE(runId >>> 0, 4);
    body.writeDoubleLE(sendTimeMs, 8);
  }
  return body;
}

/** The send time (ms) stamped in `body` by run `runId`; undefined if unstamped; null if from another run. */
export function readStamp(body: Buffer, runId: number): number | undefined | null {
  if (body.length < STAMP_BYTES || body.readUInt32LE(0) !== STAMP_MAGIC) return undefined;
  if (body.readUInt32LE(4) !== runId >>> 0) return null;
  return body.readDoubleLE(8);
}

/** The stable name an error is counted under: RocketMQError code, else Node's `code`, else the class name. */
export function errorKey(err: unknown): string {
  if (err instanceof RocketMQError) return err.code;
  if (err instanceof Error) {
    const code = (err as Error & { code?: unknown }).code;
    return typeof code === 'string' ? code : err.name;
  }
  return 'UNKNOWN';
}

/** Per-second figures for the progress line. */
export interface IntervalFigures {
  sent: number;
  received: number;
  maxSendRtMs: number;
  errors: number;
}

/** Everything counted during a run. */
export class BenchStats {
  /** Messages acknowledged SEND_OK since the start (warm-up included). */
  sentTotal = 0;
  /** Messages of this run received since the start. */
  receivedTotal = 0;
  /** Messages from earlier runs seen by the consumers (ignored). */
  staleReceived = 0;
  /** Acknowledged while measuring. */
  measuredSent = 0;
  /** Received while measuring. */
  measuredReceived = 0;
  /** Failed sends (messages) by error code, whole run. */
  readonly errors = new Map<string, number>();
  /** Send (request) latency while measuring, µs. */
  readonly publish = new Histogram();
  /** Receive time − send time of messages sent while measuring, µs. */
  readonly endToEnd = new Histogram();
  /**
   * The two halves of {@link endToEnd} split at the broker's store timestamp (its clock, whole milliseconds, so each
   * half is off by up to 1 ms): send → stored, and stored → received. They tell whether a latency tail comes from
   * the send path or the consume path.
   */
  readonly sendToStore = new Histogram();
  readonly storeToReceive = new Histogram();
  /** Start of the measured window (epoch ms); Infinity before it starts. */
  measureStartMs = Number.POSITIVE_INFINITY;
  /** End of the measured window (epoch ms); Infinity while measuring. */
  measureEndMs = Number.POSITIVE_INFINITY;
  /** Receive time of the first and last message of this run (epoch ms; NaN before any). */
  firstReceiveMs = Number.NaN;
  lastReceiveMs = Number.NaN;
  private interval: IntervalFigures = { sent: 0, received: 0, maxSendRtMs: 0, errors: 0 };

  /** True between {@link beginMeasure} and {@link endMeasure}. */
  get measuring(): boolean {
    const now = nowMs();
    return now >= this.measureStartMs && now < this.measureEndMs;
  }

  /** Starts the measured window now. */
  beginMeasure(): void {
    this.measureStartMs = nowMs();
    this.measureEndMs = Number.POSITIVE_INFINITY;
  }

  /** Ends the measured window now (sends completing later are not counted). */
  endMeasure(): void {
    if (this.measureEndMs === Number.POSITIVE_INFINITY) this.measureEndMs = nowMs();
  }

  /** Seconds of the measured window so far. */
  measuredSeconds(): number {
    if (this.measureStartMs === Number.POSITIVE_INFINITY) return 0;
    return (Math.min(this.measureEndMs, nowMs()) - this.measureStartMs) / 1000;
  }

  /** A send request of `messages` messages succeeded after `rtMs`. */
  onSendOk(messages: number, rtMs: number): void {
    this.sentTotal += messages;
    this.interval.sent += messages;
    if (rtMs > this.interval.maxSendRtMs) this.interval.maxSendRtMs = rtMs;
    if (this.measuring) {
      this.measuredSent += messages;
      this.publish.record(rtMs * 1000);
    }
  }

  /** A send request of `messages` messages failed (or was answered with a status other than SEND_OK). */
  onSendError(messages: number, key: string): void {
    this.errors.set(key, (this.errors.get(key) ?? 0) + messages);
    this.interval.errors += messages;
  }

  /**
   * A message arrived at `receivedMs`; `sentMs` from its stamp (or born timestamp), null if from another run;
   * `storedMs` is the broker's store timestamp (whole ms), when known.
   */
  onReceive(sentMs: number | null, receivedMs: number, storedMs?: number): void {
    if (sentMs === null) {
      this.staleReceived++;
      return;
    }
    this.receivedTotal++;
    this.interval.received++;
    if (Number.isNaN(this.firstReceiveMs)) this.firstReceiveMs = receivedMs;
    this.lastReceiveMs = receivedMs;
    if (receivedMs >= this.measureStartMs && receivedMs < this.measureEndMs) this.measuredReceived++;
    if (sentMs >= this.measureStartMs && sentMs < this.measureEndMs) {
      this.endToEnd.record((receivedMs - sentMs) * 1000);
      if (storedMs !== undefined && storedMs > 0) {
        // The store timestamp is truncated to the millisecond: its midpoint is the best guess of the store time.
        this.sendToStore.record((storedMs + 0.5 - sentMs) * 1000);
        this.storeToReceive.record((receivedMs - storedMs - 0.5) * 1000);
      }
    }
  }

  /** Messages acknowledged but not yet received (never negative). */
  backlog(): number {
    return Math.max(0, this.sentTotal - this.receivedTotal);
  }

  /** The figures since the previous call, then starts a new interval. */
  takeInterval(): IntervalFigures {
    const out = this.interval;
    this.interval = { sent: 0, received: 0, maxSendRtMs: 0, errors: 0 };
    return out;
  }
}
