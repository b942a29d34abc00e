import type { Command } from './command.ts';
import { envSchemas, parseEnv } from '../config.ts';
import { errorMessage } from '../errors.ts';
import { z } from 'zod';

/** Long enough for a busy service to collect its status; short of the image's HEALTHCHECK timeout. */
const requestTimeoutMs = 8_000;

const command: Command = {
  name: 'healthcheck',
  summary: "Ask the running service's /healthz (on this container's HTTP_PORT): exit 0 when healthy, 1 when not.",
  help: [
    "Used by the image's HEALTHCHECK, and by you: docker compose exec immich-backup immich-backup healthcheck",
    'Prints the reason (e.g. "ok: last good backup immich-20261124_020000 is 3 h 12 min old").',
  ].join('\n'),
  options: {},
  async run(_args, context) {
    // Only the port matters here: the check must work even when the rest of the configuration does not.
    const { HTTP_PORT: port } = parseEnv(z.object({ HTTP_PORT: envSchemas.port.default(8080) }), { HTTP_PORT: context.env.HTTP_PORT });
    const url = `http://127.0.0.1:${port}/healthz`;
    try {
      const response = await fetch(url, { signal: AbortSignal.any([context.signal, AbortSignal.timeout(requestTimeoutMs)]) });
      const body = (await response.text()).trim();
      context.stdout.write(`${body || `HTTP ${response.status}`}\n`);
      return response.status === 200 ? 0 : 1;
    } catch (error) {
      context.stdout.write(`unhealthy: the service does not answer on ${url} (${errorMessage(error)}): is \`immich-backup serve\` running in this container?\n`);
      return 1;
    }
  },
};

export default command;
