# Node 26 is the Active LTS line since October 2026; the code also runs on Node 20.19+.

# Build stage: the dev dependencies (esbuild) compile src/ and migrations/ to dist/.
FROM node:26-slim AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci
COPY scripts/build.mjs ./scripts/
COPY src ./src
COPY migrations ./migrations
RUN npm run build

# Runtime stage: plain node on the build, with the production dependencies only (no tsx,
# no TypeScript, no sources).
FROM node:26-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev && npm cache clean --force
# `npm run migrate` (and the other scripts) run scripts/build.mjs first, which finds no
# sources here and leaves the shipped build as it is.
COPY scripts/build.mjs ./scripts/
COPY --from=build /app/dist ./dist
# The code and its dependencies stay root's, read-only to the app. The app writes only the
# embedded database's folder (PLAUDIT_DATA_DIR, ./.plaudit by default) and, beside it, its
# lock and holder files, so node owns that folder and /app itself (not what is in it).
RUN mkdir .plaudit && chown node:node /app /app/.plaudit
USER node
EXPOSE 3000
CMD ["node", "dist/main.js"]
