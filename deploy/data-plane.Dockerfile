# Keyward data plane: the gateway agents call, on port 8080.
# Build from the repository root: docker build -f deploy/data-plane.Dockerfile -t keyward-data-plane .
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY . .
RUN node scripts/run-pnpm.mjs install --frozen-lockfile && npm run build
# The image is refused when uWebSockets.js would fall back to its slow pure-JS server.
RUN node --input-type=module -e "const { uwsImplementation } = await import('/app/data-plane/dist/server/uws.js'); if (uwsImplementation() !== 'native') { console.error('uWebSockets.js native binding did not load for this platform'); process.exit(1); }"

FROM node:22-bookworm-slim
ENV NODE_ENV=production KEYWARD_DP_HOST=0.0.0.0 KEYWARD_DP_PORT=8080 KEYWARD_DP_STATE_DIR=/var/lib/keyward/data-plane
WORKDIR /app
COPY --from=build --chown=node:node /app /app
RUN mkdir -p /var/lib/keyward/data-plane && chown -R node:node /var/lib/keyward
USER node
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s CMD node -e "fetch('http://127.0.0.1:8080/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
CMD ["node", "data-plane/dist/main.js"]
