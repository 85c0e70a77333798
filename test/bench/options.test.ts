import { describe, expect, it } from 'vitest';
import { DEFAULT_OPTIONS, parseCommandLine, parseFlush, resolveOptions } from '../../src/bench/options.js';
import { RocketMQError } from '../../src/common/errors.js';

function parseError(argv: string[]): RocketMQError {
  try {
    parseCommandLine(argv);
  } catch (err) {
    expect(err).toBeInstanceOf(RocketMQError);
    return err as RocketMQError;
  }
  throw new Error(`expected ${argv.join(' ')} to be rejected`);
}

describe('mqbench options', () => {
  it('no flags: the defaults', () => {
    const cmd = parseCommandLine([]);
    expect(cmd).toEqual({ overrides: {}, workload: undefined, json: false, help: false });
    expect(resolveOptions(cmd.overrides)).toEqual(DEFAULT_OPTIONS);
  });

  it('parses every flag', () => {
    const cmd = parseCommandLine([
      '--topics=3',
      '--queues',
      '4',
      '--size',
      '512',
      '--producers',
      '2',
      '--consumers',
      '0',
      '--rate',
      '5000',
      '--window',
      '1',
      '--batch',
      '8',
      '--duration',
      '2.5',
      '--warmup',
      '0',
      '--messages',
      '1000',
      '--backlog',
      '--flush',
      'sync',
      '--namesrv',
      '127.0.0.1:9876',
      '--topic-prefix',
      'x',
      '--workload',
      'w.json',
      '--json',
    ]);
    expect(cmd.json).toBe(true);
    expect(cmd.workload).toBe('w.json');
    expect(cmd.overrides).toEqual({
      topics: 3,
      queues: 4,
      size: 512,
      producers: 2,
      consumers: 0,
      rate: 5000,
      window: 1,
      batch: 8,
      duration: 2.5,
      warmup: 0,
      messages: 1000,
      backlog: true,
      flush: 'SYNC_FLUSH',
      namesrv: '127.0.0.1:9876',
      topicPrefix: 'x',
    });
  });

  it('-h and --help', () => {
    expect(parseCommandLine(['-h']).help).toBe(true);
    expect(parseCommandLine(['--help']).help).toBe(true);
  });

  it('rejects bad values, naming the flag', () => {
    expect(parseError(['--topics', '0']).message).toContain('--topics must be an integer ≥ 1');
    expect(parseError(['--queues', '1.5']).message).toContain('--queues');
    expect(parseError(['--rate=-1']).message).toContain('--rate must be a number ≥ 0');
    expect(parseError(['--window', 'many']).message).toContain('--window');
    expect(parseError(['--size', '']).message).toContain('--size');
    expect(parseError(['--flush', 'sometimes']).message).toContain('--flush must be async or sync');
    expect(parseError(['--namesrv', '']).message).toContain('--namesrv');
    expect(parseError(['--topics', '1', '--nope']).code).toBe('INVALID_PARAMETER');
    expect(parseError(['positional']).code).toBe('INVALID_PARAMETER');
  });

  it('flush accepts async/sync and the flushDiskType names', () => {
    expect(parseFlush('ASYNC')).toBe('ASYNC_FLUSH');
    expect(parseFlush('sync_flush')).toBe('SYNC_FLUSH');
    expect(() => parseFlush(1)).toThrow(RocketMQError);
  });

  it('later layers win: defaults < workload < flags', () => {
    const options = resolveOptions({ topics: 1000, queues: 4, rate: 10_000, name: 'many' }, { rate: 200 });
    expect(options).toMatchObject({ topics: 1000, queues: 4, rate: 200, name: 'many', size: 1024, window: 64 });
  });
});
