# syntax=docker/dockerfile:1
# The nest-leaf demo. Build: docker compose build (or: docker build -t nest-leaf-demo .)

# ---- build: install everything, compile better-sqlite3 and the TypeScript, then drop the dev dependencies ----
FROM node:20-bookworm AS build
WORKDIR /app
# npm 11 applies package.json "allowScripts": only approved packages run install scripts.
# better-sqlite3 is compiled from source (.prebuild-installrc) against the headers of this image's Node, so nothing is downloaded.
RUN npm install --global npm@11.19.1
ENV npm_config_nodedir=/usr/local \
    SCARF_ANALYTICS=false
COPY package.json package-lock.json .prebuild-installrc ./
COPY libs/leaf/package.json libs/leaf/
RUN npm ci
COPY tsconfig.json ./
COPY libs/leaf/tsconfig.lib.json libs/leaf/
COPY libs/leaf/src libs/leaf/src
COPY apps/demo/tsconfig.app.json apps/demo/
COPY apps/demo/src apps/demo/src
RUN npm run build && npm prune --omit=dev

# ---- runtime: production dependencies and compiled JavaScript only, run by an unprivileged user ----
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/libs/leaf/package.json ./libs/leaf/
COPY --from=build /app/libs/leaf/dist ./libs/leaf/dist
COPY --from=build /app/dist/apps/demo ./dist/apps/demo
# The code stays root-owned (read-only for the app); only data/ is writable, for DB_TYPE=sqlite.
RUN mkdir -p data && chown node:node data
USER node
EXPOSE 3000
CMD ["node", "dist/apps/demo/main.js"]
