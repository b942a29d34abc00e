import { z } from 'zod';

/**
 * The Kopia server's answers, validated: a server that answers differently (another version, a
 * proxy's HTML page) gives a clear error instead of undefined behaviour further on. Objects are
 * loose: fields we don't read may come and go between Kopia versions.
 */
export const apiErrorSchema = z.looseObject({ code: z.string().optional(), error: z.string().optional() });

export const repoStatusSchema = z.looseObject({
  connected: z.boolean(),
  initTaskID: z.string().optional(),
  storage: z.string().optional(),
  /** Set when the server is a client of another Kopia server (a repository server, e.g. the vault). */
  apiServerURL: z.string().optional(),
  hash: z.string().optional(),
  encryption: z.string().optional(),
  description: z.string().optional(),
  hostname: z.string().optional(),
  username: z.string().optional(),
  readonly: z.boolean().optional(),
});
export type RepoStatus = z.infer<typeof repoStatusSchema>;

export const sourceInfoSchema = z.looseObject({ host: z.string(), userName: z.string(), path: z.string() });
export type SourceInfo = z.infer<typeof sourceInfoSchema>;

export const uploadCountersSchema = z.looseObject({
  hashedBytes: z.number().optional(),
  cachedBytes: z.number().optional(),
  uploadedBytes: z.number().optional(),
  hashedFiles: z.number().optional(),
  cachedFiles: z.number().optional(),
  errors: z.number().optional(),
});

export const snapshotManifestSchema = z.looseObject({ id: z.string(), startTime: z.string().optional() });

export const sourcesResponseSchema = z.looseObject({
  localUsername: z.string(),
  localHost: z.string(),
  sources: z.array(
    z.looseObject({
      source: sourceInfoSchema,
      status: z.string(),
      lastSnapshot: snapshotManifestSchema.nullish(),
      upload: uploadCountersSchema.nullish(),
      currentTask: z.string().optional(),
    }),
  ),
});

export const directorySummarySchema = z.looseObject({
  size: z.number().optional(),
  files: z.number().optional(),
  dirs: z.number().optional(),
  numFailed: z.number().optional(),
  /** Errors the source's policy says to ignore (errorHandling): the files are missing from the snapshot all the same. */
  numIgnoredErrors: z.number().optional(),
  errors: z.array(z.looseObject({ path: z.string().optional(), error: z.string().optional() })).nullish(),
});

export const snapshotSchema = z.looseObject({
  id: z.string(),
  description: z.string().optional().default(''),
  startTime: z.string(),
  endTime: z.string().optional(),
  incomplete: z.string().optional(),
  summary: directorySummarySchema.nullish(),
  rootID: z.string(),
  retention: z.array(z.string()).nullish(),
  pins: z.array(z.string()).nullish(),
});
export type Snapshot = z.infer<typeof snapshotSchema>;

export const snapshotsResponseSchema = z.looseObject({ snapshots: z.array(snapshotSchema).nullable() });

export const counterSchema = z.looseObject({ value: z.number(), units: z.string().optional(), level: z.string().optional() });

export const taskSchema = z.looseObject({
  id: z.string(),
  kind: z.string(),
  description: z.string().optional().default(''),
  status: z.string(),
  startTime: z.string().optional(),
  endTime: z.string().optional(),
  errorMessage: z.string().optional(),
  counters: z.record(z.string(), counterSchema).nullish(),
});
export type Task = z.infer<typeof taskSchema>;

export const taskLogsSchema = z.looseObject({
  logs: z.array(z.looseObject({ level: z.number().optional(), msg: z.string().optional() })).nullable(),
});

export const tasksResponseSchema = z.looseObject({ tasks: z.array(taskSchema).nullable() });

export const retentionPolicySchema = z.looseObject({
  keepLatest: z.number().int().optional(),
  keepHourly: z.number().int().optional(),
  keepDaily: z.number().int().optional(),
  keepWeekly: z.number().int().optional(),
  keepMonthly: z.number().int().optional(),
  keepAnnual: z.number().int().optional(),
});
export type RetentionPolicy = z.infer<typeof retentionPolicySchema>;

export const policySchema = z.looseObject({
  retention: retentionPolicySchema.optional(),
  compression: z.looseObject({ compressorName: z.string().optional() }).optional(),
});
export type Policy = z.infer<typeof policySchema>;

export const dirEntrySchema = z.looseObject({
  name: z.string(),
  type: z.string(),
  size: z.number().optional(),
  obj: z.string(),
  /** Owner in the snapshot; Kopia leaves out a 0 (root). */
  uid: z.number().optional(),
  gid: z.number().optional(),
});
export type DirEntry = z.infer<typeof dirEntrySchema>;

export const directorySchema = z.looseObject({
  stream: z.literal('kopia:directory'),
  entries: z.array(dirEntrySchema).nullable(),
});

export const emptySchema = z.looseObject({});
