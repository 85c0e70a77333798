import { createResponse, type RemotingCommand } from '../protocol/command.js';
import {
  AddWritePermOfBrokerRequestHeader,
  AddWritePermOfBrokerResponseHeader,
  DeleteTopicFromNamesrvRequestHeader,
  GetTopicsByClusterRequestHeader,
  RegisterTopicRequestHeader,
  WipeWritePermOfBrokerRequestHeader,
  WipeWritePermOfBrokerResponseHeader,
} from '../protocol/headers/namesrv.js';
import { RequestCode } from '../protocol/request-code.js';
import { ResponseCode } from '../protocol/response-code.js';
import type { RemotingServer } from '../transport/server.js';
import type { NamesrvContext } from './context.js';
import { decodeRouteQueueDatas } from './register-body.js';
import { encodeClusterInfo, encodeTopicList } from './route-body.js';

/** Cluster, topic-list and permission requests of admin tools (mqadmin, dashboard). */
export function registerTopicAdminHandlers(server: RemotingServer, ns: NamesrvContext): void {
  const { routes } = ns;
  const ok = (request: RemotingCommand, init: Parameters<typeof createResponse>[2] = {}) =>
    createResponse(request, ResponseCode.SUCCESS, init);
  const disabled = (request: RemotingCommand) =>
    createResponse(request, ResponseCode.SYSTEM_ERROR, { remark: 'disable' });

  server.registerHandler(RequestCode.GET_BROKER_CLUSTER_INFO, (request) =>
    ok(request, { body: encodeClusterInfo(routes.clusterInfo()) }),
  );
  server.registerHandler(RequestCode.GET_ALL_TOPIC_LIST_FROM_NAMESERVER, (request) =>
    ns.config.enableAllTopicList ? ok(request, { body: encodeTopicList(routes.allTopicList()) }) : disabled(request),
  );
  server.registerHandler(RequestCode.GET_TOPICS_BY_CLUSTER, (request) => {
    if (!ns.config.enableTopicList) return disabled(request);
    const header = GetTopicsByClusterRequestHeader.decode(request.extFields);
    return ok(request, { body: encodeTopicList(routes.topicsByCluster(header.cluster)) });
  });
  server.registerHandler(RequestCode.GET_SYSTEM_TOPIC_LIST_FROM_NS, (request) =>
    ok(request, { body: encodeTopicList(routes.systemTopicList()) }),
  );
  server.registerHandler(RequestCode.DELETE_TOPIC_IN_NAMESRV, (request) => {
    const header = DeleteTopicFromNamesrvRequestHeader.decode(request.extFields);
    routes.deleteTopic(header.topic, header.clusterName || undefined);
    return ok(request);
  });
  server.registerHandler(RequestCode.REGISTER_TOPIC_IN_NAMESRV, (request) => {
    const header = RegisterTopicRequestHeader.decode(request.extFields);
    routes.registerTopic(header.topic, decodeRouteQueueDatas(request.body));
    return ok(request);
  });
  server.registerHandler(RequestCode.WIPE_WRITE_PERM_OF_BROKER, (request) => {
    const header = WipeWritePermOfBrokerRequestHeader.decode(request.extFields);
    const wipeTopicCount = routes.setWritePermOfBroker(header.brokerName, 'wipe');
    ns.logger.info({ brokerName: header.brokerName, wipeTopicCount }, 'write permission wiped');
    return ok(request, { extFields: WipeWritePermOfBrokerResponseHeader.encode({ wipeTopicCount }) });
  });
  server.registerHandler(RequestCode.ADD_WRITE_PERM_OF_BROKER, (request) => {
    const header = AddWritePermOfBrokerRequestHeader.decode(request.extFields);
    const addTopicCount = routes.setWritePermOfBroker(header.brokerName, 'add');
    ns.logger.info({ brokerName: header.brokerName, addTopicCount }, 'write permission added');
    return ok(request, { extFields: AddWritePermOfBrokerResponseHeader.encode({ addTopicCount }) });
  });
}
