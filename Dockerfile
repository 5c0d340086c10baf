# syntax=docker/dockerfile:1
# sockeye: build with the full toolchain, run on distroless Node 20 (no shell,
# no package manager) as a non-root user with production dependencies only.

FROM node:20-bookworm-slim AS build
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
COPY src ./src
RUN npm run build && npm prune --omit=dev --no-audit --no-fund
# Heartbeat state dir: world-writable with the sticky bit, because the uid is
# chosen at deploy time (the app's uid, or root with two capabilities); a named
# volume mounted here starts with these permissions.
RUN mkdir -p /state && chmod 1777 /state

FROM gcr.io/distroless/nodejs20-debian12:nonroot AS runtime
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
# The addon is one self-contained .so (libc only); N-API keeps it valid across Node 20 builds.
COPY --from=build /app/build/Release/sockeye_fd.node ./build/Release/sockeye_fd.node
COPY --from=build /state /var/lib/sockeye
# 65532 is distroless' "nonroot". Reading another uid's /proc/<pid>/fd needs
# the same uid or root with CAP_SYS_PTRACE + CAP_DAC_READ_SEARCH: see docs/deploy.md.
USER 65532:65532
EXPOSE 9855
# No curl or shell here: node asks /healthz (503 when the scheduler stalled).
HEALTHCHECK --interval=15s --timeout=5s --start-period=10s --retries=3 \
  CMD ["/nodejs/bin/node", "-e", "fetch('http://127.0.0.1:9855/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# The image's entrypoint is node itself.
CMD ["dist/main.js"]
