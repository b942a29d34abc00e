/**
 * Step "immich": Immich's version (it goes into the manifest and the name of the copy for its web
 * restore) and maintenance mode (no dump is taken during Immich's own restore), asked before the dump.
 */
import type { SidecarConfig } from '../../config.ts';
import { checkImmich, type ImmichCheck } from '../../immich/api.ts';
import { maintenanceModeInDatabase } from '../../immich/maintenance-db.ts';
import { stepResult, type StepContext, type StepResult } from './step.ts';

/** The real step (absent when IMMICH_URL=off). */
export function immichStep(config: SidecarConfig, url: string) {
  return (context: StepContext): Promise<ImmichCheck> =>
    checkImmich({
      url,
      timeoutMs: config.immich.apiTimeoutMs,
      maintenanceWaitMs: config.immich.maintenanceWaitMs,
      signal: context.signal,
      log: context.log,
      maintenanceFromDatabase: () => maintenanceModeInDatabase(config.database.connection, { signal: context.signal, timeoutMs: config.immich.apiTimeoutMs }),
    });
}

export function summarizeImmich(check: ImmichCheck): StepResult {
  const waited = check.waitedMs > 0 ? `, after waiting ${Math.round(check.waitedMs / 1000)} s for maintenance mode to end` : '';
  return stepResult({
    summary: check.maintenance ? 'Immich is in maintenance mode' : `Immich ${check.version === null ? 'version unknown' : `v${check.version}`}${waited}`,
    details: { version: check.version, maintenance: check.maintenance, waitedMs: check.waitedMs },
    warnings: check.warnings,
  });
}

/** Why a run that found Immich still in maintenance mode dumped nothing (the run is "skipped"). */
export function maintenanceSkipReason(check: ImmichCheck): string {
  return check.warnings.at(-1) ?? 'Immich is in maintenance mode';
}
