/**
 * `npm run teams:package [-- [--out] DIR]`: writes the Teams app package, DIR/plaudit-teams.zip
 * (DIR defaults to dist/teams), from manifests/teams with the bot's Microsoft App ID taken
 * from TEAMS_APP_ID and the developer's name and pages from TEAMS_DEVELOPER_NAME,
 * TEAMS_WEBSITE_URL (or PUBLIC_URL), TEAMS_PRIVACY_URL and TEAMS_TERMS_URL
 * (scripts/teams-package-config.ts). The manifest's version is kept as it is. Prints the
 * zip's path.
 *
 * Exits 78 (EX_CONFIG) when a variable is missing or wrong (one sentence per problem on
 * stderr, each naming the variable) or the manifest cannot be packaged, 64 (EX_USAGE) for
 * bad arguments.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  buildTeamsAppPackage,
  TEAMS_APP_PACKAGE_FILE,
  TeamsAppPackageError,
  teamsIconPaths,
} from './teams-app-package.ts';
import { teamsPackageSettings } from './teams-package-config.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MANIFEST_DIR = resolve(ROOT, 'manifests/teams');

const USAGE =
  'Usage: npm run teams:package [-- [--out] DIR], with TEAMS_APP_ID, TEAMS_DEVELOPER_NAME, TEAMS_PRIVACY_URL, TEAMS_TERMS_URL and TEAMS_WEBSITE_URL (or PUBLIC_URL) set.';

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
const settings = teamsPackageSettings(process.env);
if (!settings.ok) fail(78, settings.problems.join('\n'));

try {
  const manifest: unknown = JSON.parse(
    await readFile(resolve(MANIFEST_DIR, 'manifest.json'), 'utf8'),
  );
  const icons: Record<string, Uint8Array> = {};
  for (const path of Object.values(teamsIconPaths(manifest))) {
    icons[path] = await readFile(resolve(MANIFEST_DIR, path));
  }
  const zip = buildTeamsAppPackage({ manifest, icons }, settings.value);
  await mkdir(out, { recursive: true });
  const file = resolve(out, TEAMS_APP_PACKAGE_FILE);
  await writeFile(file, zip);
  console.log(file);
} catch (error) {
  if (error instanceof TeamsAppPackageError) fail(78, error.message);
  throw error;
}
