import { parseProperties, resolveConfig } from '../common/config.js';
import { createResponse, type RemotingCommand } from '../protocol/command.js';
import { RequestCode } from '../protocol/request-code.js';
import { ResponseCode } from '../protocol/response-code.js';
import type { RemotingServer } from '../transport/server.js';
import type { NamesrvContext } from './context.js';
import { formatNamesrvConfig, namesrvConfigSchema } from './namesrv-config.js';

/** GET_NAMESRV_CONFIG: the effective configuration as properties text. */
export function getNamesrvConfig(ns: NamesrvContext, request: RemotingCommand): RemotingCommand {
  return createResponse(request, ResponseCode.SUCCESS, {
    body: Buffer.from(formatNamesrvConfig(ns.config), 'utf8'),
  });
}

/**
 * UPDATE_NAMESRV_CONFIG: properties text in the body. Keys of `configBlackList` are refused (NO_PERMISSION), a bad
 * value fails naming the key, unknown keys are ignored. Changes are kept in memory; keys in RESTART_REQUIRED_KEYS
 * apply on the next start.
 */
export function updateNamesrvConfig(ns: NamesrvContext, request: RemotingCommand): RemotingCommand {
  if (!request.body || request.body.length === 0) return createResponse(request, ResponseCode.SUCCESS);
  const input = parseProperties(request.body.toString('utf8'));
  const blackList = new Set(ns.config.configBlackList.split(';').map((k) => k.trim()));
  for (const key of input.keys()) {
    if (blackList.has(key)) {
      return createResponse(request, ResponseCode.NO_PERMISSION, { remark: 'Can not update config in black list.' });
    }
  }
  const unknown: string[] = [];
  // Throws CONFIG_INVALID naming the key: answered SYSTEM_ERROR with that message.
  const next = resolveConfig(
    namesrvConfigSchema,
    { ...ns.config, ...Object.fromEntries(input) },
    {
      onUnknownKey: (key) => unknown.push(key),
    },
  );
  const changed = (Object.keys(namesrvConfigSchema) as (keyof typeof next)[]).filter((k) => next[k] !== ns.config[k]);
  Object.assign(ns.config, next);
  if (unknown.length > 0) ns.logger.warn({ keys: unknown }, 'UPDATE_NAMESRV_CONFIG: unknown keys ignored');
  if (changed.length > 0) {
    ns.logger.info({ keys: changed }, 'namesrv config updated');
    ns.onConfigChanged(changed);
  }
  return createResponse(request, ResponseCode.SUCCESS);
}

/** Registers the configuration handlers. */
export function registerConfigHandlers(server: RemotingServer, ns: NamesrvContext): void {
  server.registerHandler(RequestCode.GET_NAMESRV_CONFIG, (request) => getNamesrvConfig(ns, request));
  server.registerHandler(RequestCode.UPDATE_NAMESRV_CONFIG, (request) => updateNamesrvConfig(ns, request));
}
