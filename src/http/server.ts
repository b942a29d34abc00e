import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { errorMessage } from '../errors.ts';
import type { Logger } from '../log.ts';
import { renderMetrics } from './metrics.ts';
import type { Status } from './status.ts';

/**
 * GET /healthz (200/503 with the reason as text), GET /status (JSON), GET /metrics (Prometheus).
 * Unauthenticated and read-only: it says nothing secret (no URLs, no passwords).
 */
export function createHttpServer(getStatus: () => Promise<Status>, log: Logger): Server {
  return createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    const send = (code: number, type: string, body: string) => {
      response.writeHead(code, { 'content-type': type, 'cache-control': 'no-store' }).end(request.method === 'HEAD' ? undefined : body);
    };
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('allow', 'GET, HEAD');
      send(405, 'text/plain; charset=utf-8', 'method not allowed\n');
      return;
    }
    if (path !== '/healthz' && path !== '/status' && path !== '/metrics') {
      send(404, 'text/plain; charset=utf-8', 'not found: try /healthz, /status or /metrics\n');
      return;
    }
    getStatus().then(
      (status) => {
        if (path === '/healthz') send(status.healthy ? 200 : 503, 'text/plain; charset=utf-8', `${status.healthy ? 'ok' : 'unhealthy'}: ${status.reason}\n`);
        else if (path === '/status') send(200, 'application/json', `${JSON.stringify(status, null, 2)}\n`);
        else send(200, 'text/plain; version=0.0.4; charset=utf-8', renderMetrics(status));
      },
      (error: unknown) => {
        log.error({ error: errorMessage(error), path }, 'status could not be collected');
        send(path === '/healthz' ? 503 : 500, 'text/plain; charset=utf-8', `error: ${errorMessage(error)}\n`);
      },
    );
  });
}

export async function listen(server: Server, port: number, host = '0.0.0.0'): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}
