# Keyward control plane: GraphQL API, console and node endpoints on port 4000.
# Build from the repository root: docker build -f deploy/control-plane.Dockerfile -t keyward-control-plane .
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY . .
RUN node scripts/run-pnpm.mjs install --frozen-lockfile && npm run build

FROM node:22-bookworm-slim
ENV NODE_ENV=production KEYWARD_CP_HOST=0.0.0.0 KEYWARD_CP_PORT=4000 KEYWARD_CONSOLE_DIR=/app/console/dist KEYWARD_STATE_DIR=/var/lib/keyward
WORKDIR /app
COPY --from=build --chown=node:node /app /app
RUN mkdir -p /var/lib/keyward && chown node:node /var/lib/keyward
USER node
EXPOSE 4000
HEALTHCHECK --interval=10s --timeout=3s CMD node -e "fetch('http://127.0.0.1:4000/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
CMD ["node", "control-plane/dist/main.js"]
