# hepscope as a container: the build stage runs the same scripts/release.sh as a release on a workstation
# (trunk build --release, then the server with the front end embedded); the runtime stage is slim Debian with
# the one binary, a non-root user and the data volume.
#   docker build -t hepscope .
#   docker run -p 8080:8080 -p 9060:9060/udp -p 9060:9060/tcp -v hepscope-data:/var/lib/hepscope hepscope

# The toolchain of Cargo.toml's rust-version (1.95), on the Debian release of the runtime stage.
FROM rust:1.95-bookworm AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nodejs npm python3 \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# No .git in the build context: the commit comes from the build argument (docker build --build-arg
# HEPSCOPE_GIT_COMMIT=$(git rev-parse --short=12 HEAD)), "unknown" otherwise.
ARG HEPSCOPE_GIT_COMMIT=unknown
ENV HEPSCOPE_GIT_COMMIT=${HEPSCOPE_GIT_COMMIT}
# scripts/release.sh runs scripts/setup.sh first (wasm32 target, trunk, wasm-bindgen, binaryen via npm).
RUN scripts/release.sh && cp target/release/hepscope /usr/local/bin/hepscope

FROM debian:bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system hepscope \
 && useradd --system --gid hepscope --home-dir /var/lib/hepscope --shell /usr/sbin/nologin hepscope \
 && install -d -m 0700 -o hepscope -g hepscope /var/lib/hepscope
COPY --from=build /usr/local/bin/hepscope /usr/bin/hepscope
COPY server/debian/hepscope.toml /etc/hepscope/hepscope.toml
USER hepscope
WORKDIR /var/lib/hepscope
VOLUME ["/var/lib/hepscope"]
# In a container the listeners face the container network: all interfaces.
ENV HEPSCOPE_CONFIG=/etc/hepscope/hepscope.toml \
    HEPSCOPE_DATA_DIR=/var/lib/hepscope \
    HEPSCOPE_LISTEN=0.0.0.0:8080 \
    HEPSCOPE_HEP_LISTEN=0.0.0.0:9060
EXPOSE 8080 9060/udp 9060/tcp
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD curl -fsS -o /dev/null http://127.0.0.1:8080/readyz || exit 1
# SIGTERM is the graceful stop (the store is flushed); give it the time it may take.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/bin/hepscope"]
CMD ["serve"]
