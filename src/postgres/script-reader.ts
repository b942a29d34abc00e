/**
 * Reads a plain SQL script (pg_dump, pg_dumpall or our own dump) as a stream of items: SQL
 * statements, the data of `COPY ... FROM stdin` blocks, and psql meta-commands. It never holds
 * more than one statement (or one batch of COPY data) in memory, so a dump of any size streams.
 *
 * Statements are split at semicolons outside of quotes, dollar-quoted bodies and comments, the
 * way psql's lexer does it for the subset of SQL that dumps contain. Lines are split on `\n`
 * only, on bytes: a carriage return inside a function body or a string stays as it was.
 */
export type ScriptItem =
  | { kind: 'statement'; sql: string; line: number }
  | { kind: 'copy'; sql: string; line: number; data: AsyncIterable<Buffer> }
  | { kind: 'meta'; command: string; args: string; line: number };

interface LexerState {
  quote: 'none' | 'single' | 'escape-single' | 'double' | 'dollar' | 'block-comment';
  dollarTag: string;
  commentDepth: number;
  /** Inside a SQL-standard `BEGIN ATOMIC ... END` body, whose statements end in semicolons too. */
  atomicDepth: number;
  /** Inside parentheses, where a semicolon does not end the statement (a rule's `DO (...; ...)`), as in psql. */
  parenDepth: number;
}

const copyFromStdin = /^\s*COPY\s[\s\S]*\sFROM\s+stdin\b[\s\S]*;\s*$/i;
/** COPY data goes to the server in batches of about this size (many rows per CopyData message). */
const copyBatchBytes = 256 * 1024;
const newline = 0x0a;

/**
 * Lines of a byte stream, and the raw data of COPY blocks. Works on Buffers so that a COPY block
 * is passed on byte for byte (never decoded and re-encoded) and a 10 MB row is not one string.
 */
export class LineSource {
  readonly #chunks: AsyncIterator<Buffer | string>;
  #buffer: Buffer = Buffer.alloc(0);
  #position = 0;
  #ended = false;
  /** Inside a long COPY data line whose start was already passed on (it cannot be the end marker). */
  #inLongLine = false;
  /** The end marker was consumed while returning the data before it. */
  #copyEnded = false;
  /** Number of the last line read (1-based). */
  lineNumber = 0;

  constructor(input: AsyncIterable<Buffer | string>) {
    this.#chunks = input[Symbol.asyncIterator]();
  }

  async #nextChunk(): Promise<boolean> {
    if (this.#ended) return false;
    for (;;) {
      const next = await this.#chunks.next();
      if (next.done === true) {
        this.#ended = true;
        return false;
      }
      const chunk = typeof next.value === 'string' ? Buffer.from(next.value, 'utf8') : next.value;
      if (chunk.length === 0) continue;
      this.#buffer = chunk;
      this.#position = 0;
      return true;
    }
  }

  /** The next line without its `\n`, or null at the end of the input. */
  async nextLine(): Promise<string | null> {
    const parts: Buffer[] = [];
    for (;;) {
      const end = this.#buffer.indexOf(newline, this.#position);
      if (end !== -1) {
        parts.push(this.#buffer.subarray(this.#position, end));
        this.#position = end + 1;
        this.lineNumber += 1;
        return Buffer.concat(parts).toString('utf8');
      }
      if (this.#position < this.#buffer.length) parts.push(this.#buffer.subarray(this.#position));
      this.#position = this.#buffer.length;
      if (!(await this.#nextChunk())) {
        if (parts.length === 0) return null;
        this.lineNumber += 1;
        return Buffer.concat(parts).toString('utf8');
      }
    }
  }

  /**
   * The next batch of COPY data (whole lines, or a piece of a very long line), or null once the
   * `\.` line that ends the block has been read. Throws at the end of the input.
   */
  async nextCopyData(): Promise<Buffer | null> {
    if (this.#copyEnded) {
      this.#copyEnded = false;
      return null;
    }
    for (;;) {
      if (this.#position >= this.#buffer.length && !(await this.#nextChunk())) throw new TruncatedCopyError();
      const buffer = this.#buffer;
      const start = this.#position;
      let position = start;
      if (this.#inLongLine) {
        const end = buffer.indexOf(newline, position);
        if (end === -1) {
          this.#position = buffer.length;
          return buffer.subarray(start);
        }
        this.lineNumber += 1;
        this.#inLongLine = false;
        position = end + 1;
      }
      while (position - start < copyBatchBytes) {
        const end = buffer.indexOf(newline, position);
        if (end === -1) break;
        this.lineNumber += 1;
        if (isEndMarker(buffer, position, end)) {
          this.#position = end + 1;
          if (position === start) return null;
          this.#copyEnded = true;
          return buffer.subarray(start, position);
        }
        position = end + 1;
      }
      if (position > start) {
        this.#position = position;
        return buffer.subarray(start, position);
      }
      // Only the beginning of a line is here. Longer than `\.\r`, it is data: pass it on now.
      if (buffer.length - position > 3) {
        this.#inLongLine = true;
        this.#position = buffer.length;
        return buffer.subarray(position);
      }
      const rest = buffer.subarray(position);
      if (!(await this.#nextChunk())) {
        // The last line has no newline: only an end marker may stand there.
        if (isEndMarker(rest, 0, rest.length)) {
          this.lineNumber += 1;
          this.#position = 0;
          this.#buffer = Buffer.alloc(0);
          return null;
        }
        throw new TruncatedCopyError();
      }
      this.#buffer = Buffer.concat([rest, this.#buffer]);
    }
  }
}

/** `\.` alone on its line (psql accepts `\.\r\n` too). */
function isEndMarker(buffer: Buffer, start: number, end: number): boolean {
  const length = end - start;
  if (length !== 2 && length !== 3) return false;
  return buffer[start] === 0x5c && buffer[start + 1] === 0x2e && (length === 2 || buffer[start + 2] === 0x0d);
}

class TruncatedCopyError extends Error {}

export async function* readScript(input: AsyncIterable<Buffer | string>): AsyncGenerator<ScriptItem> {
  const source = new LineSource(input);
  const state: LexerState = { quote: 'none', dollarTag: '', commentDepth: 0, atomicDepth: 0, parenDepth: 0 };
  let statement = '';
  let statementLine = 0;

  for (;;) {
    const line = await source.nextLine();
    if (line === null) break;
    const lineNumber = source.lineNumber;

    if (state.quote === 'none' && isOnlyComments(statement) && line.startsWith('\\')) {
      const match = /^\\(\S+)\s*(.*?)\s*$/.exec(line);
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
      const { sql: copySql, line: copyLine } = withoutLeadingComments(sql, statementLine);
      if (copyFromStdin.test(copySql)) {
        // The data follows on the next lines, up to a line that is exactly `\.`.
        let finished = false;
        const data = (async function* () {
          for (;;) {
            let batch: Buffer | null;
            try {
              batch = await source.nextCopyData();
            } catch (error) {
              if (error instanceof TruncatedCopyError) {
                throw new ScriptError(`the COPY starting at line ${copyLine} has no end marker (\\.): the file is truncated`, copyLine);
              }
              throw error;
            }
            if (batch === null) {
              finished = true;
              return;
            }
            yield batch;
          }
        })();
        yield { kind: 'copy', sql: copySql, line: copyLine, data };
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

// Sticky patterns (matched at lastIndex), so that a long line is not copied once per token.
const dollarTagPattern = /\$([A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/y;
const wordPattern = /[A-Za-z_][A-Za-z0-9_$]*/y;
const atomicPattern = /\s+ATOMIC\b/iy;

function isAtomicAt(text: string, index: number): boolean {
  atomicPattern.lastIndex = index;
  return atomicPattern.test(text);
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
      dollarTagPattern.lastIndex = i;
      const tag = dollarTagPattern.exec(text);
      // `$1` parameters and identifiers with a $ inside are not dollar quotes.
      if (tag !== null && !/[A-Za-z0-9_]/.test(text[i - 1] ?? ' ')) {
        state.quote = 'dollar';
        state.dollarTag = tag[0];
        i += tag[0].length;
        continue;
      }
    }
    if (/[A-Za-z_]/.test(c) && !/[A-Za-z0-9_$]/.test(text[i - 1] ?? ' ')) {
      wordPattern.lastIndex = i;
      const word = wordPattern.exec(text)![0];
      const upper = word.toUpperCase();
      // Like psql: BEGIN ATOMIC opens a body; inside it BEGIN and CASE nest and END closes.
      if (upper === 'BEGIN' && (state.atomicDepth > 0 || isAtomicAt(text, i + word.length))) state.atomicDepth += 1;
      else if (upper === 'CASE' && state.atomicDepth > 0) state.atomicDepth += 1;
      else if (upper === 'END' && state.atomicDepth > 0) state.atomicDepth -= 1;
      i += word.length;
      continue;
    }
    if (c === '(') state.parenDepth += 1;
    else if (c === ')') state.parenDepth = Math.max(0, state.parenDepth - 1);
    else if (c === ';' && state.atomicDepth === 0 && state.parenDepth === 0) return i;
    i += 1;
  }
  return -1;
}
