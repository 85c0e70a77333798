/**
 * The cluster mqbench starts when no `--namesrv` is given: NameServer + broker in ONE CHILD PROCESS (so broker CPU
 * is not mixed with the benchmark client's event loop, as with a real deployment), files in a fresh temp dir that is
 * removed when the cluster stops.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RocketMQError } from '../common/errors.js';
import type { ClusterAddresses } from './cluster-process.js';

/** A running local cluster. */
export interface LocalCluster extends ClusterAddresses {
  dataDir: string;
  pid: number;
  /** Stops the child (broker flushed) and removes the temp dir. Safe to call twice. */
  stop(): Promise<void>;
}

/** Options of {@link startLocalCluster}. */
export interface LocalClusterOptions {
  flush: 'ASYNC_FLUSH' | 'SYNC_FLUSH';
  /** Where the child's non-protocol output (its warnings) goes. Default: process.stderr. */
  log?: (line: string) => void;
  /** How long to wait for the child to come up. Default 30 s. */
  startTimeoutMs?: number;
}

/** The child entry next to this module: `.ts` under tsx (then `--import tsx` is passed on), `.js` when built. */
function childCommand(): { file: string; execArgv: string[]; cwd: string } {
  const here = fileURLToPath(import.meta.url);
  const fromSource = here.endsWith('.ts');
  const file = join(dirname(here), fromSource ? 'cluster-process.ts' : 'cluster-process.js');
  const cwd = join(dirname(here), '..', '..');
  return { file, execArgv: fromSource ? ['--import', 'tsx'] : [], cwd };
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve();
    }, timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Starts NameServer + broker in a child process with a temp data dir; resolves once both listen. */
export async function startLocalCluster(options: LocalClusterOptions): Promise<LocalCluster> {
  const dataDir = await mkdtemp(join(tmpdir(), 'mqbench-'));
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const { file, execArgv, cwd } = childCommand();
  const flush = options.flush === 'SYNC_FLUSH' ? 'sync' : 'async';
  // Extra node flags for the child, e.g. MQBENCH_CLUSTER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof".
  const extra = (process.env.MQBENCH_CLUSTER_NODE_ARGS ?? '').split(/\s+/).filter((a) => a !== '');
  const child = spawn(process.execPath, [...extra, ...execArgv, file, '--data-dir', dataDir, '--flush', flush], {
    cwd,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      child.stdin?.end();
      await waitForExit(child, 15_000);
      await rm(dataDir, { recursive: true, force: true });
    })();
    return stopped;
  };
  try {
    const addresses = await new Promise<ClusterAddresses>((resolve, reject) => {
      let buffered = '';
      let stderr = '';
      const timer = setTimeout(
        () => reject(new RocketMQError('SYSTEM_ERROR', 'mqbench: the local cluster did not start in time')),
        options.startTimeoutMs ?? 30_000,
      );
      child.stdout!.on('data', (chunk: Buffer) => {
        buffered += chunk.toString('utf8');
        let nl = buffered.indexOf('\n');
        while (nl >= 0) {
          const line = buffered.slice(0, nl);
          buffered = buffered.slice(nl + 1);
          if (line.startsWith('{"mqbenchCluster"')) {
            clearTimeout(timer);
            resolve((JSON.parse(line) as { mqbenchCluster: ClusterAddresses }).mqbenchCluster);
          } else if (line.trim() !== '') {
            log(`cluster: ${line}`);
          }
          nl = buffered.indexOf('\n');
        }
      });
      child.stderr!.on('data', (chunk: Buffer) => {
        stderr += chunk.toString('utf8');
        for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') log(`cluster: ${line}`);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        const why = stderr.trim().split('\n').slice(-3).join(' | ');
        reject(new RocketMQError('SYSTEM_ERROR', `mqbench: the local cluster exited (${code ?? signal}): ${why}`));
      });
      child.once('error', (err) => {
        clearTimeout(timer);
        reject(new RocketMQError('SYSTEM_ERROR', `mqbench: cannot spawn the local cluster: ${err.message}`));
      });
    });
    return { ...addresses, dataDir, pid: child.pid ?? -1, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
