/**
 * Runs every ```ts example of docs/client.md against a real local NameServer and broker, so the documented code keeps
 * working: the NameServer address is swapped for the test one and `rocketmq-ts` for the source entry point.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestBroker, type TestBroker } from '../broker/broker-harness.js';
import { startTestNamesrv, type TestNamesrv } from '../namesrv/helpers.js';

const docPath = resolve(import.meta.dirname, '../../docs/client.md');
const clientEntry = pathToFileURL(resolve(import.meta.dirname, '../../src/client/index.ts')).href;

let ns: TestNamesrv;
let broker: TestBroker;
let dir: string;

async function examples(): Promise<string[]> {
  const text = await readFile(docPath, 'utf8');
  return [...text.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] as string);
}

beforeAll(async () => {
  ns = await startTestNamesrv();
  broker = await startTestBroker({ namesrvAddr: ns.addr });
  dir = await mkdtemp(join(tmpdir(), 'client-docs-'));
});

afterAll(async () => {
  await broker?.close();
  await ns?.close();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe('docs/client.md examples', () => {
  it('has examples for the producer, the transaction producer and the admin', async () => {
    const all = (await examples()).join('\n');
    for (const name of ['new Producer(', 'new TransactionProducer(', 'new Admin(']) expect(all).toContain(name);
  });

  it('runs every example to completion', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      const blocks = await examples();
      expect(blocks.length).toBeGreaterThanOrEqual(4);
      for (const [i, block] of blocks.entries()) {
        const source = block.replaceAll('127.0.0.1:9876', ns.addr).replaceAll("'rocketmq-ts'", `'${clientEntry}'`);
        const file = join(dir, `example-${i}.ts`);
        await writeFile(file, source);
        await import(pathToFileURL(file).href);
      }
      const printed = log.mock.calls.map((args) => args.map(String).join(' ')).join('\n');
      expect(printed).toContain('SEND_OK'); // producer example
      expect(printed).toContain('COMMIT'); // transaction example
      expect(printed).toContain('tenant-db-17'); // admin example: listTopics
    } finally {
      log.mockRestore();
    }
  });
});
