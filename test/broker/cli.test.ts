import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRequest } from '../../src/protocol/command.js';
import { parseJson } from '../../src/protocol/fastjson.js';
import { decodeRecords } from '../../src/protocol/message/record.js';
import { RequestCode } from '../../src/protocol/request-code.js';
import { ResponseCode } from '../../src/protocol/response-code.js';
import { RemotingClient } from '../../src/transport/client.js';
import { pullRequest, sendRequest } from './broker-harness.js';

const LOCAL = join(import.meta.dirname, '../../src/cli/local.ts');
const MQBROKER = join(import.meta.dirname, '../../src/cli/mqbroker.ts');

interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number | null>;
}

function run(cli: string, args: string[]): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', cli, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ROCKETMQ_LOG_LEVEL: 'warn' },
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exit };
}

async function startLocal(dataDir: string, children: ChildProcess[]) {
  const proc = run(LOCAL, ['--data-dir', dataDir, '--namesrv-port', '0', '--broker-port', '0']);
  children.push(proc.child);
  await expect.poll(proc.stdout, { timeout: 30_000, interval: 50 }).toMatch(/Broker \S+ listening on \S+:\d+/);
  const namesrv = /NameServer listening on (\S+:\d+)/.exec(proc.stdout())![1]!;
  const broker = /Broker \S+ listening on (\S+:\d+)/.exec(proc.stdout())![1]!;
  return { proc, namesrv, broker };
}

describe('local cluster CLI', () => {
  let dir: string;
  const children: ChildProcess[] = [];
  let client: RemotingClient;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rocketmq-local-'));
    client = new RemotingClient();
  });
  afterEach(async () => {
    await client.close();
    for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  it('serves send and pull, registers routes, stops on SIGTERM and recovers the message on restart', async () => {
    const first = await startLocal(dir, children);
    const sent = await client.invoke(first.broker, sendRequest('LocalTopic', 'persist me', { queueId: 1 }), 5000);
    expect(sent.code).toBe(ResponseCode.SUCCESS);
    await expect
      .poll(
        async () =>
          (
            await client.invoke(
              first.namesrv,
              createRequest(RequestCode.GET_ROUTEINFO_BY_TOPIC, { extFields: { topic: 'LocalTopic' } }),
              5000,
            )
          ).code,
        { timeout: 10_000, interval: 100 },
      )
      .toBe(ResponseCode.SUCCESS);
    const route = await client.invoke(
      first.namesrv,
      createRequest(RequestCode.GET_ROUTEINFO_BY_TOPIC, { extFields: { topic: 'LocalTopic' } }),
      5000,
    );
    const routeJson = parseJson(route.body!) as { brokerDatas: Array<{ brokerName: string }> };
    expect(routeJson.brokerDatas[0]!.brokerName).toBe('broker-a');

    first.proc.child.kill('SIGTERM');
    expect(await first.proc.exit).toBe(0);
    client.closeConnection(first.broker);

    const second = await startLocal(dir, children);
    const pulled = await client.invoke(second.broker, pullRequest('LocalTopic', 1, 0), 5000);
    expect(pulled.code).toBe(ResponseCode.SUCCESS);
    expect(decodeRecords(pulled.body!)[0]!.body.toString()).toBe('persist me');
    second.proc.child.kill('SIGINT');
    expect(await second.proc.exit).toBe(0);
  }, 60_000);
});

describe('mqbroker CLI', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mqbroker-cli-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('-p prints the effective configuration from -c and -n', async () => {
    const conf = join(dir, 'broker.conf');
    await writeFile(conf, 'brokerName=broker-x\nflushDiskType=SYNC_FLUSH\nlistenPort=12345\n');
    const proc = run(MQBROKER, ['-c', conf, '-n', '10.0.0.1:9876', '-p']);
    expect(await proc.exit).toBe(0);
    expect(proc.stdout()).toMatch(/^brokerName=broker-x$/m);
    expect(proc.stdout()).toMatch(/^flushDiskType=SYNC_FLUSH$/m);
    expect(proc.stdout()).toMatch(/^namesrvAddr=10\.0\.0\.1:9876$/m);
    expect(proc.stdout()).toMatch(/^brokerClusterName=DefaultCluster$/m);
  }, 30_000);

  it('fails with the bad key named', async () => {
    const conf = join(dir, 'broker.conf');
    await writeFile(conf, 'brokerRole=MASTER_OF_ALL\n');
    const proc = run(MQBROKER, ['-c', conf, '-p']);
    expect(await proc.exit).toBe(1);
    expect(proc.stderr()).toMatch(/brokerRole/);
  }, 30_000);
});
