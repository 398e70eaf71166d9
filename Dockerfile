# swarmaudit as a container: one static binary in an empty image.
#
# The binary is built on the host (no `FROM rust` stage, so nothing has to be pulled):
#
#   scripts/docker-image [TAG]     # cargo build --release (static) + docker build; see the script
#
# or by hand, from the repository root (.dockerignore keeps the context to the binary):
#
#   RUSTFLAGS="-C target-feature=+crt-static" cargo build --release \
#       --target x86_64-unknown-linux-gnu --target-dir target/static
#   docker build -t swarmaudit \
#       --build-arg BINARY=target/static/x86_64-unknown-linux-gnu/release/swarmaudit .
#
# Use:
#   docker run --rm -v "$PWD:/src:ro" swarmaudit scan .              # the repo, at /src
#   docker run --rm -v "$PWD:/src:ro" swarmaudit scan --format sarif . > swarmaudit.sarif
#   docker run --rm -v /var/run/docker.sock:/var/run/docker.sock \
#       --group-add "$(stat -c %g /var/run/docker.sock)" swarmaudit scan --live
#
# The image runs as uid/gid 65532, not root: reading a mounted repository needs no privilege.
# The Docker socket is usually root:docker 0660, hence `--group-add <socket gid>` for --live
# (or `--user 0`). Live mode only sends GET requests, but whoever holds the socket is root on
# the host: mount it only where that is intended.
FROM scratch

ARG BINARY=swarmaudit
ARG VERSION=0.1.0
ARG REVISION=unknown

LABEL org.opencontainers.image.title="swarmaudit" \
      org.opencontainers.image.description="Security-hardening auditor for Docker Swarm stack files and live swarms" \
      org.opencontainers.image.licenses="MIT OR Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"

COPY ${BINARY} /swarmaudit

# relative paths (scan ., SARIF artifact locations) resolve against the mounted repository
WORKDIR /src
USER 65532:65532
ENTRYPOINT ["/swarmaudit"]
CMD ["--help"]
