import type { Logger } from '../../log.ts';
import { formatBytes } from '../../format.ts';

/** What every step of a run is given: the run it belongs to, the stop signal, its logger and a progress sink. */
export interface StepContext {
  runId: string;
  signal: AbortSignal;
  log: Logger;
  /** Progress of a long step (bytes, rows, files), shown by /status. */
  progress(figures: Record<string, unknown>): void;
}

/**
 * What a finished step tells the run report, the same shape for every step: each step file turns
 * its own result into this (its summary and warning texts live there, not in the orchestrator).
 * A step that throws is "failed" and one the run did not attempt is "skipped": the orchestrator
 * decides those (src/backup/run.ts).
 */
export interface StepResult {
  status: 'ok' | 'warning';
  /** One line for a person, e.g. "dump.sql.gz 12.3 MiB, 63 tables, 1,204,332 rows". */
  summary?: string;
  /** Figures a machine may read (sizes, counts, snapshot ids); documented in the README. */
  details?: Record<string, unknown>;
  warnings: string[];
}

/** A step's result: "warning" as soon as it has something to warn about, "ok" otherwise. */
export function stepResult(parts: { summary?: string; details?: Record<string, unknown>; warnings?: string[] }): StepResult {
  const warnings = parts.warnings ?? [];
  return {
    status: warnings.length > 0 ? 'warning' : 'ok',
    ...(parts.summary === undefined ? {} : { summary: parts.summary }),
    ...(parts.details === undefined ? {} : { details: parts.details }),
    warnings,
  };
}

/** "30/63 tables, 1.2 GiB, 1,204,332 rows, table public.asset" from a step's progress figures. */
export function describeProgress(figures: Record<string, unknown>): string {
  const parts: string[] = [];
  const number = (key: string) => (typeof figures[key] === 'number' ? (figures[key] as number) : undefined);
  const tablesDone = number('tablesDone');
  const tablesTotal = number('tablesTotal');
  if (tablesDone !== undefined) parts.push(`${tablesDone}${tablesTotal === undefined ? '' : `/${tablesTotal}`} tables`);
  for (const key of ['files', 'hashedFiles', 'cachedFiles']) {
    const value = number(key);
    if (value !== undefined) parts.push(`${value.toLocaleString('en-US')} ${key === 'files' ? 'files' : key.replace(/Files$/, ' files')}`);
  }
  for (const key of ['bytes', 'hashedBytes', 'cachedBytes', 'uploadedBytes']) {
    const value = number(key);
    if (value !== undefined) parts.push(`${formatBytes(value)}${key === 'bytes' ? '' : ` ${key.replace(/Bytes$/, '')}`}`);
  }
  const rows = number('rows');
  if (rows !== undefined) parts.push(`${rows.toLocaleString('en-US')} rows`);
  if (typeof figures.table === 'string') parts.push(`table ${figures.table}`);
  if (typeof figures.phase === 'string' && figures.phase !== 'data') parts.push(String(figures.phase));
  return parts.length > 0 ? parts.join(', ') : 'in progress';
}
