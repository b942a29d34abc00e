// A stand-in for Immich's server in the install test: like the real one it runs as root, writes
// the `.immich` marker of each folder of its media location (/data) at boot, keeps a photo in the
// library, and answers GET /api/server/version without authentication.
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';

const media = process.env.IMMICH_MEDIA_LOCATION ?? '/data';
for (const folder of ['library', 'upload', 'thumbs', 'encoded-video', 'profile', 'backups']) {
  mkdirSync(`${media}/${folder}`, { recursive: true });
  writeFileSync(`${media}/${folder}/.immich`, `${Date.now()}\n`);
}
mkdirSync(`${media}/library/admin/2026/11`, { recursive: true });
writeFileSync(`${media}/library/admin/2026/11/IMG_0001.jpg`, Buffer.alloc(20_000, 7));

const server = createServer((request, response) => {
  if (request.url === '/api/server/version') {
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ major: 3, minor: 1, patch: 0 }));
  } else {
    response.writeHead(404).end();
  }
});
server.listen(2283, () => console.log('Immich stand-in listening on 2283'));
// Node as PID 1 ignores SIGTERM by default: stop at once, as the real server does.
process.on('SIGTERM', () => server.close(() => process.exit(0)));
