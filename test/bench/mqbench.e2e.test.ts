import { type ChildProcess, spawn } from 'node:child_process';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { BenchResult } from '../../src/bench/report.js';

const ROOT = join(import.meta.dirname, '../..');
const CLI = join(ROOT, 'src/cli/mqbench.ts');
const children = new Set<ChildProcess>();

afterEach(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  children.clear();
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real CLI (`npm run bench` does the same); `onLine` sees stdout lines as they come. */
function runCli(args: string[], onLine?: (line: string, child: ChildProcess) => void): Promise<Run> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let stdout = '';
  let stderr = '';
  let pending = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    pending += chunk.toString();
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) onLine?.(line, child);
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}

function lastJson(stdout: string): BenchResult {
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]!) as BenchResult;
}

function dataDirOf(stdout: string): string {
  const m = /data in (\S+)/.exec(stdout);
  expect(m).not.toBeNull();
  return m![1]!;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

describe('mqbench end to end (own cluster in a child process)', () => {
  it('a short run with batches over two topics: progress lines, report, JSON last line, temp dir removed', async () => {
    const run = await runCli([
      '--duration',
      '2',
      '--warmup',
      '0',
      '--topics',
      '2',
      '--queues',
      '4',
      '--batch',
      '4',
      '--window',
      '8',
      '--json',
    ]);
    expect(run.stderr).not.toContain('mqbench: failed');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/\] send [\d,]+\/s {2}consume [\d,]+\/s {2}backlog [\d,]+ {2}max send RT/);
    expect(run.stdout).toContain('publish latency: p50');
    expect(run.stdout).toContain('end-to-end latency: p50');
    expect(run.stdout).toContain('errors: none');
    const result = lastJson(run.stdout);
    expect(result).toMatchObject({ tool: 'mqbench', interrupted: false, errorCount: 0, errors: {} });
    expect(result.options).toMatchObject({ topics: 2, queues: 4, batch: 4, window: 8 });
    expect(result.sent).toBeGreaterThan(0);
    expect(result.sent % 4).toBe(0);
    expect(result.received).toBeGreaterThan(0);
    expect(result.receivedTotal).toBe(result.sentTotal);
    expect(result.publishLatencyMs.count).toBe(result.sent / 4);
    expect(result.endToEndLatencyMs.count).toBeGreaterThan(0);
    expect(result.storeToReceiveMs!.count).toBe(result.endToEndLatencyMs.count);
    expect(result.sendToStoreMs!.count).toBe(result.endToEndLatencyMs.count);
    expect(run.stdout).toContain('and stored → received (±1 ms): p50');
    expect(result.publishLatencyMs.p99).toBeGreaterThanOrEqual(result.publishLatencyMs.p50);
    expect(result.loadavgEnd).toHaveLength(3);
    expect(result.cpu!.clientSeconds).toBeGreaterThan(0);
    expect(result.cpu!.brokerSeconds).toBeGreaterThanOrEqual(0);
    expect(run.stdout).toContain('cpu in the window: client');
    if (process.platform === 'linux') {
      expect(result.cpu!.clientRunQueueWaitSeconds).toBeGreaterThanOrEqual(0);
      expect(result.cpu!.brokerRunQueueWaitSeconds).toBeGreaterThanOrEqual(0);
      expect(run.stdout).toMatch(
        /waiting for a core \(main threads\): client [\d.]+ s \(\d+ % of the window\), broker/,
      );
    }
    expect(await exists(dataDirOf(run.stdout))).toBe(false);
  }, 60_000);

  it('backlog mode: produces a fixed number of messages, then drains them', async () => {
    const run = await runCli(['--backlog', '--messages', '3000', '--queues', '4', '--json']);
    expect(run.code).toBe(0);
    const result = lastJson(run.stdout);
    expect(result.sentTotal).toBe(3000);
    expect(result.sent).toBe(3000);
    expect(result.drain).toBeDefined();
    expect(result.drain!.messages).toBe(3000);
    expect(result.drain!.tps).toBeGreaterThan(0);
    expect(result.backlogAtEnd).toBe(0);
    expect(run.stdout).toContain('backlog drain: 3,000 msgs');
    expect(result.drain!.cpu!.clientSeconds).toBeGreaterThan(0);
    expect(result.drain!.cpu!.brokerSeconds).toBeGreaterThan(0);
    expect(run.stdout).toContain('cpu while draining: client');
  }, 60_000);

  it('SIGINT stops early, still reports, and removes the cluster', async () => {
    let signalled = false;
    const run = await runCli(['--duration', '120', '--warmup', '0', '--json'], (line, child) => {
      if (!signalled && line.includes(' measure]')) {
        signalled = true;
        child.kill('SIGINT');
      }
    });
    expect(signalled).toBe(true);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('stopping');
    const result = lastJson(run.stdout);
    expect(result.interrupted).toBe(true);
    expect(result.seconds).toBeLessThan(120);
    expect(result.sentTotal).toBeGreaterThan(0);
    expect(await exists(dataDirOf(run.stdout))).toBe(false);
  }, 60_000);

  it('bad flags exit 2 with the usage', async () => {
    const run = await runCli(['--flush', 'never']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--flush must be async or sync');
    expect(run.stderr).toContain('usage: mqbench');
  }, 30_000);
});
