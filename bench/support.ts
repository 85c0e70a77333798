/** Helpers shared by the benchmark scripts in bench/. */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

/**
 * Starts one of our server CLIs (`src/cli/<name>.ts`) as a child process with `-c <conf>` and resolves with its
 * address once it prints "listening on host:port". The child's logs are limited to warnings.
 */
export async function spawnServerCli(
  name: 'mqbroker' | 'mqnamesrv',
  conf: string,
): Promise<{ child: ChildProcess; addr: string }> {
  const cli = join(import.meta.dirname, `../src/cli/${name}.ts`);
  const child = spawn(process.execPath, ['--import', 'tsx', cli, '-c', conf], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ROCKETMQ_LOG_LEVEL: 'warn' },
  });
  const addr = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (\S+:\d+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.on('exit', (code) => reject(new Error(`${name} exited with ${code}`)));
  });
  return { child, addr };
}

/** The value at `fraction` (0.99 = p99) of ascending `sorted` samples; NaN when there are none. */
export function percentile(sorted: ArrayLike<number>, fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))]!;
}
