import { afterEach, describe, expect, it, vi } from 'vitest';
import { RocketMQError } from '../../src/common/errors.js';
import { createRequest, createResponse, type RemotingCommand } from '../../src/protocol/command.js';
import { RequestTable } from '../../src/transport/request-table.js';

function responseTo(opaque: number, code = 0): RemotingCommand {
  return createResponse({ ...createRequest(10), opaque }, code);
}

describe('RequestTable', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('resolves each request with the response carrying its opaque, whatever the order', async () => {
    const table = new RequestTable();
    const promises = [1, 2, 3].map((opaque) => table.register(opaque, 10_000));
    expect(table.size).toBe(3);
    expect(table.complete(responseTo(3, 33))).toBe(true);
    expect(table.complete(responseTo(1, 11))).toBe(true);
    expect(table.complete(responseTo(2, 22))).toBe(true);
    const responses = await Promise.all(promises);
    expect(responses.map((r) => [r.opaque, r.code])).toEqual([
      [1, 11],
      [2, 22],
      [3, 33],
    ]);
    expect(table.size).toBe(0);
  });

  it('rejects with REQUEST_TIMEOUT after the timeout and drops the late response', async () => {
    vi.useFakeTimers();
    const debug = vi.fn();
    const logger = { debug } as unknown as import('../../src/common/logger.js').Logger;
    const table = new RequestTable({ logger, peer: '10.0.0.1:10911' });
    const pending = table.register(7, 500);
    const outcome = pending.catch((err: unknown) => err);
    vi.advanceTimersByTime(499);
    expect(table.has(7)).toBe(true);
    vi.advanceTimersByTime(1);
    const err = await outcome;
    expect(err).toBeInstanceOf(RocketMQError);
    expect((err as RocketMQError).code).toBe('REQUEST_TIMEOUT');
    expect((err as RocketMQError).retriable).toBe(true);
    expect((err as RocketMQError).message).toContain('10.0.0.1:10911');
    expect(table.size).toBe(0);
    expect(table.complete(responseTo(7))).toBe(false);
    expect(debug).toHaveBeenCalledTimes(1);
  });

  it('times out each request at its own deadline whatever the order of registration (one shared timer)', async () => {
    vi.useFakeTimers();
    const table = new RequestTable();
    const outcome = (p: Promise<RemotingCommand>) => p.then(() => 'answered').catch((e: RocketMQError) => e.code);
    const long = outcome(table.register(1, 20_000)); // a held pull
    vi.advanceTimersByTime(100);
    const short = outcome(table.register(2, 3000)); // a send, due before the pull
    const answered = outcome(table.register(3, 3000));
    const later = outcome(table.register(4, 3000));
    expect(vi.getTimerCount()).toBe(1);
    table.complete(responseTo(3));
    vi.advanceTimersByTime(2999);
    expect([table.has(1), table.has(2), table.has(4)]).toEqual([true, true, true]);
    vi.advanceTimersByTime(1);
    expect([table.has(1), table.has(2), table.has(4)]).toEqual([true, false, false]);
    vi.advanceTimersByTime(20_000 - 3100 - 1);
    expect(table.has(1)).toBe(true);
    vi.advanceTimersByTime(1);
    expect(await Promise.all([long, short, answered, later])).toEqual([
      'REQUEST_TIMEOUT',
      'REQUEST_TIMEOUT',
      'answered',
      'REQUEST_TIMEOUT',
    ]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('clears the timer when the response arrives first', async () => {
    vi.useFakeTimers();
    const table = new RequestTable();
    const pending = table.register(8, 100);
    expect(vi.getTimerCount()).toBe(1);
    table.complete(responseTo(8));
    expect(vi.getTimerCount()).toBe(0);
    await expect(pending).resolves.toMatchObject({ opaque: 8 });
  });

  it('failAll rejects every waiter with the given error and clears all timers', async () => {
    vi.useFakeTimers();
    const table = new RequestTable();
    const promises = [1, 2, 3].map((opaque) => table.register(opaque, 1000).catch((err: unknown) => err));
    const closed = new RocketMQError('CONNECTION_CLOSED', 'gone');
    table.failAll(closed);
    expect(vi.getTimerCount()).toBe(0);
    expect(table.size).toBe(0);
    for (const outcome of await Promise.all(promises)) expect(outcome).toBe(closed);
  });

  it('fail rejects one waiter only', async () => {
    const table = new RequestTable();
    const a = table.register(1, 10_000).catch((err: unknown) => err);
    const b = table.register(2, 10_000);
    const writeError = new RocketMQError('CONNECTION_CLOSED', 'write failed');
    expect(table.fail(1, writeError)).toBe(true);
    expect(table.fail(1, writeError)).toBe(false);
    expect(await a).toBe(writeError);
    table.complete(responseTo(2));
    await expect(b).resolves.toMatchObject({ opaque: 2 });
  });

  it('refuses a duplicate opaque and more than maxPending waiters', async () => {
    const table = new RequestTable({ maxPending: 2 });
    const first = table.register(1, 10_000);
    await expect(table.register(1, 10_000)).rejects.toMatchObject({ code: 'INVALID_PARAMETER' });
    const second = table.register(2, 10_000);
    await expect(table.register(3, 10_000)).rejects.toMatchObject({ code: 'TOO_MANY_REQUESTS', retriable: true });
    table.failAll(new RocketMQError('CONNECTION_CLOSED', 'done'));
    await expect(first).rejects.toMatchObject({ code: 'CONNECTION_CLOSED' });
    await expect(second).rejects.toMatchObject({ code: 'CONNECTION_CLOSED' });
  });

  it('an over-long timeout (Infinity) waits instead of firing at once', async () => {
    vi.useFakeTimers();
    const table = new RequestTable();
    const pending = table.register(9, Number.POSITIVE_INFINITY);
    vi.advanceTimersByTime(60_000);
    expect(table.has(9)).toBe(true);
    table.complete(responseTo(9));
    await expect(pending).resolves.toMatchObject({ opaque: 9 });
  });
});
