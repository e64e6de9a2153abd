# Sluice gateway image: node:20-slim running the TypeScript sources through tsx
# (a runtime dependency), as `npm start` does locally. The tag is pinned.
FROM node:20.19.0-slim

WORKDIR /app
ENV NODE_ENV=production

COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

COPY tsconfig.json ./
COPY proto ./proto
COPY src ./src
COPY plugins ./plugins
COPY bin ./bin

USER node
ENV GRPC_HOST=0.0.0.0 \
    GRPC_PORT=6565 \
    METRICS_PORT=9464 \
    SHUTDOWN_GRACE_MS=10000
# gRPC; admin (metrics, /healthz, /readyz, /dashboard when DASHBOARD_ENABLED=true).
EXPOSE 6565 9464
# Ready: both stores reachable and not shutting down (node:20-slim has no curl).
HEALTHCHECK --interval=5s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + process.env.METRICS_PORT + '/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Give `docker stop` more than SHUTDOWN_GRACE_MS: docker stop -t 15 (compose: stop_grace_period).
STOPSIGNAL SIGTERM
# The gateway is PID 1's only child (compose's init: true) and gets SIGTERM
# directly: it drains, then closes its stores. No npm in between.
CMD ["node", "--import", "tsx", "src/main.ts"]
