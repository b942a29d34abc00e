import { hostname } from 'node:os';
import type { SidecarConfig } from '../config.ts';
import type { Logger } from '../log.ts';
import type { RunReport } from '../report.ts';
import { deliver, type DeliveryResult } from './deliver.ts';
import { discordNotifier } from './discord.ts';
import { gotifyNotifier } from './gotify.ts';
import { healthchecksNotifier } from './healthchecks.ts';
import type { NotificationEvent, NotificationSubject, Notifier } from './notifier.ts';
import { ntfyNotifier } from './ntfy.ts';
import { slackNotifier } from './slack.ts';
import { webhookNotifier } from './webhook.ts';
import { toolVersion } from '../version.ts';

export type { Notifier, NotificationEvent, NotificationSubject } from './notifier.ts';

export function notifiersFromConfig(notify: SidecarConfig['notify']): Notifier[] {
  const notifiers: Notifier[] = [];
  if (notify.webhookUrl !== undefined) notifiers.push(webhookNotifier(notify.webhookUrl));
  if (notify.ntfyUrl !== undefined) notifiers.push(ntfyNotifier(notify.ntfyUrl, notify.ntfyToken));
  if (notify.discordUrl !== undefined) notifiers.push(discordNotifier(notify.discordUrl));
  if (notify.slackUrl !== undefined) notifiers.push(slackNotifier(notify.slackUrl));
  if (notify.gotifyUrl !== undefined && notify.gotifyToken !== undefined) notifiers.push(gotifyNotifier(notify.gotifyUrl, notify.gotifyToken));
  if (notify.healthchecksUrl !== undefined) notifiers.push(healthchecksNotifier(notify.healthchecksUrl));
  return notifiers;
}

/**
 * The restore test's targets: the same chat and webhook targets, but never the backup's
 * HEALTHCHECKS_URL (a passed restore test is not a backup) — VERIFY_HEALTHCHECKS_URL instead.
 */
export function verifyNotifiersFromConfig(notify: SidecarConfig['notify']): Notifier[] {
  const notifiers = notifiersFromConfig({ ...notify, healthchecksUrl: undefined });
  if (notify.verifyHealthchecksUrl !== undefined) notifiers.push(healthchecksNotifier(notify.verifyHealthchecksUrl));
  return notifiers;
}

export interface NotifyOptions {
  notifiers: Notifier[];
  onStart: boolean;
  onSuccess: boolean;
  timeoutMs: number;
  retries: number;
  backoffMs?: number;
  log: Logger;
  subject?: NotificationSubject;
  /**
   * The program is stopping (SIGTERM): each notifier gets one attempt of at most 5 s, so that the
   * failure still goes out within `docker stop`'s 10 s grace, before the SIGKILL.
   */
  stopping?: AbortSignal;
}

const stoppingTimeoutMs = 5000;

/** Sends `event` for `run` to every notifier that wants it, in parallel. Never throws. */
export async function notifyAll(event: NotificationEvent, run: RunReport, options: NotifyOptions): Promise<DeliveryResult[]> {
  const wanted = options.notifiers.filter(
    (notifier) =>
      !(notifier.skips ?? []).includes(event) &&
      (notifier.kind === 'ping' || event === 'failure' || event === 'skipped' || (event === 'start' ? options.onStart : options.onSuccess)),
  );
  const notification = { event, run, host: hostname(), toolVersion, ...(options.subject === undefined ? {} : { subject: options.subject }) };
  const stopping = options.stopping?.aborted ?? false;
  return Promise.all(
    wanted.map((notifier) =>
      deliver(notifier, notification, {
        timeoutMs: stopping ? Math.min(options.timeoutMs, stoppingTimeoutMs) : options.timeoutMs,
        retries: stopping ? 0 : options.retries,
        ...(options.backoffMs === undefined ? {} : { backoffMs: options.backoffMs }),
        log: options.log,
      }),
    ),
  );
}
