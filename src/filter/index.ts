export {
  type CompiledSql92,
  clearSql92Cache,
  compileSql92,
  createMessageFilter,
  ExpressionType,
  type FilterSubscription,
  isTagType,
  recordProperties,
} from './message-filter.js';
export type { ComparisonOp, Expr, SqlNumber, SqlValue, StringMatchOp } from './sql92/ast.js';
export { evaluate, matches, type PropertySource } from './sql92/evaluator.js';
export { describePosition, type SourcePosition, type Token, type TokenKind, tokenize } from './sql92/lexer.js';
export { MAX_EXPRESSION_DEPTH, parseSql92 } from './sql92/parser.js';
export { FilterEvaluationError } from './sql92/values.js';
