import { describe, expect, it } from 'vitest';
import {
  buildPullRequest,
  lockBatchMq,
  type PullSubscription,
  parsePullResponse,
  sendMessageBack,
} from '../../../src/client/pull-api.js';
import { createRequest, createResponse, type RemotingCommand } from '../../../src/protocol/command.js';
import { RequestCode } from '../../../src/protocol/request-code.js';
import { ResponseCode } from '../../../src/protocol/response-code.js';
import { message, recordBytes } from './helpers.js';

const mq = { topic: 'T', brokerName: 'broker-a', queueId: 3 };
const tagSub: PullSubscription = { subString: 'A || B', expressionType: 'TAG', subVersion: 123, tagsSet: ['A', 'B'] };

describe('buildPullRequest', () => {
  it('long-polls with commit offset, subscription and suspend flags (sysFlag 7)', () => {
    const req = buildPullRequest({
      consumerGroup: 'g',
      mq,
      queueOffset: 25,
      maxMsgNums: 32,
      subscription: tagSub,
      commitOffset: 20,
    });
    expect(req.code).toBe(RequestCode.PULL_MESSAGE);
    expect(req.extFields).toEqual({
      consumerGroup: 'g',
      topic: 'T',
      queueId: '3',
      queueOffset: '25',
      maxMsgNums: '32',
      sysFlag: '7',
      commitOffset: '20',
      suspendTimeoutMillis: '15000',
      subscription: 'A || B',
      subVersion: '123',
      expressionType: 'TAG',
      bname: 'broker-a',
    });
  });

  it('lite pull without commit or suspension: code 361, sysFlag SUBSCRIPTION|LITE (0x14)', () => {
    const req = buildPullRequest({
      consumerGroup: 'g',
      mq,
      queueOffset: 0,
      maxMsgNums: 10,
      subscription: { subString: 'a > 1', expressionType: 'SQL92', subVersion: 1, tagsSet: [] },
      suspendTimeoutMillis: 0,
      litePull: true,
    });
    expect(req.code).toBe(RequestCode.LITE_PULL_MESSAGE);
    expect(req.extFields?.sysFlag).toBe(String(0x14));
    expect(req.extFields?.expressionType).toBe('SQL92');
  });
});

function response(code: number, body?: Buffer): RemotingCommand {
  return createResponse(createRequest(RequestCode.PULL_MESSAGE), code, {
    extFields: { suggestWhichBrokerId: '0', nextBeginOffset: '12', minOffset: '0', maxOffset: '12' },
    body,
  });
}

describe('parsePullResponse', () => {
  it('decodes records, re-checks tags and stamps MIN_OFFSET/MAX_OFFSET', () => {
    const body = Buffer.concat([
      recordBytes('T', 3, 10, 'one', { TAGS: 'A' }),
      recordBytes('T', 3, 11, 'two', { TAGS: 'C' }),
    ]);
    const result = parsePullResponse(response(ResponseCode.SUCCESS, body), tagSub);
    expect(result.status).toBe('FOUND');
    expect(result.nextBeginOffset).toBe(12);
    expect(result.messages.map((m) => m.body.toString())).toEqual(['one']);
    expect(result.messages[0]!.properties.MAX_OFFSET).toBe('12');
  });

  it('maps the no-message codes to statuses and anything else to a typed error', () => {
    expect(parsePullResponse(response(ResponseCode.PULL_NOT_FOUND), tagSub).status).toBe('NO_NEW_MSG');
    expect(parsePullResponse(response(ResponseCode.PULL_RETRY_IMMEDIATELY), tagSub).status).toBe('NO_MATCHED_MSG');
    expect(parsePullResponse(response(ResponseCode.PULL_OFFSET_MOVED), tagSub).status).toBe('OFFSET_ILLEGAL');
    expect(() => parsePullResponse(response(ResponseCode.SUBSCRIPTION_NOT_LATEST), tagSub)).toThrow(
      expect.objectContaining({ name: 'RocketMQError', responseCode: ResponseCode.SUBSCRIPTION_NOT_LATEST }),
    );
  });
});

describe('lock and send-back requests', () => {
  it('sends the LockBatchRequestBody and reads lockOKMQSet', async () => {
    let seen: RemotingCommand | undefined;
    const locked = await lockBatchMq(
      {
        invokeBroker: async (_a, req) => {
          seen = req;
          return createResponse(req, 0, {
            body: Buffer.from('{"lockOKMQSet":[{"brokerName":"broker-a","queueId":3,"topic":"T"}]}'),
          });
        },
        invokeBrokerOneway: async () => {},
      },
      'addr',
      'g',
      'cid',
      [mq],
    );
    expect(locked).toEqual([mq]);
    expect(JSON.parse(seen!.body!.toString())).toEqual({ clientId: 'cid', consumerGroup: 'g', mqSet: [mq] });
  });

  it('send-back carries the commitlog offset, origin topic and max reconsume times; failures throw', async () => {
    const msg = message(4, 'x', '%RETRY%g');
    let seen: RemotingCommand | undefined;
    const client = {
      invokeBroker: async (_a: string, req: RemotingCommand) => {
        seen = req;
        return createResponse(req, ResponseCode.SYSTEM_ERROR, { remark: 'nope' });
      },
      invokeBrokerOneway: async () => {},
    };
    await expect(sendMessageBack(client, 'addr', 'g', msg, 'T', 16)).rejects.toMatchObject({ code: 'SYSTEM_ERROR' });
    expect(seen!.extFields).toMatchObject({
      offset: String(msg.commitLogOffset),
      group: 'g',
      delayLevel: '0',
      originTopic: 'T',
      maxReconsumeTimes: '16',
      originMsgId: msg.msgId,
    });
  });
});
