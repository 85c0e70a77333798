/**
 * mqbench options: the defaults, the command-line flags, and how a workload file and flags combine (flags win).
 */
import { parseArgs } from 'node:util';
import { RocketMQError } from '../common/errors.js';

/** What one benchmark run does. */
export interface BenchOptions {
  /** Number of topics; messages are spread round-robin over them. */
  topics: number;
  /** Queues per topic (read and write). */
  queues: number;
  /** Body bytes per message. */
  size: number;
  /** Producer instances (each its own client and connection). */
  producers: number;
  /** Consumer instances in one consumer group (0 = produce only). */
  consumers: number;
  /** Total target rate in messages/s over all producers; 0 = as fast as possible. */
  rate: number;
  /** Sends in flight per producer. */
  window: number;
  /** Messages per send (1 = single sends, more = sendBatch). */
  batch: number;
  /** Measured seconds (after warm-up). */
  duration: number;
  /** Seconds run before measuring (not counted). */
  warmup: number;
  /** Flush mode of the local cluster mqbench starts (ignored with `namesrv`). */
  flush: 'ASYNC_FLUSH' | 'SYNC_FLUSH';
  /** Use this NameServer ("host:port;host:port") instead of starting a local cluster. */
  namesrv: string | undefined;
  /** Stop producing after this many messages (0 = run for `duration`). */
  messages: number;
  /** Backlog mode: produce first (no consumers), then start the consumers and time the drain. */
  backlog: boolean;
  /** Topic names are `<prefix>-<i>`. */
  topicPrefix: string;
  /** A name for the report (the workload's, or "custom"). */
  name: string;
}

/** Defaults: one topic of 16 queues, 1 KiB, one producer with 64 in flight, one consumer, max rate, 10 s. */
export const DEFAULT_OPTIONS: Readonly<BenchOptions> = Object.freeze({
  topics: 1,
  queues: 16,
  size: 1024,
  producers: 1,
  consumers: 1,
  rate: 0,
  window: 64,
  batch: 1,
  duration: 10,
  warmup: 2,
  flush: 'ASYNC_FLUSH',
  namesrv: undefined,
  messages: 0,
  backlog: false,
  topicPrefix: 'mqbench',
  name: 'custom',
});

/** What the command line asked for. */
export interface ParsedCommandLine {
  /** Only the flags given (to lay over the workload file and the defaults). */
  overrides: Partial<BenchOptions>;
  workload: string | undefined;
  json: boolean;
  help: boolean;
}

export const USAGE = `usage: mqbench [--workload FILE] [flags]
  --workload FILE      read options from a workload JSON file (bench/workloads/*.json); flags override it
  --topics N           topics (default 1)             --queues N      queues per topic (default 16)
  --size BYTES         body size (default 1024)       --batch N       messages per send, 1 = no batching (default 1)
  --producers N        producers (default 1)          --window N      sends in flight per producer (default 64)
  --consumers N        consumers in one group, 0 = none (default 1)
  --rate N             total msgs/s, 0 = as fast as possible (default 0)
  --duration S         measured seconds (default 10)  --warmup S      unmeasured seconds first (default 2)
  --messages N         stop producing after N messages (default 0 = run for --duration)
  --backlog            produce first without consumers, then start them and time the drain
  --flush MODE         async | sync: flushDiskType of the local cluster (default async)
  --namesrv ADDR       use a running cluster (host:port[;host:port]); default: start one in a temp dir
  --topic-prefix P     topic names are P-0, P-1, ... (default mqbench)
  --json               print one JSON object as the last line
  -h, --help           print this help and exit
`;

const NUMERIC_FLAGS = {
  topics: { min: 1, integer: true },
  queues: { min: 1, integer: true },
  size: { min: 0, integer: true },
  producers: { min: 1, integer: true },
  consumers: { min: 0, integer: true },
  rate: { min: 0, integer: false },
  window: { min: 1, integer: true },
  batch: { min: 1, integer: true },
  duration: { min: 0, integer: false },
  warmup: { min: 0, integer: false },
  messages: { min: 0, integer: true },
} as const satisfies Record<string, { min: number; integer: boolean }>;

type NumericKey = keyof typeof NUMERIC_FLAGS;

function invalid(message: string): RocketMQError {
  return new RocketMQError('INVALID_PARAMETER', message);
}

/** Checks a numeric option; throws RocketMQError INVALID_PARAMETER naming `where`. */
function numeric(key: NumericKey, raw: unknown, where: string): number {
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : Number.NaN;
  const spec = NUMERIC_FLAGS[key];
  if (!Number.isFinite(n) || n < spec.min || (spec.integer && !Number.isInteger(n))) {
    const kind = spec.integer ? 'an integer' : 'a number';
    throw invalid(`${where} must be ${kind} ≥ ${spec.min}, got ${JSON.stringify(raw)}`);
  }
  return n;
}

/** 'async' | 'sync' | 'ASYNC_FLUSH' | 'SYNC_FLUSH' (any case) → the flushDiskType value. */
export function parseFlush(raw: unknown, where = '--flush'): 'ASYNC_FLUSH' | 'SYNC_FLUSH' {
  const text = typeof raw === 'string' ? raw.toLowerCase() : '';
  if (text === 'async' || text === 'async_flush') return 'ASYNC_FLUSH';
  if (text === 'sync' || text === 'sync_flush') return 'SYNC_FLUSH';
  throw invalid(`${where} must be async or sync, got ${JSON.stringify(raw)}`);
}

/**
 * Checks and converts a partial option object read from JSON or flags (`where` prefixes the key in errors: '--' or 'file.json: '). Unknown
 * keys are rejected so a typo in a workload file is not silently ignored.
 */
export function validatePartialOptions(input: Record<string, unknown>, where: string): Partial<BenchOptions> {
  const out: Partial<BenchOptions> = {};
  for (const [key, value] of Object.entries(input)) {
    if (value === undefined) continue;
    if (key in NUMERIC_FLAGS) {
      out[key as NumericKey] = numeric(key as NumericKey, value, `${where}${key}`);
    } else if (key === 'flush') {
      out.flush = parseFlush(value, `${where}flush`);
    } else if (key === 'namesrv' || key === 'topicPrefix' || key === 'name') {
      if (typeof value !== 'string' || value === '') throw invalid(`${where}${key} must be a non-empty string`);
      out[key] = value;
    } else if (key === 'backlog') {
      if (typeof value !== 'boolean') throw invalid(`${where}backlog must be true or false`);
      out.backlog = value;
    } else {
      throw invalid(`${where}${key}: unknown option`);
    }
  }
  return out;
}

const FLAG_SPEC = {
  workload: { type: 'string' },
  topics: { type: 'string' },
  queues: { type: 'string' },
  size: { type: 'string' },
  producers: { type: 'string' },
  consumers: { type: 'string' },
  rate: { type: 'string' },
  window: { type: 'string' },
  batch: { type: 'string' },
  duration: { type: 'string' },
  warmup: { type: 'string' },
  messages: { type: 'string' },
  backlog: { type: 'boolean' },
  flush: { type: 'string' },
  namesrv: { type: 'string' },
  'topic-prefix': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Parses mqbench's argv (without node and script); throws RocketMQError INVALID_PARAMETER on a bad flag. */
export function parseCommandLine(argv: readonly string[]): ParsedCommandLine {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof FLAG_SPEC; strict: true; allowPositionals: false }>>;
  try {
    parsed = parseArgs({ args: [...argv], options: FLAG_SPEC, strict: true, allowPositionals: false });
  } catch (cause) {
    throw new RocketMQError('INVALID_PARAMETER', (cause as Error).message, { cause });
  }
  const v = parsed.values;
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(NUMERIC_FLAGS)) raw[key] = v[key as NumericKey];
  raw.flush = v.flush;
  raw.namesrv = v.namesrv;
  raw.topicPrefix = v['topic-prefix'];
  if (v.backlog) raw.backlog = true;
  return {
    overrides: validatePartialOptions(raw, '--'),
    workload: v.workload,
    json: v.json ?? false,
    help: v.help ?? false,
  };
}

/** Defaults, then the workload file's options, then the flags. */
export function resolveOptions(...layers: Partial<BenchOptions>[]): BenchOptions {
  const out: BenchOptions = { ...DEFAULT_OPTIONS };
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer)) {
      if (value !== undefined) (out as unknown as Record<string, unknown>)[key] = value;
    }
  }
  return out;
}
