import { zipSync } from 'fflate';
import type { TeamsPackageSettings } from './teams-package-config.ts';

/**
 * The Teams app package (the zip uploaded to Teams or the Developer Portal): the manifest
 * in manifests/teams with the bot's Microsoft App ID, the developer's name and pages and the
 * valid domains filled in, and its two icons, all at the zip's root. `npm run teams:package`
 * (scripts/teams-package.ts) writes it; this module holds the logic, without file or
 * environment access.
 */

/** The app id in manifests/teams/manifest.json (`id`, `bots[0].botId`), replaced when packaging. */
export const TEAMS_APP_ID_PLACEHOLDER = '00000000-0000-0000-0000-000000000000';

/**
 * Plaudit's address in manifests/teams/manifest.json (the personal tab's page, and its host
 * in the sign-in resource `api://plaudit.example.com/botid-…`), replaced by PUBLIC_URL.
 */
export const PUBLIC_URL_PLACEHOLDER = 'https://plaudit.example.com';

/** The package's file name. */
export const TEAMS_APP_PACKAGE_FILE = 'plaudit-teams.zip';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A fixed time for every zip entry, so the same inputs make the same bytes. Zip times are
 * local (fflate reads the Date's local fields), so this is midnight in every time zone.
 */
const ENTRY_TIME = new Date(2020, 0, 1);

/** A manifest the package cannot be built from, or an unusable app id; the message is a sentence. */
export class TeamsAppPackageError extends Error {
  override name = 'TeamsAppPackageError';
}

/**
 * Why `appId` (TEAMS_APP_ID, empty counting as unset) cannot be packaged, as one sentence,
 * or undefined when it can.
 */
export function teamsAppIdProblem(appId: string | undefined): string | undefined {
  if (appId === undefined || appId === '') {
    return "TEAMS_APP_ID must be set to the bot's Microsoft App ID (a GUID) to package the Teams app.";
  }
  if (!GUID.test(appId)) {
    return `TEAMS_APP_ID must be the bot's Microsoft App ID, a GUID such as 1b4e28ba-2fa1-11d2-883f-0016d3cca427, not ${JSON.stringify(appId)}.`;
  }
  if (appId === TEAMS_APP_ID_PLACEHOLDER) {
    return `TEAMS_APP_ID must be the bot's own Microsoft App ID, not the manifest's placeholder ${TEAMS_APP_ID_PLACEHOLDER}.`;
  }
  return undefined;
}

/** A copy of `value` with `replace` applied to every string in it, however deep. */
function replaceStrings<T>(value: T, replace: (text: string) => string): T {
  const fill = (value: unknown): unknown => {
    if (typeof value === 'string') return replace(value);
    if (Array.isArray(value)) return value.map(fill);
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, fill(item)]));
    }
    return value;
  };
  return fill(value) as T;
}

/**
 * A copy of `manifest` with every occurrence of the placeholder id, in any string value
 * (`id`, `bots[0].botId`, `composeExtensions[0].botId`, the `api://…/botid-…` resource),
 * replaced by `appId`.
 */
export function fillTeamsAppId<T>(manifest: T, appId: string): T {
  const problem = teamsAppIdProblem(appId);
  if (problem !== undefined) throw new TeamsAppPackageError(problem);
  return replaceStrings(manifest, (text) => text.replaceAll(TEAMS_APP_ID_PLACEHOLDER, appId));
}

/**
 * A copy of `manifest` with Plaudit's placeholder address replaced by `publicUrl` (the
 * personal tab's page), and its host, in the sign-in resource `api://host/…`, by its host.
 */
export function fillPublicUrl<T>(manifest: T, publicUrl: string): T {
  const placeholderHost = new URL(PUBLIC_URL_PLACEHOLDER).hostname;
  const host = new URL(publicUrl).hostname;
  return replaceStrings(manifest, (text) =>
    text
      .replaceAll(PUBLIC_URL_PLACEHOLDER, publicUrl)
      .replaceAll(`api://${placeholderHost}/`, `api://${host}/`),
  );
}

/** The file names of the manifest's colour and outline icons, which sit beside it. */
export function teamsIconPaths(manifest: unknown): { color: string; outline: string } {
  const icons = (manifest as { icons?: { color?: unknown; outline?: unknown } } | null)?.icons;
  const color = icons?.color;
  const outline = icons?.outline;
  if (!isFileName(color) || !isFileName(outline)) {
    throw new TeamsAppPackageError(
      'The manifest must name its icons in icons.color and icons.outline, as file names beside it.',
    );
  }
  return { color, outline };
}

/** A plain file name: no folder, so the icon lands at the zip's root. */
function isFileName(value: unknown): value is string {
  return typeof value === 'string' && /^[\w-][\w.-]*$/.test(value);
}

export interface TeamsAppFiles {
  /** The parsed manifest, still holding the placeholder id. */
  manifest: unknown;
  /** The icon files' bytes, by the paths the manifest gives them (`teamsIconPaths`). */
  icons: Readonly<Record<string, Uint8Array>>;
}

/**
 * The manifest to publish: `manifest` with the app id and Plaudit's address (PUBLIC_URL)
 * filled in, the developer's name and pages replacing its example.com placeholders, and
 * PUBLIC_URL's host added to its valid domains. Throws TeamsAppPackageError for an unusable app id.
 */
export function publishedTeamsManifest(
  manifest: unknown,
  settings: TeamsPackageSettings,
): Record<string, unknown> {
  const filled = fillPublicUrl(
    fillTeamsAppId(manifest, settings.appId),
    settings.publicUrl,
  ) as Record<string, unknown>;
  const validDomains = Array.isArray(filled.validDomains) ? (filled.validDomains as unknown[]) : [];
  return {
    ...filled,
    developer: { ...(filled.developer as object | undefined), ...settings.developer },
    validDomains: [...new Set([...validDomains, ...settings.validDomains])],
  };
}

/**
 * The Teams app package's bytes: manifest.json (as `publishedTeamsManifest` makes it) and the
 * two icons, at the zip's root. Throws TeamsAppPackageError for an unusable app id or a
 * missing icon.
 */
export function buildTeamsAppPackage(
  files: TeamsAppFiles,
  settings: TeamsPackageSettings,
): Uint8Array {
  const manifest = publishedTeamsManifest(files.manifest, settings);
  const entries: Record<string, Uint8Array> = {
    'manifest.json': new TextEncoder().encode(`${JSON.stringify(manifest, null, 2)}\n`),
  };
  for (const path of Object.values(teamsIconPaths(manifest))) {
    const bytes = files.icons[path];
    if (bytes === undefined) throw new TeamsAppPackageError(`The icon ${path} is missing.`);
    entries[path] = bytes;
  }
  return zipSync(entries, { level: 9, mtime: ENTRY_TIME });
}
