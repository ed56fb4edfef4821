import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32, inflateSync } from 'node:zlib';
import AjvDraft04 from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import { unzipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import {
  buildTeamsAppPackage,
  TEAMS_APP_ID_PLACEHOLDER,
  TEAMS_APP_PACKAGE_FILE,
  TeamsAppPackageError,
  teamsAppIdProblem,
} from '../../scripts/teams-app-package.ts';
import { createKudosRouter } from '../../src/recognition/kudos-commands.ts';
import type { RecognitionServices } from '../../src/recognition/recognition-services.ts';

interface Manifest {
  $schema: string;
  manifestVersion: string;
  id: string;
  icons: { color: string; outline: string };
  bots: Array<{
    botId: string;
    scopes: string[];
    supportsFiles: boolean;
    isNotificationOnly: boolean;
    commandLists: Array<{ scopes: string[]; commands: Array<{ title: string }> }>;
  }>;
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MANIFEST_DIR = path.join(ROOT, 'manifests/teams');
const SCOPES = ['personal', 'team', 'groupChat'];
const SUBCOMMANDS = ['give', 'balance', 'leaderboard', 'history', 'values', 'help'];
const APP_ID = '1b4e28ba-2fa1-11d2-883f-0016d3cca427';

const manifestText = await readFile(path.join(MANIFEST_DIR, 'manifest.json'), 'utf8');
const manifest = JSON.parse(manifestText) as Manifest;
const colorPng = await readFile(path.join(MANIFEST_DIR, 'color.png'));
const outlinePng = await readFile(path.join(MANIFEST_DIR, 'outline.png'));

/** The schemas @microsoft/app-manifest ships, one folder per manifest version. */
const SCHEMA_DIR = path.join(
  path.dirname(createRequire(import.meta.url).resolve('@microsoft/app-manifest/package.json')),
  'build/json-schemas/teams',
);

/**
 * The Teams schemas are JSON Schema draft-04, which Ajv 8 itself no longer reads: ajv-draft-04
 * is Ajv for draft-04, and ajv-formats supplies `uri`, the one format the schema uses.
 */
async function schemaValidator(version: string) {
  const schema = JSON.parse(
    await readFile(path.join(SCHEMA_DIR, `v${version}`, 'MicrosoftTeams.schema.json'), 'utf8'),
  ) as { $schema: string };
  expect(schema.$schema).toBe('http://json-schema.org/draft-04/schema#');
  const ajv = new AjvDraft04.default({ allErrors: true, strictTypes: false });
  addFormats.default(ajv, ['uri']);
  return ajv.compile(schema);
}

const validate = await schemaValidator(manifest.manifestVersion);

function schemaErrors(value: unknown): string[] {
  return validate(value)
    ? []
    : (validate.errors ?? []).map((error) => `${error.instancePath} ${error.message}`);
}

interface Png {
  width: number;
  height: number;
  bitDepth: number;
  colorType: number;
  interlace: number;
  /** Each row's filter type byte. */
  filters: number[];
  /** The pixels' bytes, row after row, without the filter bytes. */
  pixels: Uint8Array;
}

/** Reads a PNG's chunks (checking every CRC), its IHDR, and inflates its IDAT data. */
function readPng(bytes: Uint8Array): Png {
  const data = Buffer.from(bytes);
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  if (!data.subarray(0, 8).equals(signature)) throw new Error('not a PNG: wrong signature');
  const chunks: Array<{ type: string; body: Buffer }> = [];
  for (let offset = 8; offset < data.length; ) {
    const length = data.readUInt32BE(offset);
    const type = data.toString('latin1', offset + 4, offset + 8);
    const body = data.subarray(offset + 8, offset + 8 + length);
    const crc = data.readUInt32BE(offset + 8 + length);
    if (crc32(data.subarray(offset + 4, offset + 8 + length)) !== crc) {
      throw new Error(`${type} chunk has a wrong CRC`);
    }
    chunks.push({ type, body });
    offset += 12 + length;
  }
  const [header] = chunks;
  if (header?.type !== 'IHDR') throw new Error('the first chunk is not IHDR');
  if (chunks.at(-1)?.type !== 'IEND') throw new Error('the last chunk is not IEND');
  const png = {
    width: header.body.readUInt32BE(0),
    height: header.body.readUInt32BE(4),
    bitDepth: header.body[8] as number,
    colorType: header.body[9] as number,
    interlace: header.body[12] as number,
  };
  const raw = inflateSync(
    Buffer.concat(chunks.filter((chunk) => chunk.type === 'IDAT').map((chunk) => chunk.body)),
  );
  const channels = { 2: 3, 6: 4 }[png.colorType];
  if (png.bitDepth !== 8 || channels === undefined || png.interlace !== 0) {
    throw new Error('only 8-bit, non-interlaced RGB or RGBA is decoded here');
  }
  const stride = png.width * channels;
  expect(raw.length).toBe((stride + 1) * png.height);
  const filters: number[] = [];
  const pixels = new Uint8Array(stride * png.height);
  for (let y = 0; y < png.height; y += 1) {
    const row = raw.subarray(y * (stride + 1), (y + 1) * (stride + 1));
    filters.push(row[0] as number);
    pixels.set(row.subarray(1), y * stride);
  }
  return { ...png, filters, pixels };
}

describe('the Teams app manifest', () => {
  it('is on the newest stable schema version @microsoft/app-manifest ships', async () => {
    const versions = (await readdir(SCHEMA_DIR))
      .filter((name) => /^v\d+\.\d+$/.test(name))
      .map((name) => name.slice(1).split('.').map(Number) as [number, number])
      .sort((a, b) => a[0] - b[0] || a[1] - b[1])
      .map(([major, minor]) => `${major}.${minor}`);
    expect(manifest.manifestVersion).toBe(versions.at(-1));
    expect(manifest.$schema).toBe(
      `https://developer.microsoft.com/en-us/json-schemas/teams/v${manifest.manifestVersion}/MicrosoftTeams.schema.json`,
    );
  });

  it('validates against the schema of its version', () => {
    expect(schemaErrors(manifest)).toEqual([]);
  });

  it('the validator does reject a broken manifest', () => {
    const broken = { ...manifest, id: 'not-a-guid', accentColor: 'blue', unknown: true };
    expect(schemaErrors(broken).length).toBeGreaterThanOrEqual(3);
  });

  it('holds the placeholder app id in id and botId, for teams:package to replace', () => {
    expect(manifest.id).toBe(TEAMS_APP_ID_PLACEHOLDER);
    expect(manifest.bots).toHaveLength(1);
    expect(manifest.bots[0]?.botId).toBe(TEAMS_APP_ID_PLACEHOLDER);
  });

  it('declares one conversational bot in personal, team and group chat scopes', () => {
    const [bot] = manifest.bots;
    expect(bot?.scopes.toSorted()).toEqual(SCOPES.toSorted());
    expect(bot?.supportsFiles).toBe(false);
    expect(bot?.isNotificationOnly).toBe(false);
  });

  it.each(SCOPES)('lists exactly the kudos subcommands in the %s scope', (scope) => {
    const lists = manifest.bots[0]?.commandLists.filter((list) => list.scopes.includes(scope));
    const titles = (lists ?? []).flatMap((list) => list.commands.map((command) => command.title));
    expect(titles.toSorted()).toEqual(SUBCOMMANDS.toSorted());
  });

  it('lists only subcommands the kudos router answers', () => {
    const router = createKudosRouter({} as RecognitionServices);
    const names = router.subcommands.map((subcommand) => subcommand.name);
    expect(names).toEqual(expect.arrayContaining(SUBCOMMANDS));
  });
});

describe('the Teams app icons', () => {
  it('names color.png and outline.png in the manifest', () => {
    expect(manifest.icons).toEqual({ color: 'color.png', outline: 'outline.png' });
  });

  it('color.png is a 192×192 PNG, opaque everywhere', () => {
    const png = readPng(colorPng);
    expect([png.width, png.height]).toEqual([192, 192]);
    // Colour type 2 (truecolour) has no alpha channel; with alpha every pixel must be opaque.
    expect([2, 6]).toContain(png.colorType);
    if (png.colorType === 6) {
      expect(png.pixels.filter((value, index) => index % 4 === 3 && value !== 0xff)).toHaveLength(
        0,
      );
    }
    expect(new Set(png.filters)).toEqual(new Set([0]));
  });

  it('outline.png is a 32×32 PNG of white on a fully transparent background', () => {
    const png = readPng(outlinePng);
    expect([png.width, png.height]).toEqual([32, 32]);
    expect(png.colorType).toBe(6); // truecolour with alpha
    // The generator (scripts/teams-icons.ts) writes every row unfiltered.
    expect(new Set(png.filters)).toEqual(new Set([0]));
    let white = 0;
    let transparent = 0;
    const other: string[] = [];
    for (let index = 0; index < png.pixels.length; index += 4) {
      const [r, g, b, a] = png.pixels.subarray(index, index + 4);
      if (a === 0) transparent += 1;
      else if (r === 0xff && g === 0xff && b === 0xff && a === 0xff) white += 1;
      else other.push(`pixel ${index / 4}: ${[r, g, b, a].join(',')}`);
    }
    expect(other).toEqual([]);
    expect(white).toBeGreaterThan(100);
    expect(transparent).toBeGreaterThan(100);
  });
});

describe('the Teams app package', () => {
  const files = {
    manifest,
    icons: { 'color.png': colorPng, 'outline.png': outlinePng },
  };

  it('zips manifest.json and both icons at the root, with the app id filled in', () => {
    const entries = unzipSync(buildTeamsAppPackage(files, APP_ID));
    expect(Object.keys(entries).toSorted()).toEqual(['color.png', 'manifest.json', 'outline.png']);
    expect(Buffer.from(entries['color.png'] ?? []).equals(colorPng)).toBe(true);
    expect(Buffer.from(entries['outline.png'] ?? []).equals(outlinePng)).toBe(true);
    const packaged = JSON.parse(new TextDecoder().decode(entries['manifest.json'])) as Manifest;
    expect(packaged.id).toBe(APP_ID);
    expect(packaged.bots[0]?.botId).toBe(APP_ID);
    expect(JSON.stringify(packaged)).not.toContain(TEAMS_APP_ID_PLACEHOLDER);
    expect(schemaErrors(packaged)).toEqual([]);
    // Everything but the id is the manifest as written.
    expect({ ...packaged, id: manifest.id, bots: manifest.bots }).toEqual(manifest);
    expect(manifest.id).toBe(TEAMS_APP_ID_PLACEHOLDER);
  });

  it('makes the same bytes for the same inputs', () => {
    expect(buildTeamsAppPackage(files, APP_ID)).toEqual(buildTeamsAppPackage(files, APP_ID));
  });

  it.each([
    ['unset', undefined],
    ['empty', ''],
    ['not a GUID', 'plaudit-bot'],
    ['the placeholder', TEAMS_APP_ID_PLACEHOLDER],
  ])('refuses an app id that is %s', (_, appId) => {
    const problem = teamsAppIdProblem(appId);
    expect(problem).toMatch(/^TEAMS_APP_ID must [^\n]*\.$/);
    expect(() => buildTeamsAppPackage(files, appId ?? '')).toThrow(TeamsAppPackageError);
  });

  it('refuses a manifest whose icon is missing', () => {
    expect(() =>
      buildTeamsAppPackage({ manifest, icons: { 'color.png': colorPng } }, APP_ID),
    ).toThrow(/outline\.png is missing/);
  });
});

describe('npm run teams:package', () => {
  const temporary: string[] = [];
  afterAll(async () => {
    await Promise.all(temporary.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  /** Runs scripts/teams-package.ts as npm would, with `env` as TEAMS_APP_ID's environment. */
  function run(args: string[], env: Record<string, string | undefined>) {
    return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', 'scripts/teams-package.ts', ...args],
        { cwd: ROOT, env: { ...process.env, TEAMS_APP_ID: undefined, ...env } },
        (error, stdout, stderr) => {
          resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
        },
      );
    });
  }

  it('writes the zip into the folder given with --out and prints its path', async () => {
    const out = await mkdtemp(path.join(tmpdir(), 'plaudit-teams-'));
    temporary.push(out);
    const result = await run(['--out', out], { TEAMS_APP_ID: APP_ID });
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const zip = path.join(out, TEAMS_APP_PACKAGE_FILE);
    expect(result.stdout.trim()).toBe(zip);
    expect((await stat(zip)).isFile()).toBe(true);
    const entries = unzipSync(await readFile(zip));
    const packaged = JSON.parse(new TextDecoder().decode(entries['manifest.json'])) as Manifest;
    expect([packaged.id, packaged.bots[0]?.botId]).toEqual([APP_ID, APP_ID]);
  });

  it('takes the folder as a plain argument too', async () => {
    const out = path.join(await mkdtemp(path.join(tmpdir(), 'plaudit-teams-')), 'nested');
    temporary.push(path.dirname(out));
    const result = await run([out], { TEAMS_APP_ID: APP_ID });
    expect(result.code).toBe(0);
    expect((await stat(path.join(out, TEAMS_APP_PACKAGE_FILE))).isFile()).toBe(true);
  });

  it('exits 78 with one sentence when TEAMS_APP_ID is unset', async () => {
    const out = await mkdtemp(path.join(tmpdir(), 'plaudit-teams-'));
    temporary.push(out);
    const result = await run(['--out', out], {});
    expect(result.code).toBe(78);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim()).toBe(teamsAppIdProblem(undefined));
    expect(await readdir(out)).toEqual([]);
  });

  it('exits 64 with the usage for arguments it does not take', async () => {
    const result = await run(['--bogus'], { TEAMS_APP_ID: APP_ID });
    expect(result.code).toBe(64);
    expect(result.stderr.trim()).toMatch(/^Usage: npm run teams:package/);
  });

  it('exits 78 when TEAMS_APP_ID is not a GUID', async () => {
    const result = await run(['--out', tmpdir()], { TEAMS_APP_ID: 'plaudit-bot' });
    expect(result.code).toBe(78);
    expect(result.stderr.trim()).toBe(teamsAppIdProblem('plaudit-bot'));
  });
});
