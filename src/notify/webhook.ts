import { jsonRequest, type Notification, type Notifier } from './notifier.ts';
import { describe } from './message.ts';

/**
 * The generic JSON webhook (WEBHOOK_URL). Payload, documented in the README:
 * `{ event, subject, tool, toolVersion, host, title, message, run }` where `run` is the RunReport and
 * `subject` is "backup" or "restore-test" (verify).
 */
export function webhookPayload(notification: Notification) {
  const message = describe(notification);
  return {
    event: notification.event,
    subject: notification.subject ?? 'backup',
    tool: 'immich-backup',
    toolVersion: notification.toolVersion,
    host: notification.host,
    title: message.title,
    message: message.lines.join('\n'),
    run: notification.run,
  };
}

export function webhookNotifier(url: string): Notifier {
  return {
    name: 'webhook',
    url,
    kind: 'message',
    request: (notification) => jsonRequest(url, webhookPayload(notification)),
  };
}
