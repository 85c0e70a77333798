import { RocketMQError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import { silentLogger } from '../common/logger.js';
import type { RemotingCommand } from '../protocol/command.js';

interface PendingRequest {
  resolve: (response: RemotingCommand) => void;
  reject: (err: Error) => void;
  /** performance.now() after which the request times out. */
  deadline: number;
  timeoutMs: number;
}

/** Options of a {@link RequestTable}. */
export interface RequestTableOptions {
  /** Where late responses (debug) go. */
  logger?: Logger;
  /** Names the peer in timeout messages, e.g. "127.0.0.1:9876". */
  peer?: string;
  /** Most requests that may wait for a response at once; more are refused with TOO_MANY_REQUESTS. Default 65535. */
  maxPending?: number;
}

/** Default cap on responses awaited per connection (the Java client's async semaphore is 65535 too). */
export const DEFAULT_MAX_PENDING_REQUESTS = 65535;

/** Longest delay a Node timer honours; longer ones would fire after 1 ms. */
const MAX_TIMER_MS = 0x7fffffff;

/** A timer delay Node accepts: non-numbers and negatives become 0, huge values (Infinity) the longest timer. */
function clampTimeout(timeoutMs: number): number {
  if (!(timeoutMs > 0)) return 0;
  return Math.min(timeoutMs, MAX_TIMER_MS);
}

/**
 * Correlates responses with the requests awaiting them, keyed by opaque. Pure bookkeeping, no sockets: the connection
 * registers a request before writing it and completes it when a response frame arrives. A request that times out
 * rejects with REQUEST_TIMEOUT; its response, if it comes later, is dropped.
 *
 * Timeouts use one timer per table, armed for the earliest deadline, rather than one per request: creating and
 * clearing a timer for every request cost more than the rest of the bookkeeping. Requests mostly share a timeout, so
 * later ones rarely move the timer; when it fires, it rejects what has expired and re-arms for the next deadline.
 */
export class RequestTable {
  private readonly pending = new Map<number, PendingRequest>();
  private readonly logger: Logger;
  private readonly maxPending: number;
  private timer: NodeJS.Timeout | undefined;
  /** When the timer fires (performance.now() clock); Infinity when it is not armed. */
  private timerDue = Infinity;
  /** Peer named in error messages; may be set once the address is known. */
  peer: string;

  constructor(options: RequestTableOptions = {}) {
    this.logger = options.logger ?? silentLogger;
    this.peer = options.peer ?? 'peer';
    this.maxPending = options.maxPending ?? DEFAULT_MAX_PENDING_REQUESTS;
  }

  /** Requests still awaiting a response. */
  get size(): number {
    return this.pending.size;
  }

  /** Whether a request with this opaque is awaiting its response. */
  has(opaque: number): boolean {
    return this.pending.has(opaque);
  }

  /**
   * Awaits the response with `opaque`. Rejects with REQUEST_TIMEOUT after `timeoutMs`, with TOO_MANY_REQUESTS when
   * the table is full, and with INVALID_PARAMETER when the opaque is already awaited.
   */
  register(opaque: number, timeoutMs: number): Promise<RemotingCommand> {
    if (this.pending.has(opaque)) {
      return Promise.reject(
        new RocketMQError('INVALID_PARAMETER', `opaque ${opaque} is already awaiting a response from ${this.peer}`),
      );
    }
    if (this.pending.size >= this.maxPending) {
      return Promise.reject(
        new RocketMQError(
          'TOO_MANY_REQUESTS',
          `${this.pending.size} requests to ${this.peer} already await a response`,
        ),
      );
    }
    const delay = clampTimeout(timeoutMs);
    const deadline = performance.now() + delay;
    if (deadline < this.timerDue) this.arm(deadline, delay);
    return new Promise<RemotingCommand>((resolve, reject) => {
      this.pending.set(opaque, { resolve, reject, deadline, timeoutMs });
    });
  }

  /** Settles the request `response` answers. Returns false (and logs at debug) when nobody awaits it any more. */
  complete(response: RemotingCommand): boolean {
    const entry = this.pending.get(response.opaque);
    if (entry === undefined) {
      this.logger.debug(
        { peer: this.peer, opaque: response.opaque, code: response.code },
        'dropping a response nobody awaits (timed out or unknown)',
      );
      return false;
    }
    this.pending.delete(response.opaque);
    if (this.pending.size === 0) this.disarm();
    entry.resolve(response);
    return true;
  }

  /** Rejects one awaited request, e.g. when writing it failed. Returns false when it was not awaited. */
  fail(opaque: number, err: Error): boolean {
    const entry = this.pending.get(opaque);
    if (entry === undefined) return false;
    this.pending.delete(opaque);
    if (this.pending.size === 0) this.disarm();
    entry.reject(err);
    return true;
  }

  /** Rejects every awaited request with `err` (the connection closed) and clears all timers. */
  failAll(err: Error): void {
    const entries = [...this.pending.values()];
    this.pending.clear();
    this.disarm();
    for (const entry of entries) entry.reject(err);
  }

  /** (Re-)arms the timer to fire `delay` ms from now, at `deadline`. */
  private arm(deadline: number, delay: number): void {
    clearTimeout(this.timer);
    this.timerDue = deadline;
    this.timer = setTimeout(this.onTimer, delay);
  }

  private disarm(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.timerDue = Infinity;
  }

  /** Rejects every request past its deadline, then re-arms for the earliest deadline left, if any. */
  private readonly onTimer = (): void => {
    this.timer = undefined;
    this.timerDue = Infinity;
    const now = performance.now();
    let next = Infinity;
    const expired: Array<[number, PendingRequest]> = [];
    for (const [opaque, entry] of this.pending) {
      // timers may fire up to a millisecond early: a deadline within it counts as reached
      if (entry.deadline <= now + 1) expired.push([opaque, entry]);
      else if (entry.deadline < next) next = entry.deadline;
    }
    for (const [opaque] of expired) this.pending.delete(opaque);
    if (next !== Infinity) this.arm(next, Math.max(1, next - now));
    for (const [opaque, entry] of expired) {
      entry.reject(
        new RocketMQError('REQUEST_TIMEOUT', `request ${opaque} to ${this.peer} timed out after ${entry.timeoutMs} ms`),
      );
    }
  };
}
