/**
 * GET_CONSUMER_RUNNING_INFO (307) and CONSUME_MESSAGE_DIRECTLY (309): the broker passes them on to the consumer
 * client named in the header and answers with the client's response, over real sockets.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrokerContext } from '../../../src/broker/context.js';
import { callConsumerHandlers } from '../../../src/broker/processors/call-consumer.js';
import { RocketMQError } from '../../../src/common/errors.js';
import { createRequest, createResponse, type RemotingCommand } from '../../../src/protocol/command.js';
import {
  ConsumeMessageDirectlyResultRequestHeader,
  GetConsumerRunningInfoRequestHeader,
  GetConsumerStatusRequestHeader,
} from '../../../src/protocol/headers/admin.js';
import { decodeRecord } from '../../../src/protocol/message/record.js';
import { RequestCode } from '../../../src/protocol/request-code.js';
import { ResponseCode } from '../../../src/protocol/response-code.js';
import { RemotingClient } from '../../../src/transport/client.js';
import { sendRequest, startTestBroker, type TestBroker } from '../broker-harness.js';
import { heartbeatBody } from './harness.js';

const CLIENT_ID = '127.0.0.1@member';
let tb: TestBroker;
let member: RemotingClient;
const seen: RemotingCommand[] = [];

function runningInfo(clientId: string): RemotingCommand {
  return createRequest(RequestCode.GET_CONSUMER_RUNNING_INFO, {
    extFields: GetConsumerRunningInfoRequestHeader.encode({ consumerGroup: 'G', clientId, jstackEnable: false }),
  });
}

beforeAll(async () => {
  tb = await startTestBroker();
  member = new RemotingClient();
  member.registerHandler(RequestCode.GET_CONSUMER_RUNNING_INFO, (request) => {
    seen.push(request);
    return createResponse(request, ResponseCode.SUCCESS, {
      body: Buffer.from('{"properties":{"PROP_CONSUME_TYPE":"x"}}'),
    });
  });
  member.registerHandler(RequestCode.GET_CONSUMER_STATUS_FROM_CLIENT, (request) => {
    seen.push(request);
    // A Java client's GetConsumerStatusBody, as fastjson writes it (MessageQueue objects as raw keys).
    return createResponse(request, ResponseCode.SUCCESS, {
      body: Buffer.from('{"messageQueueTable":{{"brokerName":"broker-a","queueId":0,"topic":"CallTopic"}:17}}'),
    });
  });
  member.registerHandler(RequestCode.CONSUME_MESSAGE_DIRECTLY, (request) => {
    seen.push(request);
    return createResponse(request, ResponseCode.SUCCESS, { body: Buffer.from('{"consumeResult":"CR_SUCCESS"}') });
  });
  const hb = await member.invoke(
    tb.addr,
    createRequest(RequestCode.HEART_BEAT, {
      body: Buffer.from(heartbeatBody(CLIENT_ID, { group: 'G', topic: 'CallTopic', subString: '*' })),
    }),
    5000,
  );
  expect(hb.code).toBe(ResponseCode.SUCCESS);
}, 20_000);

afterAll(async () => {
  await member?.close();
  await tb?.close();
});

describe('the broker passes admin calls on to a consumer', () => {
  it('GET_CONSUMER_RUNNING_INFO reaches the named client with its header and comes back with its body', async () => {
    seen.length = 0;
    const res = await tb.invoke(runningInfo(CLIENT_ID));
    expect(res.code).toBe(ResponseCode.SUCCESS);
    expect(JSON.parse(res.body!.toString())).toEqual({ properties: { PROP_CONSUME_TYPE: 'x' } });
    expect(seen).toHaveLength(1);
    expect(GetConsumerRunningInfoRequestHeader.decode(seen[0]!.extFields)).toMatchObject({
      consumerGroup: 'G',
      clientId: CLIENT_ID,
    });
  });

  it('answers SYSTEM_ERROR "not online" for a client the group does not have', async () => {
    const res = await tb.invoke(runningInfo('10.0.0.9@nobody'));
    expect(res.code).toBe(ResponseCode.SYSTEM_ERROR);
    expect(res.remark).toBe('The Consumer <G> <10.0.0.9@nobody> not online');
  });

  it('CONSUME_MESSAGE_DIRECTLY hands the client the stored record named by the offset message id', async () => {
    const sent = await tb.invoke(sendRequest('CallTopic', 'direct-body', { queueId: 0 }));
    expect(sent.code).toBe(ResponseCode.SUCCESS);
    seen.length = 0;
    const res = await tb.invoke(
      createRequest(RequestCode.CONSUME_MESSAGE_DIRECTLY, {
        extFields: ConsumeMessageDirectlyResultRequestHeader.encode({
          consumerGroup: 'G',
          clientId: CLIENT_ID,
          msgId: sent.extFields!.msgId!,
        }),
      }),
    );
    expect(res.code).toBe(ResponseCode.SUCCESS);
    expect(JSON.parse(res.body!.toString())).toEqual({ consumeResult: 'CR_SUCCESS' });
    const forwarded = seen[0]!;
    expect(forwarded.extFields?.brokerName).toBe(tb.broker.config.brokerName);
    const record = decodeRecord(forwarded.body!);
    expect(record.body.toString()).toBe('direct-body');
    expect(record.topic).toBe('CallTopic');
  });
});

describe('INVOKE_BROKER_TO_GET_CONSUMER_STATUS', () => {
  it('gathers the offsets each client of the group reports for the topic', async () => {
    seen.length = 0;
    const res = await tb.invoke(
      createRequest(RequestCode.INVOKE_BROKER_TO_GET_CONSUMER_STATUS, {
        extFields: GetConsumerStatusRequestHeader.encode({ topic: 'CallTopic', group: 'G' }),
      }),
    );
    expect(res.code).toBe(ResponseCode.SUCCESS);
    expect(res.body!.toString()).toBe(
      `{"consumerTable":{"${CLIENT_ID}":{{"brokerName":"broker-a","queueId":0,"topic":"CallTopic"}:17}}}`,
    );
    expect(GetConsumerStatusRequestHeader.decode(seen[0]!.extFields)).toMatchObject({ topic: 'CallTopic', group: 'G' });
  });
});

describe('callConsumer failures', () => {
  const member = { connection: {} };
  const parts = (invoke: () => Promise<RemotingCommand>) => ({
    ctx: { server: { invoke }, config: { brokerName: 'b' } } as unknown as BrokerContext,
    consumers: { group: () => ({ members: new Map([[CLIENT_ID, member]]) }) } as never,
  });

  it('maps a client that does not answer in time to CONSUME_MSG_TIMEOUT, any other failure to SYSTEM_ERROR', async () => {
    const timeout = callConsumerHandlers(
      parts(() => Promise.reject(new RocketMQError('REQUEST_TIMEOUT', 'request 7 timed out after 10000 ms'))),
    ).get(RequestCode.GET_CONSUMER_RUNNING_INFO)!;
    const late = await timeout(runningInfo(CLIENT_ID), {} as never);
    expect(late!.code).toBe(ResponseCode.CONSUME_MSG_TIMEOUT);
    expect(late!.remark).toMatch(/^consumer <G> <127.0.0.1@member> Timeout: request 7 timed out/);

    const closed = callConsumerHandlers(parts(() => Promise.reject(new Error('connection closed')))).get(
      RequestCode.GET_CONSUMER_RUNNING_INFO,
    )!;
    const failed = await closed(runningInfo(CLIENT_ID), {} as never);
    expect(failed!.code).toBe(ResponseCode.SYSTEM_ERROR);
    expect(failed!.remark).toBe('invoke consumer <G> <127.0.0.1@member> Exception: connection closed');
  });
});
