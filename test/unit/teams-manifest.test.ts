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
  PUBLIC_URL_PLACEHOLDER,
  TEAMS_APP_ID_PLACEHOLDER,
  TEAMS_APP_PACKAGE_FILE,
  TeamsAppPackageError,
  teamsAppIdProblem,
} from '../../scripts/teams-app-package.ts';
import {
  TEAMS_PACKAGE_VARIABLES,
  type TeamsPackageSettings,
  teamsPackageSettings,
} from '../../scripts/teams-package-config.ts';
import { createKudosRouter } from '../../src/recognition/kudos-commands.ts';
import type { RecognitionServices } from '../../src/recognition/recognition-services.ts';
import { registerRewardCommands } from '../../src/rewards/reward-commands.ts';
import type { RewardDesk } from '../../src/rewards/reward-desk.ts';
import { GIVE_KUDOS_COMMAND } from '../../src/teams/teams-message-extension.ts';
import { TEAMS_TAB_PATH, teamsSsoResource } from '../../src/teams/teams-sso.ts';

interface Manifest {
  $schema: string;
  manifestVersion: string;
  id: string;
  developer: { name: string; websiteUrl: string; privacyUrl: string; termsOfUseUrl: string };
  validDomains: string[];
  icons: { color: string; outline: string };
  bots: Array<{
    botId: string;
    scopes: string[];
    supportsFiles: boolean;
    isNotificationOnly: boolean;
    commandLists: Array<{ scopes: string[]; commands: Array<{ title: string }> }>;
  }>;
  composeExtensions: Array<{
    botId: string;
    commands: Array<{ id: string; type: string; context: string[]; fetchTask: boolean }>;
  }>;
  staticTabs: Array<{ entityId: string; contentUrl?: string; scopes: string[] }>;
  webApplicationInfo: { id: string; resource: string };
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MANIFEST_DIR = path.join(ROOT, 'manifests/teams');
const SCOPES = ['personal', 'team', 'groupChat'];
/** What an employee types: kudos, and the rewards (HR's and admins' commands are not listed). */
const SUBCOMMANDS = [
  'give',
  'balance',
  'leaderboard',
  'history',
  'values',
  'rewards',
  'redeem',
  'redemptions',
  'help',
];
const APP_ID = '1b4e28ba-2fa1-11d2-883f-0016d3cca427';

/** A company's own publishing details, as teams:package reads them from the environment. */
const COMPANY = {
  TEAMS_DEVELOPER_NAME: 'Contoso Robotics',
  PUBLIC_URL: 'https://kudos.contoso-robotics.com',
  TEAMS_PRIVACY_URL: 'https://www.contoso-robotics.com/legal/privacy',
  TEAMS_TERMS_URL: 'https://www.contoso-robotics.com/legal/terms-of-use',
};
/** The manifest's `developer` and `validDomains` when packaged with COMPANY's details. */
const COMPANY_DEVELOPER = {
  name: 'Contoso Robotics',
  websiteUrl: 'https://kudos.contoso-robotics.com',
  privacyUrl: 'https://www.contoso-robotics.com/legal/privacy',
  termsOfUseUrl: 'https://www.contoso-robotics.com/legal/terms-of-use',
};
const COMPANY_DOMAINS = ['kudos.contoso-robotics.com'];

/** The settings teams:package makes of `env`, which must be accepted. */
function settingsOf(env: Record<string, string | undefined>): TeamsPackageSettings {
  const result = teamsPackageSettings(env);
  if (!result.ok) throw new Error(result.problems.join('\n'));
  return result.value;
}

/** The sentences teams:package refuses `env` with. */
function problemsOf(env: Record<string, string | undefined>): string[] {
  const result = teamsPackageSettings(env);
  expect(result.ok).toBe(false);
  return result.ok ? [] : result.problems;
}

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

  it("holds example.com placeholders for the developer's pages, for teams:package to replace", () => {
    const { name, ...pages } = manifest.developer;
    expect(name).toBe('Plaudit');
    for (const url of Object.values(pages)) expect(new URL(url).hostname).toBe('example.com');
    expect(manifest.validDomains).toEqual([]);
  });

  it('declares one conversational bot in personal, team and group chat scopes', () => {
    const [bot] = manifest.bots;
    expect(bot?.scopes.toSorted()).toEqual(SCOPES.toSorted());
    expect(bot?.supportsFiles).toBe(false);
    expect(bot?.isNotificationOnly).toBe(false);
  });

  it('declares the "Give kudos" action command from the compose box, the command box and messages', () => {
    expect(manifest.composeExtensions).toHaveLength(1);
    const [extension] = manifest.composeExtensions;
    // The bot answers the extension's invokes.
    expect(extension?.botId).toBe(TEAMS_APP_ID_PLACEHOLDER);
    expect(extension?.commands).toEqual([
      expect.objectContaining({
        id: GIVE_KUDOS_COMMAND,
        type: 'action',
        fetchTask: true,
        context: ['compose', 'commandBox', 'message'],
      }),
    ]);
  });

  it("declares the personal tab at Plaudit's address, the chat beside it, and its sign-in", () => {
    expect(manifest.staticTabs).toEqual([
      expect.objectContaining({
        contentUrl: `${PUBLIC_URL_PLACEHOLDER}${TEAMS_TAB_PATH}`,
        scopes: ['personal'],
      }),
      { entityId: 'conversations', scopes: ['personal'] },
    ]);
    expect(manifest.webApplicationInfo).toEqual({
      id: TEAMS_APP_ID_PLACEHOLDER,
      resource: teamsSsoResource(PUBLIC_URL_PLACEHOLDER, TEAMS_APP_ID_PLACEHOLDER),
    });
  });

  it.each(SCOPES)('lists exactly the kudos subcommands in the %s scope', (scope) => {
    const lists = manifest.bots[0]?.commandLists.filter((list) => list.scopes.includes(scope));
    const titles = (lists ?? []).flatMap((list) => list.commands.map((command) => command.title));
    expect(titles.toSorted()).toEqual(SUBCOMMANDS.toSorted());
  });

  it('lists only subcommands the kudos router answers', () => {
    const router = createKudosRouter({} as RecognitionServices);
    registerRewardCommands(router, {} as RewardDesk);
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
  const settings = settingsOf({ ...COMPANY, TEAMS_APP_ID: APP_ID });

  it("zips manifest.json and both icons at the root, with the app id and the company's details filled in", () => {
    const entries = unzipSync(buildTeamsAppPackage(files, settings));
    expect(Object.keys(entries).toSorted()).toEqual(['color.png', 'manifest.json', 'outline.png']);
    expect(Buffer.from(entries['color.png'] ?? []).equals(colorPng)).toBe(true);
    expect(Buffer.from(entries['outline.png'] ?? []).equals(outlinePng)).toBe(true);
    const packaged = JSON.parse(new TextDecoder().decode(entries['manifest.json'])) as Manifest;
    expect(packaged.id).toBe(APP_ID);
    expect(packaged.bots[0]?.botId).toBe(APP_ID);
    expect(packaged.composeExtensions[0]?.botId).toBe(APP_ID);
    // The tab is served at PUBLIC_URL, and signs in with the resource Plaudit checks tokens for.
    expect(packaged.staticTabs[0]?.contentUrl).toBe(`${COMPANY.PUBLIC_URL}${TEAMS_TAB_PATH}`);
    expect(packaged.webApplicationInfo).toEqual({
      id: APP_ID,
      resource: teamsSsoResource(COMPANY.PUBLIC_URL, APP_ID),
    });
    expect(JSON.stringify(packaged)).not.toContain(TEAMS_APP_ID_PLACEHOLDER);
    expect(packaged.developer).toEqual(COMPANY_DEVELOPER);
    expect(packaged.validDomains).toEqual(COMPANY_DOMAINS);
    expect(JSON.stringify(packaged)).not.toContain('example.com');
    expect(schemaErrors(packaged)).toEqual([]);
    // Everything but the ids, the addresses, the developer and the valid domains is the
    // manifest as written.
    expect({
      ...packaged,
      id: manifest.id,
      bots: manifest.bots,
      composeExtensions: manifest.composeExtensions,
      staticTabs: manifest.staticTabs,
      webApplicationInfo: manifest.webApplicationInfo,
      developer: manifest.developer,
      validDomains: manifest.validDomains,
    }).toEqual(manifest);
    expect({ ...packaged.bots[0], botId: TEAMS_APP_ID_PLACEHOLDER }).toEqual(manifest.bots[0]);
    expect({ ...packaged.composeExtensions[0], botId: TEAMS_APP_ID_PLACEHOLDER }).toEqual(
      manifest.composeExtensions[0],
    );
    expect(manifest.id).toBe(TEAMS_APP_ID_PLACEHOLDER);
  });

  it('makes the same bytes for the same inputs', () => {
    expect(buildTeamsAppPackage(files, settings)).toEqual(buildTeamsAppPackage(files, settings));
  });

  it.each([
    ['unset', undefined],
    ['empty', ''],
    ['not a GUID', 'plaudit-bot'],
    ['the placeholder', TEAMS_APP_ID_PLACEHOLDER],
  ])('refuses an app id that is %s', (_, appId) => {
    const problem = teamsAppIdProblem(appId);
    expect(problem).toMatch(/^TEAMS_APP_ID must [^\n]*\.$/);
    expect(problemsOf({ ...COMPANY, TEAMS_APP_ID: appId })).toEqual([problem]);
    expect(() => buildTeamsAppPackage(files, { ...settings, appId: appId ?? '' })).toThrow(
      TeamsAppPackageError,
    );
  });

  it('refuses a manifest whose icon is missing', () => {
    expect(() =>
      buildTeamsAppPackage({ manifest, icons: { 'color.png': colorPng } }, settings),
    ).toThrow(/outline\.png is missing/);
  });
});

describe("teams:package's settings", () => {
  const URL_VARIABLES = ['PUBLIC_URL', 'TEAMS_WEBSITE_URL', 'TEAMS_PRIVACY_URL', 'TEAMS_TERMS_URL'];

  it("takes the website from PUBLIC_URL, and PUBLIC_URL's host as the valid domain", () => {
    expect(settingsOf({ ...COMPANY, TEAMS_APP_ID: APP_ID })).toEqual({
      appId: APP_ID,
      developer: COMPANY_DEVELOPER,
      publicUrl: COMPANY.PUBLIC_URL,
      validDomains: COMPANY_DOMAINS,
    });
  });

  it('takes TEAMS_WEBSITE_URL over PUBLIC_URL for the website', () => {
    const website = 'https://www.contoso-robotics.com/plaudit';
    const settings = settingsOf({ ...COMPANY, TEAMS_APP_ID: APP_ID, TEAMS_WEBSITE_URL: website });
    expect(settings.developer).toEqual({ ...COMPANY_DEVELOPER, websiteUrl: website });
    expect(settings.validDomains).toEqual(COMPANY_DOMAINS);
  });

  it.each([
    ['TEAMS_DEVELOPER_NAME', /^TEAMS_DEVELOPER_NAME must be set to your company's name\b/],
    ['TEAMS_PRIVACY_URL', /^TEAMS_PRIVACY_URL must be set to your company's privacy statement\b/],
    ['TEAMS_TERMS_URL', /^TEAMS_TERMS_URL must be set to your company's terms of use\b/],
  ])(
    'refuses to package without %s (empty counting as unset), saying to set it',
    (variable, sentence) => {
      for (const value of [undefined, '', '  ']) {
        const problems = problemsOf({ ...COMPANY, TEAMS_APP_ID: APP_ID, [variable]: value });
        expect(problems).toHaveLength(1);
        expect(problems[0]).toMatch(sentence);
        expect(problems[0]).toMatch(/^[^\n]*\.$/);
      }
    },
  );

  it('refuses to package without PUBLIC_URL, where the tab is served, even with TEAMS_WEBSITE_URL', () => {
    for (const website of [undefined, 'https://www.contoso-robotics.com/plaudit']) {
      expect(
        problemsOf({
          ...COMPANY,
          TEAMS_APP_ID: APP_ID,
          PUBLIC_URL: undefined,
          TEAMS_WEBSITE_URL: website,
        }),
      ).toEqual([
        'PUBLIC_URL must be set to the https address people reach Plaudit at (such as https://kudos.your-company.com) to package the Teams app: the personal tab and its sign-in are served there.',
      ]);
    }
  });

  it.each(URL_VARIABLES)('refuses an example.com placeholder in %s, naming it', (variable) => {
    for (const placeholder of [
      manifest.developer.privacyUrl,
      'https://kudos.example.com',
      'https://www.EXAMPLE.org/terms',
      'https://plaudit.example/',
    ]) {
      expect(problemsOf({ ...COMPANY, TEAMS_APP_ID: APP_ID, [variable]: placeholder })).toEqual([
        `${variable} is the placeholder ${placeholder}: set it to your company's own address to package the Teams app.`,
      ]);
    }
  });

  it.each(URL_VARIABLES)('refuses %s that is not an https URL, naming it', (variable) => {
    for (const value of ['http://kudos.contoso-robotics.com', 'kudos.contoso-robotics.com']) {
      const problems = problemsOf({ ...COMPANY, TEAMS_APP_ID: APP_ID, [variable]: value });
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(
        new RegExp(
          `^${variable} must be an https URL, such as https://\\S+, to package the Teams app\\.$`,
        ),
      );
    }
  });

  it('refuses a developer name longer than the 32 characters Teams allows', () => {
    const name = 'Contoso Robotics and Heavy Industries';
    expect(problemsOf({ ...COMPANY, TEAMS_APP_ID: APP_ID, TEAMS_DEVELOPER_NAME: name })).toEqual([
      'TEAMS_DEVELOPER_NAME must be at most 32 characters, as Teams allows.',
    ]);
  });

  it('documents every variable it reads in .env.example and in README.md', async () => {
    const envExample = await readFile(path.join(ROOT, '.env.example'), 'utf8');
    const readme = await readFile(path.join(ROOT, 'README.md'), 'utf8');
    const teamsSection = readme.slice(readme.indexOf('\n## Microsoft Teams\n'));
    expect(TEAMS_PACKAGE_VARIABLES.toSorted()).toEqual([
      'PUBLIC_URL',
      'TEAMS_APP_ID',
      'TEAMS_DEVELOPER_NAME',
      'TEAMS_PRIVACY_URL',
      'TEAMS_TERMS_URL',
      'TEAMS_WEBSITE_URL',
    ]);
    for (const name of TEAMS_PACKAGE_VARIABLES) {
      expect(envExample, name).toMatch(new RegExp(`^(# )?${name}=`, 'm'));
      expect(teamsSection, name).toContain(`\`${name}\``);
    }
  });

  it('tells every problem at once, one sentence each naming its variable', () => {
    const problems = problemsOf({});
    expect(problems.map((problem) => /^[A-Z_]+/.exec(problem)?.[0])).toEqual([
      'TEAMS_APP_ID',
      'TEAMS_DEVELOPER_NAME',
      'PUBLIC_URL',
      'TEAMS_PRIVACY_URL',
      'TEAMS_TERMS_URL',
    ]);
    expect(problems[0]).toBe(teamsAppIdProblem(undefined));
  });
});

describe('npm run teams:package', () => {
  const temporary: string[] = [];
  afterAll(async () => {
    await Promise.all(temporary.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  /** The variables teams:package reads, unset unless a test gives them. */
  const UNSET = {
    TEAMS_APP_ID: undefined,
    TEAMS_DEVELOPER_NAME: undefined,
    PUBLIC_URL: undefined,
    TEAMS_WEBSITE_URL: undefined,
    TEAMS_PRIVACY_URL: undefined,
    TEAMS_TERMS_URL: undefined,
  };

  /** Runs scripts/teams-package.ts as npm would, with `env` as the variables it reads. */
  function run(args: string[], env: Record<string, string | undefined>) {
    return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', 'scripts/teams-package.ts', ...args],
        { cwd: ROOT, env: { ...process.env, ...UNSET, ...env } },
        (error, stdout, stderr) => {
          resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
        },
      );
    });
  }

  it('writes the zip into the folder given with --out and prints its path', async () => {
    const out = await mkdtemp(path.join(tmpdir(), 'plaudit-teams-'));
    temporary.push(out);
    const result = await run(['--out', out], { ...COMPANY, TEAMS_APP_ID: APP_ID });
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const zip = path.join(out, TEAMS_APP_PACKAGE_FILE);
    expect(result.stdout.trim()).toBe(zip);
    expect((await stat(zip)).isFile()).toBe(true);
    const entries = unzipSync(await readFile(zip));
    const packaged = JSON.parse(new TextDecoder().decode(entries['manifest.json'])) as Manifest;
    expect([packaged.id, packaged.bots[0]?.botId]).toEqual([APP_ID, APP_ID]);
    expect(packaged.developer).toEqual(COMPANY_DEVELOPER);
    expect(packaged.validDomains).toEqual(COMPANY_DOMAINS);
    expect(schemaErrors(packaged)).toEqual([]);
  });

  it('takes the folder as a plain argument too', async () => {
    const out = path.join(await mkdtemp(path.join(tmpdir(), 'plaudit-teams-')), 'nested');
    temporary.push(path.dirname(out));
    const result = await run([out], { ...COMPANY, TEAMS_APP_ID: APP_ID });
    expect(result.code).toBe(0);
    expect((await stat(path.join(out, TEAMS_APP_PACKAGE_FILE))).isFile()).toBe(true);
  });

  it('exits 78 with one sentence when TEAMS_APP_ID is unset', async () => {
    const out = await mkdtemp(path.join(tmpdir(), 'plaudit-teams-'));
    temporary.push(out);
    const result = await run(['--out', out], COMPANY);
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
    const result = await run(['--out', tmpdir()], { ...COMPANY, TEAMS_APP_ID: 'plaudit-bot' });
    expect(result.code).toBe(78);
    expect(result.stderr.trim()).toBe(teamsAppIdProblem('plaudit-bot'));
  });

  it("exits 78 saying which variables to set, writing nothing, without the company's details", async () => {
    const out = await mkdtemp(path.join(tmpdir(), 'plaudit-teams-'));
    temporary.push(out);
    const result = await run(['--out', out], { TEAMS_APP_ID: APP_ID });
    expect(result.code).toBe(78);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trim().split('\n');
    expect(lines).toEqual(problemsOf({ TEAMS_APP_ID: APP_ID }));
    expect(lines.map((line) => /^[A-Z_]+/.exec(line)?.[0])).toEqual([
      'TEAMS_DEVELOPER_NAME',
      'PUBLIC_URL',
      'TEAMS_PRIVACY_URL',
      'TEAMS_TERMS_URL',
    ]);
    expect(await readdir(out)).toEqual([]);
  });

  it("exits 78 for the manifest's own example.com pages, naming each variable", async () => {
    const out = await mkdtemp(path.join(tmpdir(), 'plaudit-teams-'));
    temporary.push(out);
    const result = await run(['--out', out], {
      TEAMS_APP_ID: APP_ID,
      TEAMS_DEVELOPER_NAME: 'Contoso Robotics',
      PUBLIC_URL: manifest.developer.websiteUrl,
      TEAMS_PRIVACY_URL: manifest.developer.privacyUrl,
      TEAMS_TERMS_URL: manifest.developer.termsOfUseUrl,
    });
    expect(result.code).toBe(78);
    expect(result.stderr.trim().split('\n')).toEqual([
      `PUBLIC_URL is the placeholder ${manifest.developer.websiteUrl}: set it to your company's own address to package the Teams app.`,
      `TEAMS_PRIVACY_URL is the placeholder ${manifest.developer.privacyUrl}: set it to your company's own address to package the Teams app.`,
      `TEAMS_TERMS_URL is the placeholder ${manifest.developer.termsOfUseUrl}: set it to your company's own address to package the Teams app.`,
    ]);
    expect(await readdir(out)).toEqual([]);
  });
});
