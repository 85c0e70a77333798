/**
 * `mqbroker`: starts a broker. `-c <file>` reads a broker.conf (Java properties, broker and store keys), `-n` sets
 * namesrvAddr (else the config key, else env NAMESRV_ADDR), `-p` prints the effective configuration and exits.
 * Stops gracefully on SIGINT/SIGTERM (unregister, drain, flush).
 */
import { parseArgs } from 'node:util';
import { BrokerController } from '../broker/broker.js';
import { type BrokerConfig, formatBrokerConfig, resolveBrokerConfig } from '../broker/broker-config.js';
import { createLogger } from '../common/logger.js';
import { readConfigFile, runMain, stopOnSignals } from './lifecycle.js';

const USAGE = `usage: mqbroker [-c <broker.conf>] [-n <namesrvAddr>] [-p] [-h]
  -c, --configFile <file>     Java properties file with broker and store keys (brokerName, listenPort, ...)
  -n, --namesrvAddr <list>    NameServer addresses, "host:port;host:port" (overrides the config file)
  -p, --printConfigItem       print the effective configuration and exit
  -h, --help                  print this help and exit
`;

async function loadConfig(
  file: string | undefined,
  namesrvAddr: string | undefined,
  warn: (msg: string) => void,
): Promise<BrokerConfig> {
  const props = file === undefined ? new Map<string, string>() : await readConfigFile(file);
  if (namesrvAddr !== undefined) props.set('namesrvAddr', namesrvAddr);
  else if (!props.has('namesrvAddr') && process.env.NAMESRV_ADDR) props.set('namesrvAddr', process.env.NAMESRV_ADDR);
  return resolveBrokerConfig(props, {
    source: file,
    onUnknownKey: (key) => warn(`unknown config key '${key}'${file ? ` in ${file}` : ''} (ignored)`),
  });
}

/** Runs the CLI with `argv` (without node and script). Resolves with the exit code for early exits. */
export async function main(argv: string[]): Promise<number | undefined> {
  let values: {
    configFile?: string | undefined;
    namesrvAddr?: string | undefined;
    printConfigItem?: boolean | undefined;
    help?: boolean | undefined;
  };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        configFile: { type: 'string', short: 'c' },
        namesrvAddr: { type: 'string', short: 'n' },
        printConfigItem: { type: 'boolean', short: 'p' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (err) {
    process.stderr.write(`mqbroker: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  let config: BrokerConfig;
  try {
    config = await loadConfig(values.configFile, values.namesrvAddr, (msg) =>
      process.stderr.write(`mqbroker: warning: ${msg}\n`),
    );
  } catch (err) {
    process.stderr.write(`mqbroker: ${(err as Error).message}\n`);
    return 1;
  }
  if (values.printConfigItem) {
    process.stdout.write(formatBrokerConfig(config));
    return 0;
  }

  const logger = createLogger({ name: 'mqbroker' });
  let controller: BrokerController;
  let started: { host: string; port: number; brokerAddr: string };
  try {
    controller = new BrokerController({ config, logger });
    started = await controller.start();
  } catch (err) {
    process.stderr.write(`mqbroker: cannot start: ${(err as Error).message}\n`);
    return 1;
  }
  process.stdout.write(
    `The broker[${config.brokerName}, ${started.brokerAddr}] boot success. serializeType=JSON and name server is ${config.namesrvAddr || '(none)'}; listening on ${started.host}:${started.port}\n`,
  );

  stopOnSignals('mqbroker', logger, () => controller.shutdown(), 'The broker stopped.');
  return undefined;
}

runMain('mqbroker', main);
