/**
 * Child-process entry of mqbench's local cluster: a NameServer and a broker on 127.0.0.1 (free ports) with their
 * files under `--data-dir`, flushDiskType from `--flush`. Prints one line `{"mqbenchCluster":{…addresses…}}` on
 * stdout when both are up. Stops (broker flushed, NameServer closed) on SIGTERM or when stdin closes (the parent
 * went away); SIGINT is ignored so a Ctrl-C reaches mqbench, which stops producing first and then stops this process.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BrokerController } from '../broker/broker.js';
import { resolveBrokerConfig } from '../broker/broker-config.js';
import { createLogger } from '../common/logger.js';
import { NamesrvController } from '../namesrv/namesrv.js';
import { resolveNamesrvConfig } from '../namesrv/namesrv-config.js';
import { parseFlush } from './options.js';

/** The ready line's payload. */
export interface ClusterAddresses {
  namesrvAddr: string;
  brokerAddr: string;
  clusterName: string;
  brokerName: string;
}

async function run(): Promise<void> {
  const { values } = parseArgs({
    options: { 'data-dir': { type: 'string' }, flush: { type: 'string' } },
    strict: true,
  });
  const dataDir = values['data-dir'];
  if (dataDir === undefined) throw new Error('--data-dir is required');
  const flushDiskType = parseFlush(values.flush ?? 'async');
  const logger = createLogger({ name: 'mqbench-cluster', level: process.env.ROCKETMQ_LOG_LEVEL ?? 'warn' });
  const host = '127.0.0.1';
  const namesrv = new NamesrvController({
    config: resolveNamesrvConfig({
      listenAddress: host,
      listenPort: 0,
      kvConfigPath: join(dataDir, 'namesrv', 'kvConfig.json'),
      configStorePath: join(dataDir, 'namesrv', 'namesrv.properties'),
    }),
    logger,
  });
  const ns = await namesrv.start();
  const namesrvAddr = `${host}:${ns.port}`;
  const broker = new BrokerController({
    config: resolveBrokerConfig({
      listenAddress: host,
      listenPort: 0,
      brokerIP1: host,
      namesrvAddr,
      storePathRootDir: join(dataDir, 'broker'),
      flushDiskType,
      autoCreateTopicEnable: true,
      autoCreateSubscriptionGroup: true,
    }),
    logger,
  });
  const started = await broker.start();
  const ready: ClusterAddresses = {
    namesrvAddr,
    brokerAddr: started.brokerAddr,
    clusterName: broker.config.brokerClusterName,
    brokerName: broker.config.brokerName,
  };
  process.stdout.write(`${JSON.stringify({ mqbenchCluster: ready })}\n`);

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    (async () => {
      await broker.shutdown();
      await namesrv.shutdown(0);
    })().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`mqbench cluster: shutdown failed: ${(err as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => undefined);
  process.on('SIGTERM', stop);
  process.stdin.on('end', stop);
  process.stdin.on('error', stop);
  process.stdin.resume();
}

run().catch((err: unknown) => {
  process.stderr.write(`mqbench cluster: cannot start: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
