import type { RunReport } from '../../src/report.ts';

export function successfulRun(): RunReport {
  return {
    runId: 'immich-20261124_020000',
    status: 'success',
    exitCode: 0,
    trigger: 'schedule',
    startedAt: '2026-11-24T02:00:00.000Z',
    finishedAt: '2026-11-24T02:03:12.000Z',
    durationMs: 192_000,
    folder: '/backups/immich-20261124_020000',
    failedStep: null,
    error: null,
    steps: [
      { name: 'dump', status: 'ok', startedAt: '2026-11-24T02:00:00.000Z', durationMs: 61_000, summary: 'dump.sql.gz 12.0 MiB' },
    ],
    warnings: [],
    dump: {
      file: 'dump.sql.gz',
      size: 12_582_912,
      sha256: 'a'.repeat(64),
      uncompressedBytes: 80_000_000,
      serverVersion: '14.23',
      database: 'immich',
      tables: 63,
      rows: 1_204_332,
    },
    snapshots: {
      backups: { id: 'k1b2c3', source: 'root@kopia:/backups', totalSize: 52_000_000, fileCount: 12 },
      library: { id: 'kd4e5f6', source: 'root@kopia:/library', totalSize: 912_000_000_000, fileCount: 210_000 },
    },
    repository: {
      id: '0123456789abcdef',
      storage: 'server',
      apiServerURL: 'https://vault.example.net:51515',
      description: 'Kopia repository server https://vault.example.net:51515 as immich@immich-kopia',
      offsite: true,
    },
    offsite: true,
  };
}

export function kopiaFailedRun(): RunReport {
  return {
    ...successfulRun(),
    status: 'failed',
    exitCode: 2,
    failedStep: 'kopia-backups',
    error: 'Kopia server unreachable at http://kopia:51515 (ECONNREFUSED)',
    snapshots: {},
    repository: null,
    offsite: false,
  };
}
