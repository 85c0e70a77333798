/**
 * A broker process killed (SIGKILL) in the middle of transactions, its progress offsets never flushed, then restarted
 * in-process on the same files: the committed message stays published once, the rolled-back one never appears, and
 * the open transaction is still checked back and committed exactly once.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createRequest, type RemotingCommand } from '../../../src/protocol/command.js';
import {
  CheckTransactionStateRequestHeader,
  EndTransactionRequestHeader,
  TransactionResolution,
} from '../../../src/protocol/headers/transaction.js';
import { decodeOffsetMsgId } from '../../../src/protocol/message/message-id.js';
import { decodeRecords } from '../../../src/protocol/message/record.js';
import { MessageSysFlag } from '../../../src/protocol/message/sysflag.js';
import { RequestCode } from '../../../src/protocol/request-code.js';
import { ResponseCode } from '../../../src/protocol/response-code.js';
import { RemotingClient } from '../../../src/transport/client.js';
import { pullRequest, sendRequest, startTestBroker, type TestBroker } from '../broker-harness.js';

const fixture = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'tx-broker.ts');

let child: ChildProcess | undefined;
let client: RemotingClient | undefined;
let restarted: TestBroker | undefined;
let dir: string | undefined;

afterEach(async () => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await client?.close();
  await restarted?.close(true);
  if (dir) await rm(dir, { recursive: true, force: true });
  child = client = restarted = dir = undefined;
});

function startChild(root: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', fixture, root], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    let out = '';
    let err = '';
    proc.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /READY (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    proc.stderr?.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    proc.on('exit', (code) => reject(new Error(`broker child exited (${code}): ${err}`)));
  });
}

function killChild(): Promise<void> {
  return new Promise((resolve) => {
    if (!child || child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/** Registers `c` as producer TXG on `addr`; checks it receives are pushed to `checks`. */
async function connectProducer(c: RemotingClient, addr: string, checks: RemotingCommand[]): Promise<void> {
  c.registerHandler(RequestCode.CHECK_TRANSACTION_STATE, (request) => {
    checks.push(request);
    return undefined;
  });
  const heartbeat = JSON.stringify({ clientID: 'crash-producer', producerDataSet: [{ groupName: 'TXG' }] });
  const res = await c.invoke(addr, createRequest(RequestCode.HEART_BEAT, { body: Buffer.from(heartbeat) }), 5000);
  expect(res.code).toBe(ResponseCode.SUCCESS);
}

function endRequest(queueOffset: number, commitLogOffset: number, resolution: number): RemotingCommand {
  return createRequest(RequestCode.END_TRANSACTION, {
    extFields: EndTransactionRequestHeader.encode({
      producerGroup: 'TXG',
      tranStateTableOffset: queueOffset,
      commitLogOffset,
      commitOrRollback: resolution,
      msgId: 'x',
    }),
  });
}

async function until(what: string, condition: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('transactions across a broker crash', () => {
  it('publish nothing twice and lose no open transaction', async () => {
    dir = await mkdtemp(join(tmpdir(), 'tx-crash-'));
    const port = await startChild(dir);
    const addr = `127.0.0.1:${port}`;
    client = new RemotingClient();
    const before: RemotingCommand[] = [];
    await connectProducer(client, addr, before);

    const sent: Record<string, { queueOffset: number; phy: number }> = {};
    for (const body of ['commit', 'rollback', 'open']) {
      const res = await client.invoke(
        addr,
        sendRequest('TxTopic', body, {
          producerGroup: 'TXG',
          sysFlag: MessageSysFlag.TRANSACTION_PREPARED_TYPE,
          queueId: 0,
          props: { TRAN_MSG: 'true', PGROUP: 'TXG', UNIQ_KEY: `U-${body}` },
        }),
        5000,
      );
      expect(res.code).toBe(ResponseCode.SUCCESS);
      sent[body] = {
        queueOffset: Number(res.extFields?.queueOffset),
        phy: decodeOffsetMsgId(res.extFields?.msgId ?? '').physicalOffset,
      };
    }
    for (const [body, resolution] of [
      ['commit', TransactionResolution.COMMIT],
      ['rollback', TransactionResolution.ROLLBACK],
    ] as const) {
      const s = sent[body] as { queueOffset: number; phy: number };
      const res = await client.invoke(addr, endRequest(s.queueOffset, s.phy, resolution), 5000);
      expect(res.code).toBe(ResponseCode.SUCCESS);
    }
    // the open one gets checked (and renewed) at least twice before the crash; nobody answers
    await until('two checks before the crash', () => before.length >= 2);
    for (const check of before) {
      expect(CheckTransactionStateRequestHeader.decode(check.extFields).msgId).toBe('U-open');
    }
    await killChild();
    await client.close();

    restarted = await startTestBroker({ transactionTimeOut: 200, transactionCheckInterval: 100 }, dir);
    client = new RemotingClient();
    const after: RemotingCommand[] = [];
    const answering = client;
    const raddr = restarted.addr;
    await connectProducer(answering, raddr, after);
    const published = async (): Promise<string[]> => {
      const res = await answering.invoke(raddr, pullRequest('TxTopic', 0, 0), 5000);
      if (res.code !== ResponseCode.SUCCESS) return [];
      return decodeRecords(res.body ?? Buffer.alloc(0)).map((r) => r.body.toString());
    };
    expect(await published()).toEqual(['commit']);
    await until('a check after the restart', () => after.length >= 1);
    const check = CheckTransactionStateRequestHeader.decode(after[0]?.extFields);
    expect(check.msgId).toBe('U-open');
    const res = await answering.invoke(
      raddr,
      endRequest(check.tranStateTableOffset, check.commitLogOffset, TransactionResolution.COMMIT),
      5000,
    );
    expect(res.code).toBe(ResponseCode.SUCCESS);
    // answer every later check of the same transaction too: all are duplicates
    for (const late of after.slice(1)) {
      const h = CheckTransactionStateRequestHeader.decode(late.extFields);
      await answering.invoke(raddr, endRequest(h.tranStateTableOffset, h.commitLogOffset, 8), 5000);
    }
    await new Promise((r) => setTimeout(r, 500));
    const checksAfterCommit = after.length;
    await new Promise((r) => setTimeout(r, 500));
    expect(after.length).toBe(checksAfterCommit);
    expect(await published()).toEqual(['commit', 'open']);
  });
});
