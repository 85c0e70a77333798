import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveOptions } from '../../src/bench/options.js';
import { loadWorkload, parseWorkload } from '../../src/bench/workload.js';
import { RocketMQError } from '../../src/common/errors.js';

const WORKLOADS = join(import.meta.dirname, '../../bench/workloads');

describe('workload files', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mqbench-workload-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('parses options, description and name (file name when none is given)', async () => {
    const file = join(dir, 'fixed-rate.json');
    await writeFile(file, JSON.stringify({ description: 'd', rate: 5000, flush: 'sync', topicPrefix: 'p' }));
    const workload = await loadWorkload(file);
    expect(workload).toEqual({
      name: 'fixed-rate',
      description: 'd',
      options: { rate: 5000, flush: 'SYNC_FLUSH', topicPrefix: 'p', name: 'fixed-rate' },
    });
  });

  it('rejects unknown keys, bad values, non-objects and bad JSON with the file named', () => {
    const bad = [
      ['{"topic": 1}', 'topic: unknown option'],
      ['{"queues": 0}', 'queues must be an integer'],
      ['{"backlog": "yes"}', 'backlog must be true or false'],
      ['{"description": 5}', 'description must be a string'],
      ['[1]', 'a workload is a JSON object'],
      ['{', 'not JSON'],
    ];
    for (const [text, message] of bad) {
      let error: unknown;
      try {
        parseWorkload(text!, 'w.json');
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(RocketMQError);
      expect((error as RocketMQError).code).toBe('INVALID_PARAMETER');
      expect((error as Error).message).toContain('w.json');
      expect((error as Error).message).toContain(message);
    }
  });

  it('a missing file is INVALID_PARAMETER', async () => {
    await expect(loadWorkload(join(dir, 'absent.json'))).rejects.toMatchObject({ code: 'INVALID_PARAMETER' });
  });

  it('the six workloads of issue 8 load and say what the issue asks', async () => {
    const files = (await readdir(WORKLOADS)).filter((f) => f.endsWith('.json')).sort();
    expect(files).toEqual([
      'backlog-2g.json',
      'e2e-5k.json',
      'max-rate.json',
      'send-latency.json',
      'sync-flush.json',
      'topics-1000.json',
    ]);
    const w = Object.fromEntries(
      await Promise.all(
        files.map(async (f) => {
          const workload = await loadWorkload(join(WORKLOADS, f));
          expect(workload.description).not.toBe('');
          return [workload.name, resolveOptions(workload.options)] as const;
        }),
      ),
    );
    expect(w['max-rate']).toMatchObject({ topics: 1, queues: 16, size: 1024, rate: 0, window: 64 });
    expect(w['e2e-5k']).toMatchObject({ size: 1024, rate: 5000 });
    expect(w['send-latency']).toMatchObject({ window: 1, producers: 1 });
    expect(w['backlog-2g']!.backlog).toBe(true);
    expect(w['backlog-2g']!.messages * w['backlog-2g']!.size).toBe(2 * 1024 ** 3);
    expect(w['topics-1000']).toMatchObject({ topics: 1000, queues: 4 });
    expect(w['topics-1000']!.rate).toBeGreaterThan(0);
    expect(w['sync-flush']).toMatchObject({ flush: 'SYNC_FLUSH', rate: 0, window: 64, size: 1024 });
  });
});
