/**
 * `npm run teams:package [-- [--out] DIR]`: writes the Teams app package, DIR/plaudit-teams.zip
 * (DIR defaults to dist/teams), from manifests/teams with the bot's Microsoft App ID taken
 * from TEAMS_APP_ID. The manifest's version is kept as it is. Prints the zip's path.
 *
 * Exits 78 (EX_CONFIG) when TEAMS_APP_ID is unset or not a GUID (or the manifest cannot be
 * packaged), 64 (EX_USAGE) for bad arguments, each with one sentence on stderr.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  buildTeamsAppPackage,
  TEAMS_APP_PACKAGE_FILE,
  TeamsAppPackageError,
  teamsAppIdProblem,
  teamsIconPaths,
} from './teams-app-package.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MANIFEST_DIR = resolve(ROOT, 'manifests/teams');

const USAGE = 'Usage: npm run teams:package [-- [--out] DIR], with TEAMS_APP_ID set.';

function outDir(args: string[]): string {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(args);
  } catch {
    fail(64, USAGE);
  }
  const [positional, ...extra] = parsed.positionals;
  if (extra.length > 0 || (parsed.values.out !== undefined && positional !== undefined)) {
    fail(64, USAGE);
  }
  const dir = parsed.values.out ?? positional;
  return dir === undefined ? resolve(ROOT, 'dist/teams') : resolve(dir);
}

function parse(args: string[]) {
  return parseArgs({
    args,
    options: { out: { type: 'string', short: 'o' } },
    allowPositionals: true,
    strict: true,
  });
}

function fail(code: number, sentence: string): never {
  console.error(sentence);
  process.exit(code);
}

const out = outDir(process.argv.slice(2));
const appId = process.env.TEAMS_APP_ID ?? '';
const problem = teamsAppIdProblem(appId);
if (problem !== undefined) fail(78, problem);

try {
  const manifest: unknown = JSON.parse(
    await readFile(resolve(MANIFEST_DIR, 'manifest.json'), 'utf8'),
  );
  const icons: Record<string, Uint8Array> = {};
  for (const path of Object.values(teamsIconPaths(manifest))) {
    icons[path] = await readFile(resolve(MANIFEST_DIR, path));
  }
  const zip = buildTeamsAppPackage({ manifest, icons }, appId);
  await mkdir(out, { recursive: true });
  const file = resolve(out, TEAMS_APP_PACKAGE_FILE);
  await writeFile(file, zip);
  console.log(file);
} catch (error) {
  if (error instanceof TeamsAppPackageError) fail(78, error.message);
  throw error;
}
