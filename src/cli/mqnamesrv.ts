/**
 * `mqnamesrv`: starts a NameServer. `-c <file>` reads a namesrv.conf (Java properties), `-p` prints the effective
 * configuration and exits. Stops cleanly on SIGINT/SIGTERM.
 */
import { parseArgs } from 'node:util';
import { createLogger } from '../common/logger.js';
import { NamesrvController } from '../namesrv/namesrv.js';
import { formatNamesrvConfig, type NamesrvConfig, resolveNamesrvConfig } from '../namesrv/namesrv-config.js';
import { readConfigFile, runMain, stopOnSignals } from './lifecycle.js';

const USAGE = `usage: mqnamesrv [-c <namesrv.conf>] [-p] [-h]
  -c, --configFile <file>   Java properties file with NameServer config keys (listenPort, kvConfigPath, ...)
  -p, --printConfigItem     print the effective configuration and exit
  -h, --help                print this help and exit
`;

async function loadConfig(file: string | undefined, warn: (msg: string) => void): Promise<NamesrvConfig> {
  if (file === undefined) return resolveNamesrvConfig();
  return resolveNamesrvConfig(await readConfigFile(file), {
    source: file,
    onUnknownKey: (key) => warn(`unknown config key '${key}' in ${file} (ignored)`),
  });
}

/** Runs the CLI with `argv` (without node and script). Resolves with the exit code for early exits. */
export async function main(argv: string[]): Promise<number | undefined> {
  let values: { configFile?: string | undefined; printConfigItem?: boolean | undefined; help?: boolean | undefined };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        configFile: { type: 'string', short: 'c' },
        printConfigItem: { type: 'boolean', short: 'p' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (err) {
    process.stderr.write(`mqnamesrv: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const logger = createLogger({ name: 'mqnamesrv' });
  let config: NamesrvConfig;
  try {
    // warnings go to stderr so that `-p` output stays clean properties text
    config = await loadConfig(values.configFile, (msg) => process.stderr.write(`mqnamesrv: warning: ${msg}\n`));
  } catch (err) {
    process.stderr.write(`mqnamesrv: ${(err as Error).message}\n`);
    return 1;
  }
  if (values.printConfigItem) {
    process.stdout.write(formatNamesrvConfig(config));
    return 0;
  }

  const controller = new NamesrvController({ config, logger });
  let address: { host: string; port: number };
  try {
    address = await controller.start();
  } catch (err) {
    process.stderr.write(`mqnamesrv: cannot start: ${(err as Error).message}\n`);
    return 1;
  }
  process.stdout.write(
    `The Name Server boot success. serializeType=JSON, listening on ${address.host}:${address.port}\n`,
  );

  stopOnSignals('mqnamesrv', logger, () => controller.shutdown(), 'The Name Server stopped.');
  return undefined;
}

runMain('mqnamesrv', main);
