import type { RunReport } from '../report.ts';

/** `skipped`: the run did nothing on purpose (Immich in maintenance mode), a warning rather than a failure. */
export type NotificationEvent = 'start' | 'success' | 'failure' | 'skipped';

/** What was run: a backup, or the restore test (`verify`), which reports "passed"/"failed". */
export type NotificationSubject = 'backup' | 'restore-test';

/** What every notifier is given: the event and the run as it stands (see README "Notifications"). */
export interface Notification {
  event: NotificationEvent;
  /** Absent: a backup run. */
  subject?: NotificationSubject;
  run: RunReport;
  /** The host name the sidecar runs on, to tell several installations apart. */
  host: string;
  toolVersion: string;
}

export interface OutgoingRequest {
  method: 'POST' | 'GET';
  url: string;
  headers: Record<string, string>;
  /** None for a GET. */
  body?: string;
}

/**
 * One notification target. A notifier only formats; delivery (timeout, retries, logging with the
 * URL redacted) is `deliver.ts`'s, the same for all.
 */
export interface Notifier {
  readonly name: string;
  /** Target URL (may hold a secret: log it only through redactUrl). */
  readonly url: string;
  /**
   * `ping` targets (healthchecks.io-style) get every event, since their whole point is to notice
   * a missing success; `message` targets follow NOTIFY_ON_START / NOTIFY_ON_SUCCESS.
   */
  readonly kind: 'ping' | 'message';
  /** Events this target has no way to say (absent: every event its kind gets). */
  readonly skips?: readonly NotificationEvent[];
  request(notification: Notification): OutgoingRequest;
}

export function jsonRequest(url: string, payload: unknown, headers: Record<string, string> = {}): OutgoingRequest {
  return {
    method: 'POST',
    url,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(payload),
  };
}
