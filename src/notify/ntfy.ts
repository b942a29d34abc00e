import type { Notifier } from './notifier.ts';
import { describe } from './message.ts';

/** ntfy (https://ntfy.sh or self-hosted): NTFY_URL is the topic URL; NTFY_TOKEN an access token. */
export function ntfyNotifier(url: string, token?: string): Notifier {
  return {
    name: 'ntfy',
    url,
    kind: 'message',
    request(notification) {
      const message = describe(notification);
      const headers: Record<string, string> = {
        'content-type': 'text/plain; charset=utf-8',
        // ntfy reads the title from a header; HTTP headers must stay ASCII.
        title: message.title.replace(/[^\x20-\x7e]/g, '?'),
        priority: message.severity === 'error' ? 'high' : 'default',
        tags: { error: 'rotating_light', warning: 'warning', success: 'white_check_mark', info: 'hourglass' }[message.severity],
      };
      if (token !== undefined) headers.authorization = `Bearer ${token}`;
      return { method: 'POST', url, headers, body: message.lines.join('\n') };
    },
  };
}
