/**
 * mqbench's command line, separated from the process so tests can drive it: parse flags, read the workload, run,
 * print the report (and with `--json` one JSON object as the last line). Resolves with the exit code.
 */
import { RocketMQError } from '../common/errors.js';
import { type BenchOptions, parseCommandLine, resolveOptions, USAGE } from './options.js';
import { type BenchResult, formatReport } from './report.js';
import { runBench } from './runner.js';
import { loadWorkload } from './workload.js';

/** Where mqbench writes, and what stops it. */
export interface MqbenchIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Aborted = stop early, report, clean up (SIGINT). */
  signal?: AbortSignal;
}

/** Runs mqbench with `argv` (without node and script); resolves with the exit code (0 ok, 1 failed, 2 usage). */
export async function mqbench(argv: readonly string[], io: MqbenchIo): Promise<number> {
  let options: BenchOptions;
  let json: boolean;
  try {
    const cmd = parseCommandLine(argv);
    if (cmd.help) {
      io.stdout(USAGE);
      return 0;
    }
    const workload = cmd.workload === undefined ? undefined : await loadWorkload(cmd.workload);
    options = resolveOptions(workload?.options ?? {}, cmd.overrides);
    json = cmd.json;
  } catch (err) {
    io.stderr(`mqbench: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  let result: BenchResult;
  try {
    result = await runBench(options, {
      onLine: (line) => io.stdout(`${line}\n`),
      ...(io.signal ? { signal: io.signal } : {}),
    });
  } catch (err) {
    const code = err instanceof RocketMQError ? ` [${err.code}]` : '';
    io.stderr(`mqbench: failed${code}: ${(err as Error).message}\n`);
    return 1;
  }
  io.stdout(`${formatReport(result)}\n`);
  if (json) io.stdout(`${JSON.stringify(result)}\n`);
  return 0;
}
