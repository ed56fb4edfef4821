import type { Logger } from 'pino';
import { newTokenSecret, retireSeededTokens, seedApiToken } from '../../admin/api-tokens.ts';
import type { Database } from '../../db/database.ts';

/** The name the API token seeded from PLAUDIT_ADMIN_TOKEN goes by in its organization. */
export const DEPLOYMENT_TOKEN_NAME = 'PLAUDIT_ADMIN_TOKEN';

export interface DeploymentTokenOptions {
  readonly db: Database;
  /** PLAUDIT_ADMIN_TOKEN, when set. */
  readonly adminToken: string | undefined;
  /** Local mode's organization (the demo's); undefined elsewhere. */
  readonly localOrganizationId: number | undefined;
  readonly logger: Logger;
  /** Where local mode shows its token: a line on standard output, never a log line. */
  readonly print: (line: string) => void;
}

/**
 * The first way into the API. PLAUDIT_ADMIN_TOKEN is the operators' token (the queue
 * dashboard, /metrics, the billing statements), whatever the number of organizations; it
 * is also an admin API token of the organization when the database holds exactly one (a
 * changed one retires the one before). With several, it is nobody's API token: a token
 * seeded while there was one is retired (audited, and logged), and each organization's
 * admins make their own (`/kudos admin tokens create`), so the operators hold no
 * organization's keys by the accident of which was first. Local mode without it draws a
 * new admin token of its organization at each start and prints it once, for the person
 * at the terminal: it goes to standard output, not to the logs, which may be shipped
 * elsewhere.
 */
export async function seedDeploymentToken(options: DeploymentTokenOptions): Promise<void> {
  const { db, adminToken, logger } = options;
  if (adminToken) {
    const organizations = await db.selectFrom('organizations').select('id').limit(2).execute();
    const [only, second] = organizations;
    if (only && !second) {
      const seeded = await seedApiToken(db, only.id, adminToken, DEPLOYMENT_TOKEN_NAME);
      if (!seeded.ok) {
        logger.warn(
          { organizationId: only.id, reason: seeded.message },
          'PLAUDIT_ADMIN_TOKEN is not an API token here',
        );
      }
      return;
    }
    const retired = await retireSeededTokens(db, DEPLOYMENT_TOKEN_NAME);
    if (retired.length > 0) {
      logger.warn(
        { organizations: retired },
        'PLAUDIT_ADMIN_TOKEN is no API token now that the database holds several organizations: the one seeded before is revoked; admins make their own with /kudos admin tokens create',
      );
    }
    return;
  }
  if (options.localOrganizationId === undefined) return;
  const secret = newTokenSecret();
  const seeded = await seedApiToken(db, options.localOrganizationId, secret, 'local mode');
  if (!seeded.ok) throw new Error(`local mode could not make its API token: ${seeded.message}`);
  options.print(`API token for local mode (admin, replaced at each start): ${secret}\n`);
}
