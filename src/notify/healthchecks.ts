import type { Notifier } from './notifier.ts';
import { describe } from './message.ts';

/**
 * healthchecks.io-style ping URL (HEALTHCHECKS_URL; also Cronitor, ...): start pings `<url>/start`,
 * success pings `<url>`, failure pings `<url>/fail`, each with a short text body that those
 * services show as the ping's log. The service itself alerts when no success arrives in time,
 * which also covers a sidecar that stopped running at all. The suffix goes on the path, before any
 * query. An Uptime Kuma push URL gets Kuma's own form instead (`uptimeKumaNotifier`).
 */
export function healthchecksNotifier(url: string): Notifier {
  const base = new URL(url);
  base.pathname = base.pathname.replace(/\/+$/, '');
  if (/\/api\/push\/[^/]+$/.test(base.pathname)) return uptimeKumaNotifier(base);
  const withSuffix = (suffix: string) => {
    const target = new URL(base);
    target.pathname = `${base.pathname}${suffix}`;
    return target.toString();
  };
  return {
    name: 'healthchecks',
    url: base.toString(),
    kind: 'ping',
    request(notification) {
      // A skipped run is logged without changing the check's state: the missing success is what alerts.
      const suffix = { start: '/start', failure: '/fail', skipped: '/log', success: '' }[notification.event];
      const message = describe(notification);
      return {
        method: 'POST',
        url: withSuffix(suffix),
        headers: { 'content-type': 'text/plain; charset=utf-8' },
        body: [message.title, ...message.lines].join('\n'),
      };
    },
  };
}

/**
 * An Uptime Kuma push monitor (`https://kuma/api/push/<token>?status=up&msg=OK&ping=`, as Kuma
 * shows it): its state is the `status` parameter, not a path suffix. Appended to that URL, `/fail`
 * became part of the `ping` value and a failed backup pushed "up". Success pushes `status=up`,
 * failure `status=down`, each with the title as `msg`; a start or a skipped run has no Kuma form
 * and is not pushed (a push is a heartbeat: it would read as a success). GET, which every Kuma
 * version takes.
 */
function uptimeKumaNotifier(base: URL): Notifier {
  return {
    name: 'uptime-kuma',
    url: base.toString(),
    kind: 'ping',
    skips: ['start', 'skipped'],
    request(notification) {
      const target = new URL(base);
      target.searchParams.set('status', notification.event === 'success' ? 'up' : 'down');
      target.searchParams.set('msg', describe(notification).title);
      return { method: 'GET', url: target.toString(), headers: {} };
    },
  };
}
