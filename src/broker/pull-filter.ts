import { createMessageFilter, isTagType } from '../filter/message-filter.js';
import { ResponseCode } from '../protocol/response-code.js';
import type { MessageFilter } from '../store/message-store.js';
import type { SubscriptionData } from './context.js';
import { propertyFilterDisabledRemark } from './processors/check-client-config.js';

/** The store filter of a pull, or the answer (response code and remark) when there is none. */
export type PullFilterResult = { filter: MessageFilter } | { code: number; remark: string };

/**
 * The filter of a non-TAG (SQL92) pull subscription, with Java's PullMessageProcessor answers: an expression carried
 * by the pull that does not compile → SUBSCRIPTION_PARSE_FAILED (23) with the position of the error; a registered
 * (heartbeat) one that does not compile → FILTER_DATA_NOT_EXIST (27); and while `enablePropertyFilter` is off →
 * SYSTEM_ERROR "The broker does not support consumer to filter message by SQL92".
 */
export function propertyPullFilter(
  sub: SubscriptionData,
  fromRequest: boolean,
  enablePropertyFilter: boolean,
): PullFilterResult {
  let filter: MessageFilter;
  try {
    filter = createMessageFilter(sub);
  } catch (err) {
    return fromRequest
      ? {
          code: ResponseCode.SUBSCRIPTION_PARSE_FAILED,
          remark: `parse the consumer's subscription failed: ${(err as Error).message}`,
        }
      : {
          code: ResponseCode.FILTER_DATA_NOT_EXIST,
          remark: "The broker's consumer filter data is not exist!Your expression may be wrong!",
        };
  }
  if (!enablePropertyFilter && !isTagType(sub.expressionType)) {
    return { code: ResponseCode.SYSTEM_ERROR, remark: propertyFilterDisabledRemark(sub.expressionType) };
  }
  return { filter };
}

/** A SubscriptionData for a non-TAG expression carried by a pull request (the text is kept as it is). */
export function expressionSubscription(
  topic: string,
  expressionType: string,
  subString: string | undefined,
  subVersion: number,
): SubscriptionData {
  return { topic, subString: subString ?? '', expressionType, tagsSet: [], codeSet: [], subVersion };
}
