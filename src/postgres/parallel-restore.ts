import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { cancelRunningQuery, closeClient } from './connection.ts';

/**
 * Runs a plain SQL dump's table data and index/constraint builds on several connections, the way
 * `pg_restore -j` does, while the script is read once, in order, as a stream:
 *
 * - every other statement is a barrier: it runs on the leader's connection once everything started
 *   before it has finished (so pre-data, sequence values, ATTACH, comments... keep the script's order);
 * - a COPY block is cut at row boundaries into pieces of about `pieceBytes`, each loaded in its own
 *   transaction on a worker; pieces of one table load side by side;
 * - CREATE INDEX and ALTER TABLE ... ADD CONSTRAINT (primary key, unique, exclusion, foreign key)
 *   run on workers too; a task waits for every earlier unfinished task that touches one of its
 *   tables (an index after its table's data, a foreign key after the referenced table's primary
 *   key), and two tasks on one table never run at once (no lock waits, no deadlocks between them),
 *   except pieces of its data, and indexes (CREATE INDEX's SHARE locks do not conflict);
 * - in a partition tree (learnt from the ATTACH PARTITION statements the leader ran), a statement
 *   that reaches the whole tree (a foreign key on a partitioned table or pointing at one, or a key or
 *   index on a partitioned table without ONLY) locks and reads every partition: it waits for
 *   everything earlier in the tree (their data, keys, indexes) and nothing later in the tree starts
 *   before it ends. pg_dump's statements on one table of the tree (ON ONLY, ALTER TABLE ONLY) wait
 *   only for the tasks on that table and on its partitions (loading a partition locks its ancestors
 *   too), so the partitions' own keys and data load side by side.
 *
 * The data waiting for a worker is held in memory, at most `bufferBytes` in all: the reader waits
 * when it is full, so memory stays flat whatever the dump's size.
 */
export interface ParallelOptions {
  jobs: number;
  pieceBytes: number;
  bufferBytes: number;
  connect: () => Promise<pg.Client>;
  /** Statements every worker runs once when it connects (e.g. a larger maintenance_work_mem). */
  workerSetup: string[];
  /** A worker could not connect (others did): the restore goes on with `jobs` connections. */
  onFewerJobs?: (jobs: number, error: unknown) => void;
}

export interface TaskFailure {
  error: unknown;
  line: number;
  sql: string;
}

interface Task {
  kind: 'copy' | 'index' | 'ddl';
  tables: string[];
  /** The tables and every partitioned table above them. */
  lineage: string[];
  /** The roots of the partition trees the tables are in (a table outside any tree is its own root). */
  trees: string[];
  /** The statement reaches every partition of its tables' trees. */
  spansTree: boolean;
  line: number;
  sql: string;
  /** COPY data, fed by the reader while the task may already run. */
  channel?: PieceChannel;
}

interface Worker {
  client: pg.Client;
  /** How many of the session settings this connection has run. */
  settingsApplied: number;
}

const maxPendingTasks = 64;

export class ParallelRestore {
  readonly #options: ParallelOptions;
  readonly #pending: Task[] = [];
  readonly #running = new Set<Task>();
  readonly #idle: Worker[] = [];
  readonly #workers: Worker[] = [];
  #connecting = 0;
  /** After close(): a connection still being opened is closed as soon as it is (it would keep the process alive). */
  #closed = false;
  #jobs: number;
  #failure: TaskFailure | undefined;
  #buffered = 0;
  #wakeups: (() => void)[] = [];
  /** SET statements the leader ran, in order: every worker runs them too before its next task. */
  readonly #settings: string[] = [];
  /** Partition -> its partitioned table (table keys), from the statements the leader ran. */
  readonly #partitionParents = new Map<string, string>();
  /** The tables that have partitions (the values of #partitionParents). */
  readonly #partitionedTables = new Set<string>();
  /** Table -> the tables its foreign keys reference, for keys that already exist while the data loads. */
  readonly #liveReferences = new Map<string, Set<string>>();
  copiedRows = 0;
  /** What ran on workers: COPY pieces, index/constraint statements, and the most tasks running at once. */
  readonly stats = { pieces: 0, ddl: 0, mostAtOnce: 0 };

  constructor(options: ParallelOptions) {
    this.#options = options;
    this.#jobs = options.jobs;
  }

  get failure(): TaskFailure | undefined {
    return this.#failure;
  }

  /** A statement the leader ran that changes the session: workers must run it as well. */
  recordSetting(sql: string): void {
    this.#settings.push(sql);
  }

  /** A statement the leader ran: one that makes a table a partition of another joins their trees. */
  notePartition(sql: string): void {
    const text = sql.trim();
    const names = (attachPartition.exec(text) ?? partitionOf.exec(text))?.groups;
    if (names === undefined) return;
    this.#partitionParents.set(tableKey(names['child']!), tableKey(names['parent']!));
    this.#partitionedTables.add(tableKey(names['parent']!));
  }

  /**
   * The foreign keys that exist while the data loads (table keys, as the catalog names them). A
   * pg_dump script adds keys after all the data, but CREATE EXTENSION makes its configuration
   * tables' keys with the tables: the rows a COPY into such a table references must be committed
   * first. So its data waits for the COPYs into the tables it references, and is loaded in one
   * piece (a row may reference one of a later piece of its own table).
   */
  noteForeignKeys(keys: Array<{ table: string; referenced: string }>): void {
    this.#liveReferences.clear();
    for (const { table, referenced } of keys) this.#liveReferences.set(table, (this.#liveReferences.get(table) ?? new Set()).add(referenced));
  }

  /** Whether `a` is a COPY whose rows may reference rows `b` loads. */
  #needsRowsOf(a: Task, b: Task): boolean {
    return a.tables.some((table) => b.tables.some((other) => this.#liveReferences.get(table)?.has(other) ?? false));
  }

  /** Where tasks on `tables` sit in their partition trees: the tables with their ancestors, and the trees' roots. */
  #placeInTrees(tables: string[]): Pick<Task, 'tables' | 'lineage' | 'trees'> {
    const lineage = new Set<string>();
    const trees = new Set<string>();
    for (const table of tables) {
      let current = table;
      lineage.add(current);
      // A bound on the walk: a script attaching in a loop (an error on the server) cannot hang it.
      for (let depth = 0; depth < 1000 && this.#partitionParents.has(current); depth += 1) {
        current = this.#partitionParents.get(current)!;
        lineage.add(current);
      }
      trees.add(current);
    }
    return { tables, lineage: [...lineage], trees: [...trees] };
  }

  /** Whether a key or index statement reaches every partition of its tree (see the class comment). */
  #spansTree(sql: string, tables: string[]): boolean {
    if (foreignKey.test(sql)) return tables.some((table) => this.#partitionParents.has(table) || this.#partitionedTables.has(table));
    return !onlyScoped.test(sql.trim()) && tables.some((table) => this.#partitionedTables.has(table));
  }

  /** Queues a DDL statement that may run on a worker. */
  async submitDdl(sql: string, tables: string[], line: number): Promise<void> {
    const kind = createIndex.test(sql.trim()) ? 'index' : 'ddl';
    // A bounded look-ahead: scheduling stays cheap on a schema with thousands of indexes.
    while (this.#failure === undefined && this.#pending.length >= maxPendingTasks) await this.#wait();
    this.#throwIfFailed();
    this.#pending.push({ kind, ...this.#placeInTrees(tables), spansTree: this.#spansTree(sql, tables), line, sql });
    this.#pump();
  }

  /** Loads one COPY block, in pieces, returning when its last piece is queued (not loaded); `onBatch` after each batch read. */
  async submitCopy(sql: string, table: string, line: number, data: AsyncIterable<Buffer>, onBatch?: () => void): Promise<void> {
    let piece: PieceChannel | undefined;
    let pieceBytes = 0;
    const wholeTable = this.#liveReferences.has(table);
    try {
      for await (const batch of data) {
        let rest = batch;
        while (rest.length > 0) {
          this.#throwIfFailed();
          if (piece === undefined) {
            piece = new PieceChannel(this);
            pieceBytes = 0;
            this.#pending.push({ kind: 'copy', ...this.#placeInTrees([table]), spansTree: false, line, sql, channel: piece });
            this.#pump();
          }
          // A piece ends only at a row's end: at the first newline once it is full (a batch from the
          // script reader is whole rows, or a part of a very long row that has no newline yet).
          const end = wholeTable ? -1 : rest.indexOf(0x0a, Math.max(0, this.#options.pieceBytes - pieceBytes - 1));
          const chunk = end === -1 ? rest : rest.subarray(0, end + 1);
          rest = rest.subarray(chunk.length);
          piece.push(chunk);
          this.#buffered += chunk.length;
          pieceBytes += chunk.length;
          if (end !== -1) {
            piece.close();
            piece = undefined;
          }
          while (this.#buffered > this.#options.bufferBytes && this.#failure === undefined) await this.#wait();
        }
        onBatch?.();
      }
    } catch (error) {
      // The input ended inside the block (or the restore stopped): the worker must not wait for more rows.
      piece?.abort();
      throw error;
    }
    piece?.close();
    this.#throwIfFailed();
  }

  /** Waits until everything queued has finished; throws the first failure. */
  async barrier(): Promise<void> {
    while (this.#failure === undefined && (this.#pending.length > 0 || this.#running.size > 0)) await this.#wait();
    this.#throwIfFailed();
  }

  /**
   * Ends every worker's connection. After a failure, what a worker still runs is cancelled first:
   * a backend building an index does not notice its client left, and would go on holding its locks.
   */
  async close(): Promise<void> {
    this.#closed = true;
    for (const worker of this.#workers) if (!this.#idle.includes(worker)) cancelRunningQuery(worker.client);
    await Promise.all(this.#workers.map((worker) => closeClient(worker.client)));
  }

  /** Called by a piece's reader when a chunk went to the server. */
  consumed(bytes: number): void {
    this.#buffered -= bytes;
    this.#wake();
  }

  #throwIfFailed(): void {
    if (this.#failure !== undefined) throw new ParallelTaskError(this.#failure);
  }

  #wait(): Promise<void> {
    return new Promise((resolve) => this.#wakeups.push(resolve));
  }

  #wake(): void {
    const wakeups = this.#wakeups;
    this.#wakeups = [];
    for (const wakeup of wakeups) wakeup();
  }

  #conflicts(a: Task, b: Task): boolean {
    // Pieces of one table load side by side (unless one needs the other's rows committed, see
    // noteForeignKeys); CREATE INDEX takes a SHARE lock, which another CREATE INDEX on the table
    // does not wait for (Immich's asset table has a dozen indexes).
    if (a.kind === 'copy' && b.kind === 'copy') return this.#needsRowsOf(a, b) || this.#needsRowsOf(b, a);
    if (a.kind === 'index' && b.kind === 'index') return false;
    const overlap = (x: string[], y: string[]) => x.some((table) => y.includes(table));
    // One table, or a partitioned table and a task below it (each one's tables are in its own lineage).
    if (overlap(a.tables, b.lineage) || overlap(b.tables, a.lineage)) return true;
    return (a.spansTree || b.spansTree) && overlap(a.trees, b.trees);
  }

  #pump(): void {
    if (this.#failure !== undefined || this.#closed) return;
    for (let index = 0; index < this.#pending.length; index += 1) {
      const task = this.#pending[index]!;
      const blocked =
        [...this.#running].some((running) => this.#conflicts(task, running)) ||
        this.#pending.slice(0, index).some((earlier) => this.#conflicts(task, earlier));
      if (blocked) continue;
      const worker = this.#idle.pop();
      if (worker === undefined) {
        if (this.#workers.length + this.#connecting < this.#jobs) this.#addWorker();
        return;
      }
      this.#pending.splice(index, 1);
      index -= 1;
      this.#running.add(task);
      if (task.kind === 'copy') this.stats.pieces += 1;
      else this.stats.ddl += 1;
      this.stats.mostAtOnce = Math.max(this.stats.mostAtOnce, this.#running.size);
      void this.#run(worker, task);
    }
    this.#wake();
  }

  #addWorker(): void {
    this.#connecting += 1;
    void (async () => {
      let client: pg.Client;
      try {
        client = await this.#options.connect();
      } catch (error) {
        this.#connecting -= 1;
        if (this.#workers.length === 0) this.#fail({ error, line: 0, sql: '' });
        else {
          // E.g. max_connections reached: go on with the connections there are.
          this.#jobs = this.#workers.length;
          this.#options.onFewerJobs?.(this.#jobs, error);
        }
        this.#pump();
        return;
      }
      this.#connecting -= 1;
      if (this.#closed) {
        await closeClient(client);
        return;
      }
      const worker = { client, settingsApplied: 0 };
      this.#workers.push(worker);
      try {
        for (const sql of this.#options.workerSetup) await client.query(sql);
        this.#idle.push(worker);
      } catch (error) {
        this.#fail({ error, line: 0, sql: '' });
      }
      this.#pump();
    })();
  }

  async #run(worker: Worker, task: Task): Promise<void> {
    try {
      while (worker.settingsApplied < this.#settings.length) {
        await worker.client.query(this.#settings[worker.settingsApplied]!);
        worker.settingsApplied += 1;
      }
      if (task.channel === undefined) {
        await worker.client.query(task.sql);
      } else {
        const stream = worker.client.query(copyFrom(task.sql));
        await pipeline(Readable.from(task.channel.read()), stream);
        this.copiedRows += stream.rowCount ?? 0;
      }
      this.#running.delete(task);
      this.#idle.push(worker);
    } catch (error) {
      this.#running.delete(task);
      this.#fail({ error, line: task.line, sql: task.sql });
    }
    this.#pump();
    this.#wake();
  }

  #fail(failure: TaskFailure): void {
    if (this.#failure === undefined) this.#failure = failure;
    for (const task of [...this.#pending, ...this.#running]) task.channel?.abort();
    this.#pending.length = 0;
    this.#wake();
  }
}

export class ParallelTaskError extends Error {
  readonly failure: TaskFailure;

  constructor(failure: TaskFailure) {
    super('a parallel restore task failed');
    this.failure = failure;
  }
}

/** The rows of one piece, passed from the reader to the worker that loads them. */
class PieceChannel {
  readonly #owner: ParallelRestore;
  readonly #chunks: Buffer[] = [];
  #closed = false;
  #aborted = false;
  #wakeup: (() => void) | undefined;

  constructor(owner: ParallelRestore) {
    this.#owner = owner;
  }

  push(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#notify();
  }

  close(): void {
    this.#closed = true;
    this.#notify();
  }

  abort(): void {
    this.#aborted = true;
    this.#notify();
  }

  #notify(): void {
    const wakeup = this.#wakeup;
    this.#wakeup = undefined;
    wakeup?.();
  }

  async *read(): AsyncGenerator<Buffer> {
    for (;;) {
      if (this.#aborted) throw new Error('the restore stopped');
      const chunk = this.#chunks.shift();
      if (chunk !== undefined) {
        yield chunk;
        this.#owner.consumed(chunk.length);
        continue;
      }
      if (this.#closed) return;
      await new Promise<void>((resolve) => (this.#wakeup = resolve));
    }
  }
}

const identifier = String.raw`(?:"(?:[^"]|"")*"|[A-Za-z_\u0080-\uffff][A-Za-z0-9_$\u0080-\uffff]*)`;
const qualifiedName = String.raw`${identifier}(?:\.${identifier})?`;
const createIndex = new RegExp(String.raw`^CREATE\s+(?:UNIQUE\s+)?INDEX\s+(?:IF\s+NOT\s+EXISTS\s+)?${identifier}\s+ON\s+(?:ONLY\s+)?(${qualifiedName})\s+USING\s`, 'i');
const addConstraint = new RegExp(
  String.raw`^ALTER\s+TABLE\s+(?:ONLY\s+)?(${qualifiedName})\s+ADD\s+CONSTRAINT\s+${identifier}\s+(PRIMARY\s+KEY|UNIQUE|EXCLUDE|FOREIGN\s+KEY)\b`,
  'i',
);
const foreignKey = /\bFOREIGN\s+KEY\b/i;
/** pg_dump's statements that stay on one table of a partition tree: CREATE INDEX ... ON ONLY, ALTER TABLE ONLY. */
const onlyScoped = new RegExp(String.raw`^(?:CREATE\s+(?:UNIQUE\s+)?INDEX\s+(?:IF\s+NOT\s+EXISTS\s+)?${identifier}\s+ON\s+ONLY\s|ALTER\s+TABLE\s+ONLY\s)`, 'i');
/** `ALTER TABLE [ONLY] parent ATTACH PARTITION child` (pg_dump 11+) or `CREATE TABLE child PARTITION OF parent` (older dumps, scripts). */
const attachPartition = new RegExp(
  String.raw`^ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?(?<parent>${qualifiedName})\s+ATTACH\s+PARTITION\s+(?<child>${qualifiedName})`,
  'i',
);
const partitionOf = new RegExp(
  String.raw`^CREATE\s+(?:UNLOGGED\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(?<child>${qualifiedName})\s+PARTITION\s+OF\s+(?<parent>${qualifiedName})`,
  'i',
);
const references = new RegExp(String.raw`\)\s*REFERENCES\s+(${qualifiedName})\s*\(`, 'i');

/**
 * A table's key for the conflict check: its name without the schema, folded the way the server folds
 * it. Two tables of one name in two schemas then count as one: they wait for each other, which is
 * never wrong, while a schema-qualified and an unqualified spelling of one table still match.
 */
function tableKey(name: string): string {
  return identifierName(new RegExp(String.raw`(${identifier})$`).exec(name)?.[1] ?? name);
}

/** The name an identifier as written in SQL stands for: a quoted one unquoted, an unquoted one folded to lower case. */
export function identifierName(written: string): string {
  return written.startsWith('"') ? written.slice(1, -1).replace(/""/g, '"') : written.toLowerCase();
}

/**
 * The tables a post-data statement works on, when it is one that may run on a worker (an index or
 * a key/exclusion constraint); undefined for every other statement (run in order on the leader).
 */
export function parallelDdlTables(sql: string): string[] | undefined {
  const text = sql.trim();
  // One statement only (a semicolon inside, e.g. in a predicate's string, is left to the leader).
  if (text.indexOf(';') !== text.length - 1) return undefined;
  const index = createIndex.exec(text);
  if (index !== null) return [tableKey(index[1]!)];
  const constraint = addConstraint.exec(text);
  if (constraint === null) return undefined;
  if (!/^FOREIGN/i.test(constraint[2]!)) return [tableKey(constraint[1]!)];
  const referenced = references.exec(text);
  return referenced === null ? undefined : [tableKey(constraint[1]!), tableKey(referenced[1]!)];
}

/** `COPY table [(columns)] FROM stdin;` in text format, as pg_dump writes it (the table is captured). */
const plainCopy = new RegExp(String.raw`^\s*COPY\s+(${qualifiedName})\s*(?:\((?:"(?:[^"]|"")*"|[^)"])*\))?\s*FROM\s+stdin\s*;\s*$`, 'i');

/**
 * A COPY statement's table (its key for the conflict check), when its data may be cut into pieces:
 * only the text format, where every newline ends a row (CSV may quote one, binary has none).
 */
export function copyTable(sql: string): string | undefined {
  const name = plainCopy.exec(sql)?.[1];
  return name === undefined ? undefined : tableKey(name);
}

/** Statements the leader runs that change the session's settings, which workers must share. */
export function isSessionSetting(sql: string): boolean {
  return /^\s*(?:SET|RESET)\s/i.test(sql) && !/^\s*SET\s+(?:LOCAL|CONSTRAINTS|TRANSACTION)\b/i.test(sql) || /^\s*SELECT\s+pg_catalog\.set_config\s*\(/i.test(sql);
}

/** Whether the leader is inside a transaction the script opened, after it ran `sql`. */
export function transactionAfter(sql: string, inTransaction: boolean): boolean {
  if (/^\s*(?:BEGIN|START\s+TRANSACTION)\b/i.test(sql)) return true;
  if (/^\s*(?:COMMIT|END|ROLLBACK|ABORT)\b/i.test(sql) && !/^\s*(?:COMMIT|ROLLBACK)\s+PREPARED\b/i.test(sql)) return false;
  return inTransaction;
}
