# Build the single executable with the pinned Bun, then ship it alone in a slim image.
FROM oven/bun:1.4.5 AS build
WORKDIR /src
COPY package.json bun.lock ./
RUN bun install --frozen-lockfile
COPY . .
RUN bun run build

FROM debian:bookworm-slim
RUN useradd --system --uid 10001 --user-group --home-dir /var/lib/aibridge --create-home aibridge
COPY --from=build /src/dist/aibridge /usr/local/bin/aibridge
USER aibridge
ENV CODER_HTTP_ADDRESS=0.0.0.0:3000 \
    CODER_PROMETHEUS_ADDRESS=0.0.0.0:2112 \
    CODER_AIBRIDGE_DATA_DIR=/var/lib/aibridge \
    CODER_LOG_FORMAT=json \
    BUN_CONFIG_MAX_HTTP_REQUESTS=65535
EXPOSE 3000 2112
VOLUME ["/var/lib/aibridge"]
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 CMD ["/usr/local/bin/aibridge", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/aibridge"]
CMD ["server"]
