# syntax=docker/dockerfile:1
# FaultMaven Auth Service: production image (docs/OPERATIONS.md).
# Node 24 in every stage: the major that package.json's engines pins.

# --- builder: compile TypeScript to dist/ --------------------------------------------------
FROM node:24-bookworm-slim AS builder
WORKDIR /build
# bcrypt ships prebuilt N-API binaries for linux-x64 and linux-arm64 (node-gyp-build picks
# them); the compiler toolchain is here only as the fallback for any other platform.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY apps ./apps
COPY libs ./libs
COPY migrations ./migrations
RUN npm run build

# --- prod-deps: runtime dependencies only (no `node` dev dependency, no build tools) --------
FROM node:24-bookworm-slim AS prod-deps
WORKDIR /build
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# --- runtime -------------------------------------------------------------------------------
FROM node:24-bookworm-slim AS runtime
# npm's cache and logs go to /tmp: the code and the user's home stay read-only.
ENV ENVIRONMENT=production \
  NODE_ENV=production \
  PORT=8000 \
  DATA_DIR=/tmp/faultmaven-auth \
  npm_config_cache=/tmp/.npm
WORKDIR /app
# package.json and build-if-stale.mjs make `npm run migration:run` (and the other CLI scripts)
# work in the image; with dist/ present and no sources, build-if-stale does nothing.
COPY --from=prod-deps --chown=root:root /build/node_modules ./node_modules
COPY --from=builder --chown=root:root /build/dist ./dist
COPY --chown=root:root package.json ./
COPY --chown=root:root scripts/build-if-stale.mjs ./scripts/build-if-stale.mjs
# `alembic upgrade head` and friends, as the deployment guide writes them, mapped to the CLI.
COPY --chown=root:root --chmod=0755 docker/alembic /usr/local/bin/alembic
# The code is owned by root and read-only to the service user; only DATA_DIR is writable.
RUN groupadd --system --gid 10001 faultmaven \
  && useradd --system --uid 10001 --gid faultmaven --home-dir /app --shell /usr/sbin/nologin faultmaven \
  && mkdir -p /tmp/faultmaven-auth && chown faultmaven:faultmaven /tmp/faultmaven-auth
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8000)+'/health/live').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# V8's heap sized for the guide's 512 Mi request: a 4 MiB young generation and at most 192 MiB
# of old space (the live heap under load is 70-100 MiB; the rest is garbage). Without them V8 lets the
# heap grow lazily to several hundred MiB. `npm run bench` runs the service with these flags.
CMD ["node", "--max-semi-space-size=4", "--max-old-space-size=192", "dist/apps/auth-service/src/main.js"]
