import { jsonRequest, type Notifier } from './notifier.ts';
import { describe } from './message.ts';

const colors = { info: 0x3b82f6, success: 0x22c55e, warning: 0xf59e0b, error: 0xef4444 } as const;

/** A Discord channel webhook (DISCORD_WEBHOOK_URL): one embed per notification. */
export function discordNotifier(url: string): Notifier {
  return {
    name: 'discord',
    url,
    kind: 'message',
    request(notification) {
      const message = describe(notification);
      return jsonRequest(url, {
        username: 'immich-backup',
        embeds: [
          {
            title: message.title,
            // Discord's embed description limit is 4096 characters.
            description: message.lines.join('\n').slice(0, 4000),
            color: colors[message.severity],
            timestamp: notification.run.finishedAt ?? notification.run.startedAt,
          },
        ],
      });
    },
  };
}
