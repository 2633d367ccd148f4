# fv-partner-app: a small image (multi-stage, dependency layer cached, non-root).
#   docker build -t fv-partner-app .
#   docker run -p 7059:7059 --env-file .env fv-partner-app
# Templates, static files and the schema's migrations are compiled into the binary (askama,
# include_str!, sqlx::migrate!): the runtime image holds the binary and nothing else of ours.
# Secrets come from the environment at run time (--env-file), never from this file.
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
# Dependencies first, so source edits do not rebuild them. Every target Cargo.toml names
# (every [[bench]] too) must exist for the manifest to load, hence the stub benches.
# The stand-in crate (crates/fake-filevine, a workspace member) is stubbed the same way: the
# workspace must load, though this build never compiles it. `--no-default-features` leaves out
# the `demo` feature, so the image holds no stand-in for Filevine and refuses demo mode.
COPY Cargo.toml Cargo.lock ./
COPY crates/fake-filevine/Cargo.toml crates/fake-filevine/Cargo.toml
RUN mkdir -p src benches crates/fake-filevine/src && echo 'fn main() {}' > src/main.rs && echo '' > src/lib.rs \
    && echo '' > crates/fake-filevine/src/lib.rs \
    && for b in ops refresh dashboard live edge ; do echo 'fn main() {}' > benches/$b.rs; done \
    && cargo build --release --locked --no-default-features \
    && rm -rf src benches crates/fake-filevine/src
COPY build.rs build.rs
COPY src src
COPY migrations migrations
COPY templates templates
COPY static static
COPY benches benches
COPY crates crates
RUN touch src/main.rs src/lib.rs crates/fake-filevine/src/lib.rs && cargo build --release --locked --no-default-features --bin fv-partner-app

FROM debian:bookworm-20251117-slim
RUN useradd --system --uid 10001 --home /app fvapp && mkdir -p /app/data && chown fvapp /app/data
WORKDIR /app
COPY --from=build /src/target/release/fv-partner-app /usr/local/bin/fv-partner-app
USER 10001
ENV FV_LISTEN=0.0.0.0:7059 \
    DATABASE_URL=sqlite:///app/data/fv-partner-app.db \
    FV_LOG_FORMAT=json
EXPOSE 7059
# No curl in the image: the binary probes its own /readyz.
HEALTHCHECK --interval=30s --timeout=6s --start-period=20s --retries=3 \
    CMD ["/usr/local/bin/fv-partner-app", "healthcheck"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/fv-partner-app"]
