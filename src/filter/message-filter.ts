import { RocketMQError } from '../common/errors.js';
import { decodeProperties } from '../protocol/message/properties.js';
import { decodeRecord } from '../protocol/message/record.js';
import type { MessageFilter } from '../store/message-store.js';
import type { Expr } from './sql92/ast.js';
import { matches, type PropertySource } from './sql92/evaluator.js';
import { parseSql92 } from './sql92/parser.js';

/** Subscription expression types (Java's ExpressionType). Blank or absent means TAG. */
export const ExpressionType = { TAG: 'TAG', SQL92: 'SQL92' } as const;

/** The subscription fields a filter is built from (a subset of SubscriptionData, reference §4.2). */
export interface FilterSubscription {
  expressionType?: string;
  subString?: string;
  codeSet?: readonly number[];
  tagsSet?: readonly string[];
  classFilterMode?: boolean;
}

/** A compiled SQL92 expression: test a message's properties against it. */
export interface CompiledSql92 {
  readonly expression: string;
  readonly ast: Expr;
  /** True when the properties satisfy the expression (unknown and failed comparisons are false). */
  matches(props: PropertySource): boolean;
}

/** Whether an expression type means tag filtering (null, blank or TAG, as Java's ExpressionType.isTagType). */
export function isTagType(expressionType: string | undefined | null): boolean {
  return expressionType === undefined || expressionType === null || expressionType === '' || expressionType === 'TAG';
}

const SUB_ALL = '*';
const CACHE_LIMIT = 1000;
const compileCache = new Map<string, CompiledSql92 | RocketMQError>();

/**
 * Compiles a SQL92 expression, caching by its text (failures too, like Java's parse cache), so heartbeats and
 * pulls repeating the same subscription parse it once. Throws RocketMQError SUBSCRIPTION_PARSE_FAILED with the
 * position of the error.
 */
export function compileSql92(expression: string): CompiledSql92 {
  let entry = compileCache.get(expression);
  if (entry === undefined) {
    try {
      const ast = parseSql92(expression);
      entry = { expression, ast, matches: (props) => matches(ast, props) };
    } catch (err) {
      if (!(err instanceof RocketMQError)) throw err;
      entry = err;
    }
    if (compileCache.size >= CACHE_LIMIT) {
      const oldest = compileCache.keys().next().value;
      if (oldest !== undefined) compileCache.delete(oldest);
    }
    compileCache.set(expression, entry);
  }
  if (entry instanceof RocketMQError) {
    throw new RocketMQError(entry.code, entry.message);
  }
  return entry;
}

/** Empties the compile cache (tests). */
export function clearSql92Cache(): void {
  compileCache.clear();
}

/** The properties of a stored record (reference §5.4), or undefined when the record cannot be decoded. */
export function recordProperties(record: Buffer): Record<string, string> | undefined {
  try {
    return decodeProperties(decodeRecord(record, 0, { readBody: false }).properties);
  } catch {
    return undefined;
  }
}

/**
 * The store filter of a subscription. TAG: the ConsumeQueue tags code must be in `codeSet` (`*`, blank or class
 * filter mode pass everything). SQL92: the ConsumeQueue check passes and the CommitLog check evaluates the
 * expression over the record's properties (TAGS included), so non-matching messages never leave the broker.
 * Throws SUBSCRIPTION_PARSE_FAILED for a bad SQL92 expression or an unknown expression type.
 */
export function createMessageFilter(sub: FilterSubscription): MessageFilter {
  if (isTagType(sub.expressionType)) {
    const expr = sub.subString?.trim() ?? '';
    if (expr === '' || expr === SUB_ALL || sub.classFilterMode) return { isMatchedByConsumeQueue: () => true };
    const codes = new Set(sub.codeSet ?? []);
    return { isMatchedByConsumeQueue: (tagsCode) => codes.has(tagsCode) };
  }
  if (sub.expressionType !== ExpressionType.SQL92) {
    throw new RocketMQError('SUBSCRIPTION_PARSE_FAILED', `unsupported expression type ${sub.expressionType}`);
  }
  const compiled = compileSql92(sub.subString ?? '');
  return {
    isMatchedByConsumeQueue: () => true,
    isMatchedByCommitLog: (record) => {
      const props = recordProperties(record);
      return props !== undefined && compiled.matches(props);
    },
  };
}
