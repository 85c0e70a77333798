import { RocketMQError } from '../../common/errors.js';

/** Kinds of token the SQL92 filter grammar knows. Keywords carry their upper-case spelling as kind. */
export type TokenKind =
  | 'ID'
  | 'INTEGER'
  | 'FLOAT'
  | 'STRING'
  | 'NOT'
  | 'AND'
  | 'OR'
  | 'BETWEEN'
  | 'IN'
  | 'TRUE'
  | 'FALSE'
  | 'NULL'
  | 'IS'
  | 'CONTAINS'
  | 'STARTSWITH'
  | 'ENDSWITH'
  | '='
  | '<>'
  | '>'
  | '>='
  | '<'
  | '<='
  | '('
  | ')'
  | ','
  | '+'
  | '-'
  | 'EOF';

/** Where a token starts: 0-based offset, 1-based line and column. */
export interface SourcePosition {
  offset: number;
  line: number;
  column: number;
}

/** One token: its kind, the source text it spans, and for STRING the decoded value. */
export interface Token {
  kind: TokenKind;
  text: string;
  /** STRING: the literal's value with '' decoded to '. */
  value?: string;
  pos: SourcePosition;
}

/** Reserved words (case-insensitive), as in RocketMQ's SelectorParser. LIKE and ESCAPE are contextual, not here. */
const KEYWORDS: ReadonlySet<string> = new Set([
  'NOT',
  'AND',
  'OR',
  'BETWEEN',
  'IN',
  'TRUE',
  'FALSE',
  'NULL',
  'IS',
  'CONTAINS',
  'STARTSWITH',
  'ENDSWITH',
]);

/** Longest operators first so `<>` and `<=` win over `<`. */
const OPERATORS: readonly TokenKind[] = ['<>', '>=', '<=', '=', '>', '<', '(', ')', ',', '+', '-'];

const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';
const isIdStart = (c: string | undefined) =>
  c !== undefined && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_' || c === '$');
const isIdPart = (c: string | undefined) => isIdStart(c) || isDigit(c);
const isSpace = (c: string | undefined) => c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f';

/** Describes a position for error messages: `line 1, column 7 (offset 6)`. */
export function describePosition(pos: SourcePosition): string {
  return `line ${pos.line}, column ${pos.column} (offset ${pos.offset})`;
}

/** The typed error every bad expression raises: SUBSCRIPTION_PARSE_FAILED (response code 23), with the position. */
export function syntaxError(pos: SourcePosition, message: string): RocketMQError {
  return new RocketMQError(
    'SUBSCRIPTION_PARSE_FAILED',
    `Invalid SQL92 expression at ${describePosition(pos)}: ${message}`,
  );
}

/**
 * Splits an expression into tokens (ending with EOF). Whitespace, `-- line` and `/* block *\/` comments are
 * skipped. Throws SUBSCRIPTION_PARSE_FAILED for a character no token starts with or an unterminated literal/comment.
 */
export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const here = (offset: number): SourcePosition => ({ offset, line, column: offset - lineStart + 1 });
  /** Advances to `end`, keeping line/column right across newlines inside the skipped text. */
  const advance = (end: number) => {
    for (; i < end; i++) {
      const c = source[i];
      if (c === '\n' || (c === '\r' && source[i + 1] !== '\n')) {
        line++;
        lineStart = i + 1;
      }
    }
  };

  while (i < source.length) {
    const c = source.charAt(i);
    if (isSpace(c)) {
      advance(i + 1);
      continue;
    }
    const start = here(i);
    if (c === '-' && source[i + 1] === '-') {
      const nl = source.slice(i).search(/[\r\n]/);
      advance(nl < 0 ? source.length : i + nl);
      continue;
    }
    if (c === '/' && source[i + 1] === '*') {
      const close = source.indexOf('*/', i + 2);
      if (close < 0) throw syntaxError(start, 'unterminated /* comment');
      advance(close + 2);
      continue;
    }
    if (c === "'") {
      let value = '';
      let j = i + 1;
      for (;;) {
        if (j >= source.length) throw syntaxError(start, 'unterminated string literal, expected a closing quote');
        if (source[j] === "'") {
          if (source[j + 1] === "'") {
            value += "'";
            j += 2;
            continue;
          }
          break;
        }
        value += source[j];
        j++;
      }
      tokens.push({ kind: 'STRING', text: source.slice(i, j + 1), value, pos: start });
      advance(j + 1);
      continue;
    }
    if (isDigit(c) || (c === '.' && isDigit(source[i + 1]))) {
      const end = scanNumber(source, i);
      const text = source.slice(i, end.end);
      tokens.push({ kind: end.float ? 'FLOAT' : 'INTEGER', text, pos: start });
      advance(end.end);
      continue;
    }
    if (isIdStart(c)) {
      let j = i + 1;
      while (j < source.length && isIdPart(source[j])) j++;
      const text = source.slice(i, j);
      const upper = text.toUpperCase();
      tokens.push({ kind: KEYWORDS.has(upper) ? (upper as TokenKind) : 'ID', text, pos: start });
      advance(j);
      continue;
    }
    const op = OPERATORS.find((o) => source.startsWith(o, i));
    if (op === undefined) throw syntaxError(start, `unexpected character ${JSON.stringify(c)}`);
    tokens.push({ kind: op, text: op, pos: start });
    advance(i + op.length);
  }
  tokens.push({ kind: 'EOF', text: '', pos: here(i) });
  return tokens;
}

/**
 * Scans a numeric literal with RocketMQ's token rules: an integer is `0` or a non-zero digit followed by digits,
 * optionally suffixed `l`/`L`; a float is digits `.` digits? exponent?, `.` digits exponent?, or digits exponent.
 */
function scanNumber(s: string, start: number): { end: number; float: boolean } {
  let j = start;
  while (j < s.length && isDigit(s[j])) j++;
  const intDigits = j - start;
  let float = false;
  if (s[j] === '.') {
    float = true;
    j++;
    while (j < s.length && isDigit(s[j])) j++;
  }
  if (s[j] === 'e' || s[j] === 'E') {
    let k = j + 1;
    if (s[k] === '+' || s[k] === '-') k++;
    if (isDigit(s[k])) {
      while (k < s.length && isDigit(s[k])) k++;
      return { end: k, float: true };
    }
  }
  if (float) return { end: j, float };
  // An integer literal: "0" stands alone (so "007" is three tokens, as in Java); others may carry an L suffix.
  if (s[start] === '0') return { end: start + 1, float: false };
  if (s[start + intDigits] === 'l' || s[start + intDigits] === 'L') return { end: start + intDigits + 1, float: false };
  return { end: start + intDigits, float: false };
}
