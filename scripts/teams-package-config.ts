import { z } from 'zod/v4';
import { teamsAppIdProblem } from './teams-app-package.ts';

/**
 * What `npm run teams:package` reads from the environment. Only the packaging script reads
 * these (the running app never does), so they live here rather than in src/config.ts.
 */

const PACKAGING = 'to package the Teams app';

/** The domains reserved for examples (RFC 2606): placeholders, never a company's own page. */
function isPlaceholderHost(hostname: string): boolean {
  return /(^|\.)example(\.(com|net|org))?\.?$/i.test(hostname);
}

function isHttpsUrl(value: string): boolean {
  return URL.canParse(value) && new URL(value).protocol === 'https:' && value.length <= 2048;
}

/** An empty value means unset, as in .env.example. */
const unsetWhenEmpty = (value: unknown) =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;

/** An https URL that is not an example.com placeholder; `unset` is the sentence when missing. */
function httpsUrl(variable: string, example: string, unset?: string) {
  return z
    .string(unset === undefined ? undefined : { error: unset })
    .trim()
    .refine(isHttpsUrl, {
      error: `${variable} must be an https URL, such as ${example}, ${PACKAGING}.`,
      abort: true,
    })
    .refine((value) => !isPlaceholderHost(new URL(value).hostname), {
      error: (issue) =>
        `${variable} is the placeholder ${String(issue.input)}: set it to your company's own address ${PACKAGING}.`,
    });
}

const packageVariables = z.object({
  TEAMS_APP_ID: z.preprocess(
    unsetWhenEmpty,
    z.string({ error: teamsAppIdProblem(undefined) }).superRefine((appId, ctx) => {
      const problem = teamsAppIdProblem(appId);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
    }),
  ),
  TEAMS_DEVELOPER_NAME: z.preprocess(
    unsetWhenEmpty,
    z
      .string({
        error: `TEAMS_DEVELOPER_NAME must be set to your company's name, which Teams shows as the app's developer, ${PACKAGING}.`,
      })
      .trim()
      .max(32, { error: 'TEAMS_DEVELOPER_NAME must be at most 32 characters, as Teams allows.' }),
  ),
  PUBLIC_URL: z.preprocess(
    unsetWhenEmpty,
    httpsUrl(
      'PUBLIC_URL',
      'https://kudos.your-company.com',
      `PUBLIC_URL must be set to the https address people reach Plaudit at (such as https://kudos.your-company.com) ${PACKAGING}: the personal tab and its sign-in are served there.`,
    ),
  ),
  TEAMS_WEBSITE_URL: z.preprocess(
    unsetWhenEmpty,
    httpsUrl('TEAMS_WEBSITE_URL', 'https://kudos.your-company.com').optional(),
  ),
  TEAMS_PRIVACY_URL: z.preprocess(
    unsetWhenEmpty,
    httpsUrl(
      'TEAMS_PRIVACY_URL',
      'https://your-company.com/privacy',
      `TEAMS_PRIVACY_URL must be set to your company's privacy statement (an https URL) ${PACKAGING}; Plaudit does not serve one.`,
    ),
  ),
  TEAMS_TERMS_URL: z.preprocess(
    unsetWhenEmpty,
    httpsUrl(
      'TEAMS_TERMS_URL',
      'https://your-company.com/terms',
      `TEAMS_TERMS_URL must be set to your company's terms of use (an https URL) ${PACKAGING}; Plaudit does not serve them.`,
    ),
  ),
});

/** The variables teams:package reads. */
export const TEAMS_PACKAGE_VARIABLES = Object.keys(packageVariables.shape);

const packageEnvironment = packageVariables.transform((env) => ({
  appId: env.TEAMS_APP_ID,
  developer: {
    name: env.TEAMS_DEVELOPER_NAME,
    websiteUrl: env.TEAMS_WEBSITE_URL ?? env.PUBLIC_URL,
    privacyUrl: env.TEAMS_PRIVACY_URL,
    termsOfUseUrl: env.TEAMS_TERMS_URL,
  },
  // Where the personal tab is served, and whose host names its sign-in (SSO) resource.
  publicUrl: env.PUBLIC_URL.replace(/\/+$/, ''),
  // The host people open Plaudit at is the one domain the app's pages come from.
  validDomains: [new URL(env.PUBLIC_URL).hostname],
}));

/**
 * What the package is built with: the app id, the developer's details, Plaudit's address
 * and the valid domains.
 */
export type TeamsPackageSettings = z.output<typeof packageEnvironment>;

export type TeamsPackageSettingsResult =
  | { ok: true; value: TeamsPackageSettings }
  | { ok: false; code: 'teams-package-config'; problems: string[] };

/**
 * The package's settings from `env`: TEAMS_APP_ID, TEAMS_DEVELOPER_NAME, PUBLIC_URL,
 * TEAMS_PRIVACY_URL, TEAMS_TERMS_URL, and TEAMS_WEBSITE_URL (default PUBLIC_URL); PUBLIC_URL's
 * host becomes the valid domain. Refused with one sentence per problem, each naming the variable to set.
 */
export function teamsPackageSettings(
  env: Readonly<Record<string, string | undefined>>,
): TeamsPackageSettingsResult {
  const parsed = packageEnvironment.safeParse(env);
  if (parsed.success) return { ok: true, value: parsed.data };
  return {
    ok: false,
    code: 'teams-package-config',
    problems: parsed.error.issues.map((issue) => issue.message),
  };
}
