import { readFile } from 'node:fs/promises';
import { parseProperties } from '../common/config.js';
import { RocketMQError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';

/**
 * The process lifecycle every server CLI shares: run `main`, and once it has started a server, stop it gracefully
 * on the first SIGINT or SIGTERM (flushing what it holds), then exit 0 — or 1 if stopping failed.
 */

/** Installs the signal handlers that run `shutdown` once and exit. */
export function stopOnSignals(name: string, logger: Logger, shutdown: () => Promise<void>, stoppedLine: string): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    shutdown().then(
      () => {
        process.stdout.write(`${stoppedLine}\n`);
        process.exit(0);
      },
      (err: unknown) => {
        process.stderr.write(`${name}: shutdown failed: ${(err as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

/**
 * Runs a CLI's main. A number it resolves to becomes the exit code; `undefined` means a server is running and the
 * signal handlers will end the process. An unexpected error prints its stack and exits 1.
 */
export function runMain(name: string, main: (argv: string[]) => Promise<number | undefined>): void {
  main(process.argv.slice(2)).then(
    (code) => {
      if (code !== undefined) process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`${name}: ${(err as Error).stack ?? String(err)}\n`);
      process.exitCode = 1;
    },
  );
}

/** The keys of a Java properties config file (`-c`), or CONFIG_INVALID naming the file when it cannot be read. */
export async function readConfigFile(file: string): Promise<Map<string, string>> {
  try {
    return parseProperties(await readFile(file, 'utf8'));
  } catch (cause) {
    throw new RocketMQError('CONFIG_INVALID', `cannot read config file ${file}: ${(cause as Error).message}`, {
      cause,
    });
  }
}
