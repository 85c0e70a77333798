import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRequest } from '../../src/protocol/command.js';
import { RequestCode } from '../../src/protocol/request-code.js';
import { ResponseCode } from '../../src/protocol/response-code.js';
import { RemotingClient } from '../../src/transport/client.js';

const CLI = join(import.meta.dirname, '../../src/cli/mqnamesrv.ts');

interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number | null>;
}

function run(args: string[]): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
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

describe('mqnamesrv CLI', () => {
  let dir: string;
  const children: ChildProcess[] = [];
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mqnamesrv-cli-'));
  });
  afterEach(async () => {
    for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  it('starts from -c, prints its address, serves requests and exits 0 on SIGTERM', async () => {
    const conf = join(dir, 'namesrv.conf');
    await writeFile(conf, `listenPort=0\nlistenAddress=127.0.0.1\nkvConfigPath=${join(dir, 'kv.json')}\n`);
    const proc = run(['-c', conf]);
    children.push(proc.child);
    await expect.poll(proc.stdout, { timeout: 20_000, interval: 50 }).toMatch(/listening on 127\.0\.0\.1:\d+/);
    const addr = /listening on (127\.0\.0\.1:\d+)/.exec(proc.stdout())![1]!;
    const client = new RemotingClient();
    try {
      const res = await client.invoke(
        addr,
        createRequest(RequestCode.GET_ROUTEINFO_BY_TOPIC, { extFields: { topic: 'Nope' } }),
        5000,
      );
      expect(res.code).toBe(ResponseCode.TOPIC_NOT_EXIST);
    } finally {
      await client.close();
    }
    proc.child.kill('SIGTERM');
    expect(await proc.exit).toBe(0);
  }, 30_000);

  it('exits 0 on SIGINT', async () => {
    const conf = join(dir, 'namesrv.conf');
    await writeFile(conf, `listenPort=0\nlistenAddress=127.0.0.1\nkvConfigPath=${join(dir, 'kv.json')}\n`);
    const proc = run(['-c', conf]);
    children.push(proc.child);
    await expect.poll(proc.stdout, { timeout: 20_000, interval: 50 }).toMatch(/listening on/);
    proc.child.kill('SIGINT');
    expect(await proc.exit).toBe(0);
    expect(proc.stdout()).toContain('The Name Server stopped.');
  }, 30_000);

  it('prints the effective configuration with -p, warning about unknown keys', async () => {
    const conf = join(dir, 'namesrv.conf');
    await writeFile(conf, 'listenPort=19876\norderMessageEnable=true\nnoSuchKey=1\n');
    const proc = run(['-c', conf, '-p']);
    children.push(proc.child);
    expect(await proc.exit).toBe(0);
    expect(proc.stdout()).toContain('listenPort=19876\n');
    expect(proc.stdout()).toContain('orderMessageEnable=true\n');
    expect(proc.stdout()).toContain('scanNotActiveBrokerInterval=5000\n');
    expect(proc.stderr()).toContain("unknown config key 'noSuchKey'");
  }, 30_000);

  it('fails at startup naming a bad key', async () => {
    const conf = join(dir, 'namesrv.conf');
    await writeFile(conf, 'listenPort=not-a-port\n');
    const proc = run(['-c', conf]);
    children.push(proc.child);
    expect(await proc.exit).toBe(1);
    expect(proc.stderr()).toContain("'listenPort'");
  }, 30_000);
});
