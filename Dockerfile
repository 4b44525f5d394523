# One image per binary of the workspace: docker build --build-arg BIN=bff-web .
# BIN is one of: bff-web, bff-mobile, demo-upstreams, dev-idp.
#
# Builder: the official Rust image, dependencies cached with BuildKit cache mounts.
# Runtime: a statically linked binary and the CA bundle on `scratch`, as a non-root user; the
# binary's built-in defaults are its configuration, overridden by environment variables.

ARG RUST_IMAGE=rust:1.95-bookworm

FROM ${RUST_IMAGE} AS builder
ARG BIN
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    RUSTFLAGS='-C target-feature=+crt-static' \
    cargo build --release --locked --target x86_64-unknown-linux-gnu -p "${BIN}" --bin "${BIN}" \
 && mkdir -p /out \
 && cp "target/x86_64-unknown-linux-gnu/release/${BIN}" /out/app

FROM scratch AS runtime
# The public roots for `https` upstreams and identity providers (a private CA: point
# SSL_CERT_FILE at a mounted bundle instead).
COPY --from=builder /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
# The BFFs' allocator (mimalloc) never asks for transparent huge pages; this also opts the
# process out on hosts whose THP mode is "always" (idle connections cost 1.7x with THP:
# bench/HARDENING.md). Other binaries ignore it.
ENV MIMALLOC_ALLOW_THP=0
COPY --from=builder /out/app /app
USER 65532:65532
ENTRYPOINT ["/app"]
