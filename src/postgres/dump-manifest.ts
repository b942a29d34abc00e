import { z } from 'zod';

/**
 * The parts of a run's `manifest.json` that describe the dump itself: what the dump writes and
 * what a restore checks. They live with the dump so that src/postgres/ never depends on the
 * backup orchestration; src/backup/manifest.ts builds the whole manifest from them.
 */
export const manifestFileName = 'manifest.json';
export const dumpFileName = 'dump.sql.gz';

export const tableSummarySchema = z.object({
  schema: z.string(),
  name: z.string(),
  rows: z.number().int().nonnegative(),
  /** Bytes of COPY text for this table (before compression). */
  bytes: z.number().int().nonnegative(),
  /**
   * sha256 (hex) of the table's COPY text exactly as the server sent it: the lines between
   * `COPY … FROM stdin;` and `\.`. For a table copied in pieces (see pieceBytes), the sha256 of
   * the pieces' sha256 digests in order (src/postgres/table-hash.ts).
   */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** Bytes of COPY text in each piece, for a big table copied in page-range pieces on several connections. */
  pieceBytes: z.array(z.number().int().nonnegative()).optional(),
  /**
   * A partition whose rows the script loads through the root of its tree (hash partitioning on an
   * enum): a restore puts them into other partitions, so verify compares the rows of all of that
   * root's such partitions together, and sha256 is a digest of the rows as a set (table-hash.ts).
   */
  loadedViaRoot: z.object({ schema: z.string(), name: z.string() }).optional(),
});

export const objectRefSchema = z.object({ kind: z.string(), schema: z.string().nullable(), name: z.string() });

export const fileEntrySchema = z.object({ path: z.string(), size: z.number().int().nonnegative(), sha256: z.string().regex(/^[0-9a-f]{64}$/) });

/** What a restore reads from the manifest beside a dump: the checksums of the folder's files. */
export const dumpFilesSchema = z.object({ files: z.array(fileEntrySchema) });

export type TableSummary = z.infer<typeof tableSummarySchema>;
export type ObjectRef = z.infer<typeof objectRefSchema>;
