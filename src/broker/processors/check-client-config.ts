/** CHECK_CLIENT_CONFIG (46): a consumer asks whether the broker accepts its subscription (reference §2.1). */
import type { Logger } from '../../common/logger.js';
import { compileSql92, isTagType } from '../../filter/message-filter.js';
import { createResponse } from '../../protocol/command.js';
import { parseJson } from '../../protocol/fastjson.js';
import { RequestCode } from '../../protocol/request-code.js';
import { ResponseCode } from '../../protocol/response-code.js';
import type { RequestHandler } from '../../transport/dispatcher.js';
import type { HandlerTable } from '../context.js';

/** The remark Java's broker answers a non-TAG subscription with while enablePropertyFilter is off. */
export function propertyFilterDisabledRemark(expressionType: string): string {
  return `The broker does not support consumer to filter message by ${expressionType}`;
}

/** The subscription of a CheckClientRequestBody `{clientId, group, subscriptionData}`, when there is one. */
function subscriptionOf(body: Buffer | undefined): { expressionType?: string; subString?: string } | undefined {
  if (body === undefined || body.length === 0) return undefined;
  let json: unknown;
  try {
    json = parseJson(body);
  } catch {
    return undefined;
  }
  if (typeof json !== 'object' || json === null) return undefined;
  const sub = (json as Record<string, unknown>).subscriptionData;
  if (typeof sub !== 'object' || sub === null) return undefined;
  const s = sub as Record<string, unknown>;
  return {
    expressionType: typeof s.expressionType === 'string' ? s.expressionType : undefined,
    subString: typeof s.subString === 'string' ? s.subString : undefined,
  };
}

/**
 * CHECK_CLIENT_CONFIG as Java answers it: no subscription or a TAG one → SUCCESS; another type while
 * `enablePropertyFilter()` is false → SYSTEM_ERROR; SQL92 that does not compile → SUBSCRIPTION_PARSE_FAILED (23)
 * with the position of the error; an unknown type → SUBSCRIPTION_PARSE_FAILED.
 */
export function checkClientConfigHandlers(enablePropertyFilter: () => boolean, logger: Logger): HandlerTable {
  const handler: RequestHandler = (request) => {
    const sub = subscriptionOf(request.body);
    if (sub === undefined || isTagType(sub.expressionType)) return createResponse(request, ResponseCode.SUCCESS);
    const type = sub.expressionType as string;
    if (!enablePropertyFilter()) {
      return createResponse(request, ResponseCode.SYSTEM_ERROR, { remark: propertyFilterDisabledRemark(type) });
    }
    if (type !== 'SQL92') {
      return createResponse(request, ResponseCode.SUBSCRIPTION_PARSE_FAILED, {
        remark: `unsupported expression type ${type}`,
      });
    }
    try {
      compileSql92(sub.subString ?? '');
    } catch (err) {
      logger.warn({ err, expression: sub.subString }, 'CHECK_CLIENT_CONFIG: bad SQL92 subscription');
      return createResponse(request, ResponseCode.SUBSCRIPTION_PARSE_FAILED, { remark: (err as Error).message });
    }
    return createResponse(request, ResponseCode.SUCCESS);
  };
  return new Map([[RequestCode.CHECK_CLIENT_CONFIG, handler]]);
}
