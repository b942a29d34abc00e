import { createInterface } from 'node:readline';

/**
 * Reads a plain SQL script (pg_dump, pg_dumpall or our own dump) as a stream of items: SQL
 * statements, the data lines of `COPY ... FROM stdin` blocks, and psql meta-commands. It never
 * holds more than one statement (or one data line) in memory, so a dump of any size streams.
 *
 * Statements are split at semicolons outside of quotes, dollar-quoted bodies and comments, the
 * way psql's lexer does it for the subset of SQL that dumps contain.
 */
export type ScriptItem =
  | { kind: 'statement'; sql: string; line: number }
  | { kind: 'copy'; sql: string; line: number; data: AsyncIterable<string> }
  | { kind: 'meta'; command: string; args: string; line: number };

interface LexerState {
  quote: 'none' | 'single' | 'escape-single' | 'double' | 'dollar' | 'block-comment';
  dollarTag: string;
  commentDepth: number;
  /** Inside a SQL-standard `BEGIN ATOMIC ... END` body, whose statements end in semicolons too. */
  atomicDepth: number;
}

const copyFromStdin = /^\s*COPY\s[\s\S]*\sFROM\s+stdin\b[\s\S]*;\s*$/i;

export async function* readScript(input: NodeJS.ReadableStream): AsyncGenerator<ScriptItem> {
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })[Symbol.asyncIterator]();
  let lineNumber = 0;
  const state: LexerState = { quote: 'none', dollarTag: '', commentDepth: 0, atomicDepth: 0 };
  let statement = '';
  let statementLine = 0;

  for (;;) {
    const next = await lines.next();
    if (next.done === true) break;
    lineNumber += 1;
    const line = next.value;

    if (state.quote === 'none' && isOnlyComments(statement) && line.startsWith('\\')) {
      const match = /^\\(\S+)\s*(.*)$/.exec(line);
      yield { kind: 'meta', command: match?.[1] ?? '', args: match?.[2] ?? '', line: lineNumber };
      statement = '';
      continue;
    }

    let rest = line;
    for (;;) {
      if (statement.trim() === '') {
        statement = '';
        statementLine = lineNumber;
      }
      const end = scanToStatementEnd(rest, state);
      if (end === -1) {
        statement += `${rest}\n`;
        break;
      }
      statement += rest.slice(0, end + 1);
      rest = rest.slice(end + 1);
      const sql = statement;
      statement = '';
      if (copyFromStdin.test(withoutLeadingComments(sql, 0).sql)) {
        // The data follows on the next lines, up to a line that is exactly `\.`.
        const startLine = statementLine;
        let finished = false;
        const data = (async function* () {
          for (;;) {
            const dataLine = await lines.next();
            if (dataLine.done === true) throw new ScriptError(`the COPY starting at line ${startLine} has no end marker (\\.): the file is truncated`, startLine);
            lineNumber += 1;
            if (dataLine.value === '\\.') {
              finished = true;
              return;
            }
            yield `${dataLine.value}\n`;
          }
        })();
        yield { kind: 'copy', sql: withoutLeadingComments(sql, startLine).sql, line: withoutLeadingComments(sql, startLine).line, data };
        if (!finished) {
          // The consumer stopped early: skip to the end of the block so the script stays in step.
          for await (const _ of data) void _;
        }
        break;
      }
      if (sql.trim() !== ';') yield { kind: 'statement', ...withoutLeadingComments(sql, statementLine) };
      if (rest.trim() === '' || rest.trim().startsWith('--')) break;
    }
  }
  if (statement.trim() !== '' && !isOnlyComments(statement)) {
    throw new ScriptError(`the script ends inside a statement that starts at line ${statementLine}: the file is truncated`, statementLine);
  }
}

export class ScriptError extends Error {
  readonly line: number;

  constructor(message: string, line: number) {
    super(message);
    this.name = 'ScriptError';
    this.line = line;
  }
}

/** The statement without the comment lines before it, and the line where its SQL really starts. */
function withoutLeadingComments(sql: string, line: number): { sql: string; line: number } {
  const leading = /^(?:[ \t]*(?:--[^\n]*)?\n)*/.exec(sql)?.[0] ?? '';
  return { sql: sql.slice(leading.length), line: line + (leading.match(/\n/g)?.length ?? 0) };
}

function isOnlyComments(text: string): boolean {
  return text.split('\n').every((line) => line.trim() === '' || line.trim().startsWith('--'));
}

/**
 * Advances the lexer over `text` (one line, without its newline) and returns the index of the
 * semicolon that ends the current statement, or -1 when the statement goes on.
 */
function scanToStatementEnd(text: string, state: LexerState): number {
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    switch (state.quote) {
      case 'single':
        if (c === "'") state.quote = 'none';
        i += 1;
        continue;
      case 'escape-single':
        if (c === '\\') i += 2;
        else {
          if (c === "'") state.quote = 'none';
          i += 1;
        }
        continue;
      case 'double':
        if (c === '"') state.quote = 'none';
        i += 1;
        continue;
      case 'dollar':
        if (text.startsWith(state.dollarTag, i)) {
          i += state.dollarTag.length;
          state.quote = 'none';
        } else i += 1;
        continue;
      case 'block-comment':
        if (text.startsWith('*/', i)) {
          state.commentDepth -= 1;
          i += 2;
          if (state.commentDepth === 0) state.quote = 'none';
        } else if (text.startsWith('/*', i)) {
          state.commentDepth += 1;
          i += 2;
        } else i += 1;
        continue;
      case 'none':
        break;
    }
    // A `--` comment runs to the end of the line: nothing after it can end the statement.
    if (c === '-' && text[i + 1] === '-') return -1;
    if (c === '/' && text[i + 1] === '*') {
      state.quote = 'block-comment';
      state.commentDepth = 1;
      i += 2;
      continue;
    }
    if (c === "'") {
      // E'...' strings use backslash escapes; plain ones (standard_conforming_strings) don't.
      const prefix = text[i - 1];
      const isEscapeString = (prefix === 'E' || prefix === 'e') && !/[A-Za-z0-9_]/.test(text[i - 2] ?? ' ');
      state.quote = isEscapeString ? 'escape-single' : 'single';
      i += 1;
      continue;
    }
    if (c === '"') {
      state.quote = 'double';
      i += 1;
      continue;
    }
    if (c === '$') {
      const tag = /^\$([A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/.exec(text.slice(i));
      // `$1` parameters and identifiers with a $ inside are not dollar quotes.
      if (tag !== null && !/[A-Za-z0-9_]/.test(text[i - 1] ?? ' ')) {
        state.quote = 'dollar';
        state.dollarTag = tag[0];
        i += tag[0].length;
        continue;
      }
    }
    if (/[A-Za-z_]/.test(c) && !/[A-Za-z0-9_$]/.test(text[i - 1] ?? ' ')) {
      const word = /^[A-Za-z_][A-Za-z0-9_$]*/.exec(text.slice(i))![0];
      const upper = word.toUpperCase();
      // Like psql: BEGIN ATOMIC opens a body; inside it BEGIN and CASE nest and END closes.
      if (upper === 'BEGIN' && (state.atomicDepth > 0 || /^\s+ATOMIC\b/i.test(text.slice(i + word.length)))) state.atomicDepth += 1;
      else if (upper === 'CASE' && state.atomicDepth > 0) state.atomicDepth += 1;
      else if (upper === 'END' && state.atomicDepth > 0) state.atomicDepth -= 1;
      i += word.length;
      continue;
    }
    if (c === ';' && state.atomicDepth === 0) return i;
    i += 1;
  }
  return -1;
}
