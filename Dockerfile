# One image for every role (docker compose picks the role with working_dir + command).
# TypeScript runs natively on Node 22 (decision 0001): no build step.
FROM node:22-bookworm-slim
WORKDIR /app
COPY . .
# --ignore-scripts: the image's own Node 22 runs everything; the pinned `node` package is not needed here.
RUN npm ci --no-audit --no-fund --ignore-scripts && npm cache clean --force
USER node
ENV NODE_ENV=production
# Each role: node src/main.ts in its folder; /healthz and /readyz for the orchestrator.
CMD ["node", "src/main.ts"]
