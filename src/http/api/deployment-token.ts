import type { Logger } from 'pino';
import { newTokenSecret, seedApiToken } from '../../admin/api-tokens.ts';
import type { Database } from '../../db/database.ts';

export interface DeploymentTokenOptions {
  readonly db: Database;
  readonly organizationId: number;
  /** PLAUDIT_ADMIN_TOKEN, when set. */
  readonly adminToken: string | undefined;
  readonly local: boolean;
  readonly logger: Logger;
  /** Where local mode shows its token: a line on standard output, never a log line. */
  readonly print: (line: string) => void;
}

/**
 * The first way into the API. PLAUDIT_ADMIN_TOKEN becomes an admin token of the
 * deployment's organization (a changed one retires the one before). Local mode without it
 * draws a new admin token at each start and prints it once, for the person at the
 * terminal: it goes to standard output, not to the logs, which may be shipped elsewhere.
 */
export async function seedDeploymentToken(options: DeploymentTokenOptions): Promise<void> {
  const { db, organizationId, adminToken, local, logger } = options;
  if (adminToken) {
    const seeded = await seedApiToken(db, organizationId, adminToken, 'PLAUDIT_ADMIN_TOKEN');
    if (!seeded.ok) {
      logger.warn(
        { organizationId, reason: seeded.message },
        'PLAUDIT_ADMIN_TOKEN is not an API token here',
      );
    }
    return;
  }
  if (!local) return;
  const secret = newTokenSecret();
  const seeded = await seedApiToken(db, organizationId, secret, 'local mode');
  if (!seeded.ok) throw new Error(`local mode could not make its API token: ${seeded.message}`);
  options.print(`API token for local mode (admin, replaced at each start): ${secret}\n`);
}
