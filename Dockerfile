# syntax=docker/dockerfile:1
# Two stages: the build stage has the dev dependencies (TypeScript) and compiles to dist/;
# the runtime stage has production dependencies and dist/ only, and runs as a non-root user.

# The exact version of .nvmrc (test/deploy/dockerfile.test.ts keeps them equal): the image runs what CI tested.
ARG NODE_VERSION=24.21.0
# Debian slim rather than Alpine: argon2 and PGlite ship prebuilt binaries for glibc first.
FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
# Dependencies first, so editing a source file does not reinstall them.
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
COPY plugins ./plugins
COPY routes ./routes
COPY schemas ./schemas
COPY migrations ./migrations
RUN npm run build

FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force
# dist/ holds the compiled service, scripts/migrate.js and a copy of migrations/.
COPY --from=build /app/dist ./dist
# Node's module compile cache, filled here with the CMD's own V8 flags by loading what the server loads: every new
# container (a Kubernetes pod's /tmp is an empty emptyDir) then starts warm instead of compiling every module
# again. It works on a read-only root filesystem too (entries are only read); owned by the app user so a writable
# one can add entries. src/server.ts enables the cache; NODE_COMPILE_CACHE says where it is.
ENV NODE_COMPILE_CACHE=/app/.compile-cache
RUN node --max-semi-space-size=8 --heap-growing-percent=50 --input-type=module \
      -e "const { flushCompileCache } = await import('node:module'); await import('/app/dist/src/app.js'); flushCompileCache(); process.exit(0)" \
    && chown -R 1000:1000 /app/.compile-cache
# The image's "node" user, by number so Kubernetes' runAsNonRoot can verify it. Files stay root-owned: read-only to the app.
USER 1000:1000
EXPOSE 3000
# No HEALTHCHECK: Kubernetes ignores it and uses its own probes (deploy/k8s), compose declares one (docker-compose.yml).
# V8 heap flags: see "Memory" in docs/operations.md (measured in bench/README.md).
# node directly, not `npm start`: npm would rebuild (prestart) and would not forward SIGTERM for the graceful shutdown.
CMD ["node", "--max-semi-space-size=8", "--heap-growing-percent=50", "dist/src/server.js"]
