import { createResponse, type RemotingCommand } from '../protocol/command.js';
import {
  BrokerHeartbeatRequestHeader,
  QueryDataVersionRequestHeader,
  QueryDataVersionResponseHeader,
  RegisterBrokerRequestHeader,
  RegisterBrokerResponseHeader,
  UnRegisterBrokerRequestHeader,
  ZONE_NAME_EXT_KEY,
} from '../protocol/headers/namesrv.js';
import { crc32 } from '../protocol/message/crc32.js';
import { RequestCode } from '../protocol/request-code.js';
import { ResponseCode } from '../protocol/response-code.js';
import type { RequestContext } from '../transport/dispatcher.js';
import type { RemotingServer } from '../transport/server.js';
import type { NamesrvContext } from './context.js';
import { NAMESPACE_ORDER_TOPIC_CONFIG } from './kv-config-manager.js';
import { decodeDataVersionBody, decodeRegisterBrokerBody } from './register-body.js';
import { encodeDataVersion, encodeKvTable } from './route-body.js';

const EMPTY = Buffer.alloc(0);

/** CRC32 of a register body as brokers compute it: masked to 31 bits. */
export function registerBodyCrc32(body: Buffer | undefined): number {
  return crc32(body ?? EMPTY) & 0x7fffffff;
}

/** REGISTER_BROKER: record the broker and its topics; a slave learns its master's addresses. */
export function registerBroker(ns: NamesrvContext, request: RemotingCommand, ctx: RequestContext): RemotingCommand {
  const header = RegisterBrokerRequestHeader.decode(request.extFields);
  if (header.bodyCrc32 !== undefined && header.bodyCrc32 !== 0) {
    const actual = registerBodyCrc32(request.body);
    if (actual !== header.bodyCrc32) {
      ns.logger.warn(
        { brokerAddr: header.brokerAddr, expected: header.bodyCrc32, actual },
        'register body crc32 mismatch',
      );
      return createResponse(request, ResponseCode.SYSTEM_ERROR, { remark: 'crc32 not match' });
    }
  }
  const body = decodeRegisterBrokerBody(request.body, header.compressed === true);
  const result = ns.routes.registerBroker({
    clusterName: header.clusterName,
    brokerAddr: header.brokerAddr,
    brokerName: header.brokerName,
    brokerId: header.brokerId,
    haServerAddr: header.haServerAddr,
    zoneName: request.extFields?.[ZONE_NAME_EXT_KEY],
    heartbeatTimeoutMillis: header.heartbeatTimeoutMillis,
    enableActingMaster: header.enableActingMaster,
    topicConfigWrapper: body.topicConfigWrapper,
    filterServerList: body.filterServerList,
    connection: ctx.connection,
  });
  if (!result) return createResponse(request, ResponseCode.SYSTEM_ERROR, { remark: 'register broker failed' });
  const orderTopics = ns.config.returnOrderTopicConfigToBroker ? ns.kv.list(NAMESPACE_ORDER_TOPIC_CONFIG) : undefined;
  return createResponse(request, ResponseCode.SUCCESS, {
    extFields: RegisterBrokerResponseHeader.encode(result),
    body: orderTopics ? encodeKvTable(orderTopics) : undefined,
  });
}

/** UNREGISTER_BROKER: forget one broker address (its group and queues go with its last member). */
export function unregisterBroker(ns: NamesrvContext, request: RemotingCommand): RemotingCommand {
  const header = UnRegisterBrokerRequestHeader.decode(request.extFields);
  ns.routes.unregisterBroker(header);
  return createResponse(request, ResponseCode.SUCCESS);
}

/** BROKER_HEARTBEAT (5.x): refresh the broker's liveness. */
export function brokerHeartbeat(ns: NamesrvContext, request: RemotingCommand): RemotingCommand {
  const header = BrokerHeartbeatRequestHeader.decode(request.extFields);
  ns.routes.touchBroker(header.clusterName, header.brokerAddr);
  return createResponse(request, ResponseCode.SUCCESS);
}

/** QUERY_DATA_VERSION: does the NameServer hold another topic-table version than the broker's? */
export function queryDataVersion(ns: NamesrvContext, request: RemotingCommand): RemotingCommand {
  const header = QueryDataVersionRequestHeader.decode(request.extFields);
  const dataVersion = decodeDataVersionBody(request.body);
  const changed = ns.routes.isBrokerTopicConfigChanged(header.clusterName, header.brokerAddr, dataVersion);
  if (!changed) ns.routes.touchBroker(header.clusterName, header.brokerAddr);
  const held = ns.routes.brokerDataVersion(header.clusterName, header.brokerAddr);
  return createResponse(request, ResponseCode.SUCCESS, {
    extFields: QueryDataVersionResponseHeader.encode({ changed }),
    body: held ? encodeDataVersion(held) : undefined,
  });
}

/** Registers the broker-facing handlers. */
export function registerBrokerRegistrationHandlers(server: RemotingServer, ns: NamesrvContext): void {
  server.registerHandler(RequestCode.REGISTER_BROKER, (request, ctx) => registerBroker(ns, request, ctx));
  server.registerHandler(RequestCode.UNREGISTER_BROKER, (request) => unregisterBroker(ns, request));
  server.registerHandler(RequestCode.BROKER_HEARTBEAT, (request) => brokerHeartbeat(ns, request));
  server.registerHandler(RequestCode.QUERY_DATA_VERSION, (request) => queryDataVersion(ns, request));
}
