# immich-backup sidecar image. Build: docker build -t immich-backup .
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts ./scripts
COPY src ./src
RUN npm run build

FROM node:24-bookworm-slim AS production-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM node:24-bookworm-slim
ENV NODE_ENV=production \
    BACKUP_DIR=/backups \
    HTTP_PORT=8080
WORKDIR /app
COPY --from=production-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
# `immich-backup <command>` on the PATH for `docker exec`; /backups owned by the unprivileged user so
# that a named volume mounted there starts out writable.
RUN chmod 0755 dist/cli.js \
 && ln -s /app/dist/cli.js /usr/local/bin/immich-backup \
 && mkdir -p /backups \
 && chown node:node /backups
USER node
EXPOSE 8080
# `immich-backup healthcheck` asks /healthz (no curl in the image): healthy = start-up checks pass, a
# recent good backup and a good last run.
HEALTHCHECK --interval=60s --timeout=10s --start-period=60s --retries=3 \
  CMD ["node", "/app/dist/cli.js", "healthcheck"]
# A 1 MiB young generation (V8's default grows to 16 MiB): the dump streams hundreds of MB through
# short-lived buffers, which a small young generation frees in cheap scavenges; a large one lets them
# pile up until they force full collections. Mid-sized benchmark dump at 2 MiB: 15 % less CPU, peak
# RSS 140 instead of 170-195 MiB; restore-db unchanged. 1 instead of 2 MiB (with the flag below),
# same CPU: peak RSS of the 1 GB benchmark dump 188 -> 172 MiB, of restore-db 167 -> 144 MiB
# (immich_mid 161 -> 139 MiB).
# An old generation of at least 64 MiB before a full collection: V8 counts the bytes of buffers
# allocated since the last full collection (gunzip's and gzip's output, file and socket reads)
# against the old generation's limit, which on our ~10 MiB heap is ~20 MiB, so streaming a dump
# forced a full collection every few MiB (162 for the 1 GB benchmark restore). restore-db's own CPU:
# immich_mid 1.18 -> 0.83 s, immich_x1 9.0 -> 6.3 s; the dump's peak RSS 181 -> 189 MiB.
# bench/dump.ts and bench/restore.ts run with these flags.
ENTRYPOINT ["node", "--max-semi-space-size=1", "--initial-old-space-size=64", "/app/dist/cli.js"]
CMD ["serve"]
