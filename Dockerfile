# fv-partner-app: a small image (multi-stage, dependency layer cached, non-root).
#   docker build -t fv-partner-app .
#   docker run -p 7059:7059 --env-file .env fv-partner-app
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
# Dependencies first, so source edits do not rebuild them.
COPY Cargo.toml Cargo.lock ./
RUN mkdir src && echo 'fn main() {}' > src/main.rs && echo '' > src/lib.rs \
    && cargo build --release --locked \
    && rm -rf src
COPY src src
COPY templates templates
COPY static static
RUN touch src/main.rs src/lib.rs && cargo build --release --locked

FROM debian:bookworm-20251117-slim
RUN useradd --system --uid 10001 --home /app fvapp && mkdir -p /app/data && chown fvapp /app/data
WORKDIR /app
COPY --from=build /src/target/release/fv-partner-app /usr/local/bin/fv-partner-app
USER fvapp
ENV FV_LISTEN=0.0.0.0:7059 \
    DATABASE_URL=sqlite:///app/data/fv-partner-app.db \
    FV_LOG_FORMAT=json
EXPOSE 7059
ENTRYPOINT ["/usr/local/bin/fv-partner-app"]
