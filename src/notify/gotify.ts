import { jsonRequest, type Notifier } from './notifier.ts';
import { describe } from './message.ts';

/** Gotify: GOTIFY_URL is the server, GOTIFY_TOKEN an application token (sent as a header, not in the URL). */
export function gotifyNotifier(serverUrl: string, token: string): Notifier {
  const url = new URL('message', serverUrl.endsWith('/') ? serverUrl : `${serverUrl}/`).toString();
  return {
    name: 'gotify',
    url,
    kind: 'message',
    request(notification) {
      const message = describe(notification);
      return jsonRequest(
        url,
        { title: message.title, message: message.lines.join('\n'), priority: message.severity === 'error' ? 8 : message.severity === 'warning' ? 6 : 4 },
        { 'x-gotify-key': token },
      );
    },
  };
}
