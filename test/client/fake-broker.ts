/**
 * A fake broker for client tests: a real RemotingServer on 127.0.0.1 that registers with a real NameServer and
 * answers sends (recording them) the way a broker does, or with a configured failure code.
 */
import { createRequest, createResponse, type RemotingCommand } from '../../src/protocol/command.js';
import { RegisterBrokerRequestHeader, UnRegisterBrokerRequestHeader } from '../../src/protocol/headers/namesrv.js';
import { decodeSendMessageV2, type SendMessageRequestHeader } from '../../src/protocol/headers/send.js';
import { createOffsetMsgId } from '../../src/protocol/message/message-id.js';
import { RequestCode } from '../../src/protocol/request-code.js';
import { ResponseCode } from '../../src/protocol/response-code.js';
import { RemotingClient } from '../../src/transport/client.js';
import type { RequestContext, RequestHandler } from '../../src/transport/dispatcher.js';
import { RemotingServer } from '../../src/transport/server.js';

/** One send the fake broker received. */
export interface ReceivedSend {
  code: number;
  header: SendMessageRequestHeader;
  body: Buffer;
  queueOffset: number;
  physicalOffset: number;
}

export interface FakeBrokerOptions {
  brokerName: string;
  clusterName?: string;
  namesrvAddr: string;
  /** Topics and their queue counts. */
  topics: Record<string, number>;
  /** Topic perm (default 6). */
  perm?: number;
}

export class FakeBroker {
  readonly server = new RemotingServer({ host: '127.0.0.1', port: 0 });
  readonly sends: ReceivedSend[] = [];
  readonly heartbeats: Record<string, unknown>[] = [];
  readonly unregisters: Record<string, string>[] = [];
  readonly oneways: RemotingCommand[] = [];
  /** Answer sends with this response code instead of storing them (undefined = store). */
  failWith: number | undefined;
  /** Last connection a client used (for broker → client calls). */
  lastContext: RequestContext | undefined;
  addr = '';
  port = 0;
  private readonly nsClient = new RemotingClient();
  private nextOffset = new Map<string, number>();
  private physicalOffset = 0;

  constructor(readonly options: FakeBrokerOptions) {
    const onSend: RequestHandler = (request, ctx) => this.onSend(request, ctx);
    this.server.registerHandler(RequestCode.SEND_MESSAGE_V2, onSend);
    this.server.registerHandler(RequestCode.SEND_BATCH_MESSAGE, onSend);
    this.server.registerHandler(RequestCode.HEART_BEAT, (request, ctx) => {
      this.lastContext = ctx;
      this.heartbeats.push(JSON.parse(request.body?.toString('utf8') ?? '{}'));
      return createResponse(request, ResponseCode.SUCCESS);
    });
    this.server.registerHandler(RequestCode.UNREGISTER_CLIENT, (request) => {
      this.unregisters.push({ ...request.extFields });
      return createResponse(request, ResponseCode.SUCCESS);
    });
    this.server.registerHandler(RequestCode.END_TRANSACTION, (request) => {
      this.oneways.push(request);
      return createResponse(request, ResponseCode.SUCCESS);
    });
  }

  /** Handles `code` with `handler` (admin tests). */
  handle(code: number, handler: RequestHandler): void {
    this.server.registerHandler(code, handler);
  }

  async start(): Promise<void> {
    const { port } = await this.server.listen();
    this.port = port;
    this.addr = `127.0.0.1:${port}`;
    await this.register();
  }

  /** (Re)registers with the NameServer with the current topics. */
  async register(counter = 1): Promise<void> {
    const topicConfigTable: Record<string, unknown> = {};
    for (const [topicName, queues] of Object.entries(this.options.topics)) {
      topicConfigTable[topicName] = {
        order: false,
        perm: this.options.perm ?? 6,
        readQueueNums: queues,
        topicFilterType: 'SINGLE_TAG',
        topicName,
        topicSysFlag: 0,
        writeQueueNums: queues,
      };
    }
    const body = Buffer.from(
      JSON.stringify({
        filterServerList: [],
        topicConfigSerializeWrapper: {
          dataVersion: { counter, stateVersion: 0, timestamp: Date.now() },
          topicConfigTable,
        },
      }),
    );
    const extFields = RegisterBrokerRequestHeader.encode({
      brokerName: this.options.brokerName,
      brokerAddr: this.addr,
      clusterName: this.options.clusterName ?? 'DefaultCluster',
      haServerAddr: `127.0.0.1:${this.port + 1}`,
      brokerId: 0,
      enableActingMaster: false,
      compressed: false,
      bodyCrc32: 0,
    });
    const response = await this.nsClient.invoke(
      this.options.namesrvAddr,
      createRequest(RequestCode.REGISTER_BROKER, { extFields, body }),
      3000,
    );
    if (response.code !== ResponseCode.SUCCESS) throw new Error(`register failed: ${response.remark}`);
  }

  async close(): Promise<void> {
    await this.nsClient
      .invoke(
        this.options.namesrvAddr,
        createRequest(RequestCode.UNREGISTER_BROKER, {
          extFields: UnRegisterBrokerRequestHeader.encode({
            brokerName: this.options.brokerName,
            brokerAddr: this.addr,
            clusterName: this.options.clusterName ?? 'DefaultCluster',
            brokerId: 0,
          }),
        }),
        1000,
      )
      .catch(() => undefined);
    await this.nsClient.close();
    await this.server.close(100);
  }

  private onSend(request: RemotingCommand, ctx: RequestContext): RemotingCommand {
    this.lastContext = ctx;
    const header = decodeSendMessageV2(request.extFields);
    if (this.failWith !== undefined) return createResponse(request, this.failWith, { remark: 'fake failure' });
    const key = `${header.topic}@${header.queueId}`;
    const queueOffset = this.nextOffset.get(key) ?? 0;
    const count = header.batch ? countBatchItems(request.body ?? Buffer.alloc(0)) : 1;
    this.nextOffset.set(key, queueOffset + count);
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      ids.push(createOffsetMsgId({ host: '127.0.0.1', port: this.port }, this.physicalOffset));
      this.sends.push({
        code: request.code,
        header,
        body: request.body ?? Buffer.alloc(0),
        queueOffset: queueOffset + i,
        physicalOffset: this.physicalOffset,
      });
      this.physicalOffset += 100;
    }
    return createResponse(request, ResponseCode.SUCCESS, {
      extFields: {
        msgId: ids.join(','),
        queueId: String(header.queueId),
        queueOffset: String(queueOffset),
        MSG_REGION: 'DefaultRegion',
        TRACE_ON: 'true',
      },
    });
  }
}

function countBatchItems(body: Buffer): number {
  let count = 0;
  for (let pos = 0; pos + 4 <= body.length; pos += body.readInt32BE(pos)) count++;
  return count;
}
