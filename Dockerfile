# Node 26 is the Active LTS line since October 2026; the code also runs on Node 20.19+.
FROM node:26-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev && npm cache clean --force
COPY tsconfig.json ./
COPY src ./src
COPY migrations ./migrations
# The code and its dependencies stay root's, read-only to the app. The app writes only the
# embedded database's folder (PLAUDIT_DATA_DIR, ./.plaudit by default) and, beside it, its
# lock and holder files, so node owns that folder and /app itself (not what is in it).
RUN mkdir .plaudit && chown node:node /app /app/.plaudit
USER node
EXPOSE 3000
CMD ["node", "--import", "tsx", "src/main.ts"]
