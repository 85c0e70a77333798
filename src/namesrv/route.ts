import { createResponse, type RemotingCommand, Version } from '../protocol/command.js';
import { GetRouteInfoRequestHeader } from '../protocol/headers/namesrv.js';
import { RequestCode } from '../protocol/request-code.js';
import { ResponseCode } from '../protocol/response-code.js';
import type { RemotingServer } from '../transport/server.js';
import type { NamesrvContext } from './context.js';
import { NAMESPACE_ORDER_TOPIC_CONFIG } from './kv-config-manager.js';
import { encodeTopicRouteData, type JsonForm } from './route-body.js';

/** Remark of TOPIC_NOT_EXIST, as Java words it (FAQUrl.suggestTodo appended). */
export function topicNotExistRemark(topic: string): string {
  return `No topic route info in name server for the topic: ${topic}\nSee https://rocketmq.apache.org/docs/bestPractice/06FAQ for further details.`;
}

/**
 * The JSON form a client gets: standard JSON (quoted map keys) from V4_9_4 on or when it asks for it with
 * `acceptStandardJsonOnly`, fastjson's bare numeric keys otherwise (reference §4.8).
 */
export function routeJsonForm(version: number, acceptStandardJsonOnly: boolean | undefined): JsonForm {
  return version >= Version.V4_9_4 || acceptStandardJsonOnly === true ? 'standard' : 'fastjson';
}

/** GET_ROUTEINFO_BY_TOPIC: the cached route body, built on first use after a change. */
export function getRouteInfoByTopic(ns: NamesrvContext, request: RemotingCommand): RemotingCommand {
  const header = GetRouteInfoRequestHeader.decode(request.extFields);
  const form = routeJsonForm(request.version, header.acceptStandardJsonOnly);
  let body = ns.routeCache.get(header.topic, form);
  if (body === undefined) {
    const route = ns.routes.pickupTopicRouteData(header.topic);
    if (!route) {
      return createResponse(request, ResponseCode.TOPIC_NOT_EXIST, { remark: topicNotExistRemark(header.topic) });
    }
    if (ns.config.orderMessageEnable) route.orderTopicConf = ns.kv.get(NAMESPACE_ORDER_TOPIC_CONFIG, header.topic);
    body = encodeTopicRouteData(route, form);
    ns.routeCache.set(header.topic, form, body);
  }
  return createResponse(request, ResponseCode.SUCCESS, { body });
}

/** Registers the route lookup handler. */
export function registerRouteHandlers(server: RemotingServer, ns: NamesrvContext): void {
  server.registerHandler(RequestCode.GET_ROUTEINFO_BY_TOPIC, (request) => getRouteInfoByTopic(ns, request));
}
