// `npm run build`: compiles Plaudit to dist/ for plain `node` (no tsx at run time). Plain
// JavaScript, so that it runs without tsx: in the production image, which ships dist/ and
// no sources, it finds nothing to build and leaves dist/ as it is (`npm run migrate` there
// runs this first, like everywhere else); and it saves tsx's start-up on every `npm start`.
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const OUT = path.join(ROOT, 'dist');
/** What `npm run teams:package` writes into dist/; the build leaves it alone. */
const NOT_OURS = new Set([path.join(OUT, 'teams')]);
/** Touched by each build, dated when it began: no input changed since means nothing to do. */
const STAMP = path.join(OUT, '.built');
/** What the build reads: a change to any (a folder's date changes when a file goes) rebuilds. */
const INPUTS = ['src', 'migrations', 'scripts/build.mjs', 'package.json', 'tsconfig.json'];

/** The processes' entry points, named as in src/ (dist/main.js is `npm start`'s). */
const ENTRIES = ['main', 'migrate-main', 'ledger-verify-main', 'admin-grant-main'];

/** Dependencies imported from node_modules at run time rather than bundled (see below). */
const EXTERNAL = [
  '@electric-sql/pglite',
  '@bull-board/*',
  'msgpackr-extract',
  'pg-native',
  'pg',
  'botbuilder',
];

/**
 * CommonJS dependencies call require, which an ES module lacks: each bundle makes its own.
 * (A few read __dirname or __filename: `define` below gives them the bundle's, and leaves
 * alone a module that declares its own.)
 */
const BANNER =
  "import { createRequire as __plauditCreateRequire } from 'node:module'; const require = __plauditCreateRequire(import.meta.url);";

/** Each file of dist/ (but the Teams package), recursively. */
async function filesIn(folder) {
  if (NOT_OURS.has(folder) || !existsSync(folder)) return [];
  const found = [];
  for (const entry of await readdir(folder, { withFileTypes: true })) {
    const full = path.join(folder, entry.name);
    found.push(...(entry.isDirectory() ? await filesIn(full) : [full]));
  }
  return found;
}

/** The latest modification time among a file, or a folder and everything in it. */
async function newest(target) {
  const info = await stat(target);
  if (!info.isDirectory()) return info.mtimeMs;
  let latest = info.mtimeMs;
  for (const entry of await readdir(target)) {
    latest = Math.max(latest, await newest(path.join(target, entry)));
  }
  return latest;
}

/**
 * Whether dist/ was built from the inputs as they are: a few hundred stat calls, where
 * bundling again to compare takes half a second of each `npm start`.
 */
async function upToDate() {
  if (!existsSync(STAMP)) return false;
  const built = (await stat(STAMP)).mtimeMs;
  const inputs = await Promise.all(INPUTS.map((input) => newest(path.join(ROOT, input))));
  return Math.max(...inputs) < built;
}

/**
 * Writes only the files whose bytes changed, each through a temporary file renamed into
 * place, and removes what this build no longer makes: processes started from dist/ while
 * another `npm start` (or a test's) rebuilds it never read a half-written file.
 */
async function writeChanged(outputFiles) {
  const made = new Set();
  let written = 0;
  for (const file of outputFiles) {
    made.add(file.path);
    const before = existsSync(file.path) ? await readFile(file.path) : undefined;
    if (before?.equals(file.contents)) continue;
    await mkdir(path.dirname(file.path), { recursive: true });
    const temporary = `${file.path}.${process.pid}.tmp`;
    await writeFile(temporary, file.contents);
    await rename(temporary, file.path);
    written += 1;
  }
  const stale = (await filesIn(OUT)).filter((file) => !made.has(file) && file !== STAMP);
  for (const file of stale) await rm(file, { force: true });
  return { written, removed: stale.length };
}

/** Builds dist/ from src/ and migrations/ unless it is up to date; returns what changed. */
export async function buildPlaudit() {
  if (await upToDate()) return { written: 0, removed: 0 };
  // Dated when the build began: a source saved while it runs is newer, and rebuilds next time.
  const began = new Date();
  // esbuild is a devDependency: loaded only where there are sources to build.
  const { build } = await import('esbuild');
  const migrations = (await readdir(path.join(ROOT, 'migrations'))).filter((file) =>
    /^\d{4}_[\w-]+\.ts$/.test(file),
  );
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: [
      ...ENTRIES.map((name) => ({ in: `src/${name}.ts`, out: name })),
      // Compiled one for one beside the bundles, where src/db/migrate.ts looks from dist/.
      ...migrations.map((file) => ({
        in: `migrations/${file}`,
        out: `migrations/${file.replace(/\.ts$/, '')}`,
      })),
    ],
    outdir: OUT,
    // One file per entry point plus shared chunks, all at dist/'s top level (so every
    // bundle finds migrations/ beside it); the web side stays a chunk of its own that a
    // worker never loads (src/main.ts imports it only for a web process).
    bundle: true,
    splitting: true,
    chunkNames: 'chunk-[hash]',
    format: 'esm',
    platform: 'node',
    target: 'node20.19',
    // Dependencies are bundled too: a process then reads a few files instead of some
    // thousand, and Node neither resolves each import through node_modules nor scans each
    // CommonJS module for its exports, which was half of a process's start-up CPU (a
    // worker's start to taking jobs, quiet: 1.19-1.27 s of CPU with them external,
    // 0.62-0.69 s bundled). Left
    // in node_modules: what loads files of its own package by path at run time (PGlite's
    // WebAssembly and data, bull-board's pages), and optional native modules, used only
    // where they are installed; and pg and botbuilder, so that what hooks them by their
    // module sees the ones Plaudit uses (bench/plaudit-meter.mjs counts pg's queries, and
    // bench/teams-token-preload.mjs gives the bot its tokens from a fake Entra ID).
    external: EXTERNAL,
    banner: { js: BANNER },
    define: { __dirname: 'import.meta.dirname', __filename: 'import.meta.filename' },
    // Error and class names as written (log lines and messages name them).
    keepNames: true,
    // Maps name each line's source file and place; the sources themselves stay out, which
    // with the dependencies bundled would more than double what a build writes (and its time).
    sourcemap: 'linked',
    sourcesContent: false,
    logLevel: 'warning',
    write: false,
  });
  const changed = await writeChanged(result.outputFiles);
  await writeFile(STAMP, '');
  await utimes(STAMP, began, began);
  return changed;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (!existsSync(path.join(ROOT, 'src'))) {
    // The production image: dist/ was built in its build stage, and its sources are not here.
    process.exit(0);
  }
  const started = performance.now();
  const { written, removed } = await buildPlaudit();
  const seconds = ((performance.now() - started) / 1000).toFixed(2);
  // Silent when dist/ was up to date, so the scripts that build first print only their own.
  if (written + removed > 0) {
    console.error(`built dist/ in ${seconds} s (${written} files written, ${removed} removed)`);
  }
}
