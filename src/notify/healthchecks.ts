import type { Notifier } from './notifier.ts';
import { describe } from './message.ts';

/**
 * healthchecks.io-style ping URL (HEALTHCHECKS_URL; also Uptime Kuma push, Cronitor, ...): start
 * pings `<url>/start`, success pings `<url>`, failure pings `<url>/fail`, each with a short text
 * body that those services show as the ping's log. The service itself alerts when no success
 * arrives in time, which also covers a sidecar that stopped running at all.
 */
export function healthchecksNotifier(url: string): Notifier {
  const base = url.replace(/\/+$/, '');
  return {
    name: 'healthchecks',
    url: base,
    kind: 'ping',
    request(notification) {
      // A skipped run is logged without changing the check's state: the missing success is what alerts.
      const suffix = { start: '/start', failure: '/fail', skipped: '/log', success: '' }[notification.event];
      const message = describe(notification);
      return {
        method: 'POST',
        url: `${base}${suffix}`,
        headers: { 'content-type': 'text/plain; charset=utf-8' },
        body: [message.title, ...message.lines].join('\n'),
      };
    },
  };
}
