# syntax=docker/dockerfile:1
#
# shoal's two images, from one build (docs/install.md, "Images"):
#
#   docker build --target controller -t REGISTRY/shoal-controller:0.1.0 .
#   docker build --target speaker    -t REGISTRY/shoal-speaker:0.1.0 .
#
# Both run as the non-root user 65532. They differ in one thing only: the
# speaker's node binary carries the file capabilities NET_RAW, NET_ADMIN and
# NET_BIND_SERVICE, because a non-root process gets capabilities into its
# effective set only from the binary it executes (Kubernetes grants no
# ambient capabilities). The kernel caps them at what the pod spec adds, and
# refuses to start a binary with file capabilities when the bounding set lacks
# one of them: the controller, which adds none, must not run that binary.

ARG NODE_VERSION=20
ARG DEBIAN_RELEASE=bookworm

# ---- build: native addons (node-gyp) and the TypeScript ---------------------
FROM node:${NODE_VERSION}-${DEBIAN_RELEASE}-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
# node-gyp takes the headers of the node it builds for from the image instead
# of downloading them.
ENV npm_config_nodedir=/usr/local
WORKDIR /src
# Dependencies before sources, so this layer is reused while only sources
# change. `npm ci` also builds binding.gyp (shoal_packet, shoal_tcp: npm runs
# node-gyp for a package with a binding.gyp and no install script) and the
# dependencies' addons (raw-socket).
COPY package.json package-lock.json binding.gyp ./
COPY native/ native/
RUN npm ci
COPY tsconfig.json ./
COPY src/ src/
# The context holds src/ only (.dockerignore), so tsc compiles just that
# (the type check); the images run the bundle (src/packaging/bundle.mjs: a
# tree-shaken entry file and the chunks it loads per command, about 30 MiB
# less per process than dist/src/ with the whole of @kubernetes/client-node,
# docs/install.md "Resources"). Then the development dependencies go.
RUN npx tsc -p tsconfig.json \
 && node src/packaging/bundle.mjs \
 && npm prune --omit=dev

# ---- runtime: node and the built application, nothing else -----------------
# The same Debian release as the build stage: the addons link against its
# glibc and libstdc++.
FROM debian:${DEBIAN_RELEASE}-slim AS runtime
LABEL org.opencontainers.image.title="shoal" \
      org.opencontainers.image.description="Bare-metal LoadBalancer for Kubernetes, MetalLB-compatible" \
      org.opencontainers.image.licenses="Apache-2.0"
# No set-user-ID or set-group-ID programs: nothing in the image can raise
# privileges (allowPrivilegeEscalation: false forbids it as well).
RUN find / -xdev -perm /6000 -type f -exec chmod a-s {} +
COPY --from=build /usr/local/bin/node /usr/local/bin/node
WORKDIR /app
# package.json gives the version; binding.gyp marks the package root where
# the addon loaders look for build/Release. node_modules/ is for the packages
# the bundle leaves out (those with native addons: raw-socket,
# msgpackr-extract).
COPY --from=build /src/package.json /src/binding.gyp ./
COPY --from=build /src/node_modules/ node_modules/
COPY --from=build /src/dist/bundle/shoal.js dist/bundle/
COPY --from=build /src/dist/bundle/chunks/ dist/bundle/chunks/
COPY --from=build /src/build/Release/*.node build/Release/
ENV NODE_ENV=production
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/node", "/app/dist/bundle/shoal.js"]

# ---- controller: no capabilities at all -------------------------------------
FROM runtime AS controller
# The speaker's 1 MiB young generation (below): a controller taking in 1,000
# Services otherwise grows its semi-spaces and keeps them, 112 MiB RSS
# against 77. --single-threaded: no V8 worker threads (background GC and
# compilation run on the main thread), 5 MiB less at 100 Services and 8 at
# 1,000 for about 1.3x the time to address 10,000 new Services; the
# controller answers nothing time-critical (docs/speaker.md, "Memory").
ENTRYPOINT ["/usr/local/bin/node", "--max-semi-space-size=1", "--single-threaded", "/app/dist/bundle/shoal.js"]
CMD ["controller"]

# ---- speaker: file capabilities on its node binary --------------------------
# Set in this stage (a RUN, not a COPY: COPY does not reliably keep the
# security.capability attribute). The list must match the DaemonSet's
# capabilities.add (test/k8s/dockerfile.test.ts checks that it does).
FROM runtime AS speaker
USER root
RUN apt-get update \
 && apt-get install -y --no-install-recommends libcap2-bin \
 && setcap cap_net_raw,cap_net_admin,cap_net_bind_service+ep /usr/local/bin/node \
 && apt-get purge -y --auto-remove libcap2-bin \
 && rm -rf /var/lib/apt/lists/*
USER 65532:65532
# A 1 MiB young generation (Node's default grows to 16 MiB per semi-space)
# keeps a speaker that owns 10,000 addresses around 120 MiB instead of 160
# (docs/failover.md). It is a flag, not NODE_OPTIONS: a binary with file
# capabilities runs with AT_SECURE, and Node then ignores NODE_OPTIONS.
# V8's optimizing compiler stays on: without it (--max-opt=1) the speaker
# holds 7 MiB less but a mass failover's last address moves 1.5x later
# (docs/speaker.md, "What the optimizing compiler buys").
ENTRYPOINT ["/usr/local/bin/node", "--max-semi-space-size=1", "/app/dist/bundle/shoal.js"]
CMD ["speaker"]
