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
# bash -c execs the start command, so npm's child is the gateway itself and the
# SIGTERM that npm passes on reaches it once (it drains, then closes its stores;
# a second signal would make it exit at once).
ENV GRPC_HOST=0.0.0.0 \
    GRPC_PORT=6565 \
    npm_config_script_shell=/bin/bash
EXPOSE 6565
STOPSIGNAL SIGTERM
CMD ["npm", "start"]
