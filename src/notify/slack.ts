import { jsonRequest, type Notifier } from './notifier.ts';
import { describe } from './message.ts';

/** A Slack incoming webhook (SLACK_WEBHOOK_URL); also accepted by Mattermost and Rocket.Chat. */
export function slackNotifier(url: string): Notifier {
  return {
    name: 'slack',
    url,
    kind: 'message',
    request(notification) {
      const message = describe(notification);
      const icon = { error: ':rotating_light:', warning: ':warning:', success: ':white_check_mark:', info: ':hourglass:' }[message.severity];
      return jsonRequest(url, { text: `${icon} *${message.title}*\n${message.lines.join('\n')}` });
    },
  };
}
