# syntax=docker/dockerfile:1
# sockeye: build with the full toolchain, run on distroless Node 24 (the active
# LTS; no shell, no package manager) as a non-root user with production
# dependencies only. Both stages are Debian 12, so the addon built here links
# against the glibc it runs on.

FROM node:24-bookworm-slim AS build
WORKDIR /app
# The native fd walk (native/fd.c, an N-API addon) is compiled by npm ci's
# install script with node-gyp: python3, make and g++ here, nothing at runtime.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json binding.gyp ./
COPY native ./native
# REQUIRED: in the image a failed addon build fails the build, instead of
# silently shipping the slower JS fd walk.
RUN SOCKEYE_NATIVE_REQUIRED=1 npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/build.mjs ./scripts/build.mjs
COPY src ./src
# The context has no .git: the commit for sockeye_build_info comes in as a
# build argument, e.g. docker build --build-arg REVISION=$(git rev-parse HEAD) .
ARG REVISION=unknown
RUN SOCKEYE_REVISION=$REVISION npm run build && npm prune --omit=dev --no-audit --no-fund
# Heartbeat state dir: world-writable with the sticky bit, because the uid is
# chosen at deploy time (the app's uid, or root with two capabilities); a named
# volume mounted here starts with these permissions.
RUN mkdir -p /state && chmod 1777 /state

FROM gcr.io/distroless/nodejs24-debian12:nonroot AS runtime
WORKDIR /app
ENV NODE_ENV=production
# Memory, measured in docs/performance.md: a 1 MiB young-generation semi-space
# on the main isolate, at most 2 glibc malloc arenas for all threads, and
# blocks of 128 KiB or more always mmap'd (so returned when freed).
# Compose and Kubernetes inherit these (they override CMD, not ENV); keep them
# equal to package.json's start script (test/unit/launch-flags.test.ts).
ENV NODE_OPTIONS="--max-semi-space-size=1" \
    MALLOC_ARENA_MAX=2 \
    MALLOC_MMAP_THRESHOLD_=131072
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The addon is one self-contained .so (libc only); N-API keeps it valid across Node versions.
COPY --from=build /app/build/Release/sockeye_fd.node ./build/Release/sockeye_fd.node
COPY --from=build /state /var/lib/sockeye
# 65532 is distroless' "nonroot". Reading another uid's /proc/<pid>/fd needs
# the same uid or root with CAP_SYS_PTRACE + CAP_DAC_READ_SEARCH: see docs/deploy.md.
USER 65532:65532
EXPOSE 9855
# No curl or shell here: `sockeye healthcheck` asks /healthz (503 when the
# scheduler stalled) wherever the server listens, over TLS when the web config
# has it. It sees the container's environment, not the server's arguments:
# give the config as SOCKEYE_CONFIG (and SOCKEYE_LISTEN, SOCKEYE_WEB_CONFIG_FILE)
# rather than --config, so a listen: in the file is found too.
HEALTHCHECK --interval=15s --timeout=5s --start-period=10s --retries=3 \
  CMD ["/nodejs/bin/node", "dist/main.js", "healthcheck"]
# The image's entrypoint is node itself.
CMD ["dist/main.js"]
