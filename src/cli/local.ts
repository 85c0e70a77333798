/**
 * The local cluster (`npm start`): a NameServer and a broker in one process, data under ./data, topics
 * auto-created. `--data-dir DIR --namesrv-port N --broker-port M` override the defaults (port 0 picks a free port;
 * the bound ports are printed). Ctrl-C or SIGTERM flushes and exits; the next start recovers everything.
 */
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { BrokerController } from '../broker/broker.js';
import { resolveBrokerConfig } from '../broker/broker-config.js';
import { createLogger } from '../common/logger.js';
import { NamesrvController } from '../namesrv/namesrv.js';
import { resolveNamesrvConfig } from '../namesrv/namesrv-config.js';
import { runMain, stopOnSignals } from './lifecycle.js';

const USAGE = `usage: rocketmq-local [--data-dir DIR] [--namesrv-port N] [--broker-port M] [--host IP]
  --data-dir DIR       where NameServer and broker keep their files (default ./data)
  --namesrv-port N     NameServer port (default 9876; 0 = any free port)
  --broker-port M      broker port (default 10911; 0 = any free port)
  --host IP            address both bind to and the broker advertises (default 127.0.0.1)
  -h, --help           print this help and exit
`;

function port(text: string | undefined, fallback: number, name: string): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`--${name} must be a port number, got "${text}"`);
  return n;
}

/** Runs the local cluster with `argv`. Resolves with the exit code for early exits. */
export async function main(argv: string[]): Promise<number | undefined> {
  let dataDir: string;
  let namesrvPort: number;
  let brokerPort: number;
  let host: string;
  try {
    const { values } = parseArgs({
      args: argv,
      options: {
        'data-dir': { type: 'string' },
        'namesrv-port': { type: 'string' },
        'broker-port': { type: 'string' },
        host: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    });
    if (values.help) {
      process.stdout.write(USAGE);
      return 0;
    }
    dataDir = resolve(values['data-dir'] ?? 'data');
    namesrvPort = port(values['namesrv-port'], 9876, 'namesrv-port');
    brokerPort = port(values['broker-port'], 10911, 'broker-port');
    host = values.host ?? '127.0.0.1';
  } catch (err) {
    process.stderr.write(`rocketmq-local: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }

  const logger = createLogger({ name: 'rocketmq-local' });
  const namesrv = new NamesrvController({
    config: resolveNamesrvConfig({
      listenAddress: host,
      listenPort: namesrvPort,
      kvConfigPath: join(dataDir, 'namesrv', 'kvConfig.json'),
      configStorePath: join(dataDir, 'namesrv', 'namesrv.properties'),
    }),
    logger,
  });
  let broker: BrokerController | undefined;
  try {
    const ns = await namesrv.start();
    const namesrvAddr = `${host}:${ns.port}`;
    broker = new BrokerController({
      config: resolveBrokerConfig({
        listenAddress: host,
        listenPort: brokerPort,
        brokerIP1: host,
        namesrvAddr,
        storePathRootDir: join(dataDir, 'broker'),
        autoCreateTopicEnable: true,
        autoCreateSubscriptionGroup: true,
        enablePropertyFilter: true,
      }),
      logger,
    });
    const b = await broker.start();
    process.stdout.write(`NameServer listening on ${namesrvAddr}\n`);
    process.stdout.write(`Broker ${broker.config.brokerName} listening on ${b.brokerAddr}\n`);
    process.stdout.write(`Data in ${dataDir}. Press Ctrl-C to stop.\n`);
  } catch (err) {
    process.stderr.write(`rocketmq-local: cannot start: ${(err as Error).message}\n`);
    await broker?.shutdown().catch(() => undefined);
    await namesrv.shutdown(0).catch(() => undefined);
    return 1;
  }

  stopOnSignals(
    'rocketmq-local',
    logger,
    async () => {
      await broker?.shutdown();
      await namesrv.shutdown(1000);
    },
    'Stopped.',
  );
  return undefined;
}

runMain('rocketmq-local', main);
