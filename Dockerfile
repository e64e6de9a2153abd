# Sluice gateway image: node:20-slim running the TypeScript sources through tsx
# (a runtime dependency), as `npm start` does locally.
FROM node:20-slim

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
    GRPC_PORT=6565
EXPOSE 6565
STOPSIGNAL SIGTERM
# The gateway is PID 1's only child (compose's init: true) and gets SIGTERM
# directly: it drains, then closes its stores. No npm in between.
CMD ["node", "--import", "tsx", "src/main.ts"]
