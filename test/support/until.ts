/**
 * Resolves once `predicate` holds (polled every 50 ms); rejects naming `what` after `timeoutMs`. The default is
 * generous for a loaded 2-core machine: only a failing wait runs that long.
 */
export async function until(
  what: string,
  predicate: () => boolean | Promise<boolean>,
  timeoutMs = 25_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
