import { createResponse, type RemotingCommand } from '../protocol/command.js';
import {
  DeleteKVConfigRequestHeader,
  GetKVConfigRequestHeader,
  GetKVConfigResponseHeader,
  GetKVListByNamespaceRequestHeader,
  PutKVConfigRequestHeader,
} from '../protocol/headers/namesrv.js';
import { RequestCode } from '../protocol/request-code.js';
import { ResponseCode } from '../protocol/response-code.js';
import type { RemotingServer } from '../transport/server.js';
import type { NamesrvContext } from './context.js';
import { encodeKvTable } from './route-body.js';

/** PUT_KV_CONFIG: answered once the entry is on disk. */
export async function putKvConfig(ns: NamesrvContext, request: RemotingCommand): Promise<RemotingCommand> {
  const header = PutKVConfigRequestHeader.decode(request.extFields);
  await ns.kv.put(header.namespace, header.key, header.value);
  return createResponse(request, ResponseCode.SUCCESS);
}

/** GET_KV_CONFIG → header `value`, or QUERY_NOT_FOUND. */
export function getKvConfig(ns: NamesrvContext, request: RemotingCommand): RemotingCommand {
  const header = GetKVConfigRequestHeader.decode(request.extFields);
  const value = ns.kv.get(header.namespace, header.key);
  if (value === undefined) {
    return createResponse(request, ResponseCode.QUERY_NOT_FOUND, {
      remark: `No config item, Namespace: ${header.namespace} Key: ${header.key}`,
    });
  }
  return createResponse(request, ResponseCode.SUCCESS, { extFields: GetKVConfigResponseHeader.encode({ value }) });
}

/** DELETE_KV_CONFIG: succeeds whether or not the entry existed. */
export async function deleteKvConfig(ns: NamesrvContext, request: RemotingCommand): Promise<RemotingCommand> {
  const header = DeleteKVConfigRequestHeader.decode(request.extFields);
  await ns.kv.delete(header.namespace, header.key);
  return createResponse(request, ResponseCode.SUCCESS);
}

/** GET_KVLIST_BY_NAMESPACE → body KVTable, or QUERY_NOT_FOUND. */
export function getKvListByNamespace(ns: NamesrvContext, request: RemotingCommand): RemotingCommand {
  const header = GetKVListByNamespaceRequestHeader.decode(request.extFields);
  const table = ns.kv.list(header.namespace);
  if (!table) {
    return createResponse(request, ResponseCode.QUERY_NOT_FOUND, {
      remark: `No config item, Namespace: ${header.namespace}`,
    });
  }
  return createResponse(request, ResponseCode.SUCCESS, { body: encodeKvTable(table) });
}

/** Registers the KV config handlers. */
export function registerKvConfigHandlers(server: RemotingServer, ns: NamesrvContext): void {
  server.registerHandler(RequestCode.PUT_KV_CONFIG, (request) => putKvConfig(ns, request));
  server.registerHandler(RequestCode.GET_KV_CONFIG, (request) => getKvConfig(ns, request));
  server.registerHandler(RequestCode.DELETE_KV_CONFIG, (request) => deleteKvConfig(ns, request));
  server.registerHandler(RequestCode.GET_KVLIST_BY_NAMESPACE, (request) => getKvListByNamespace(ns, request));
}
