import { parseArgs } from 'node:util';
import { z } from 'zod/v4';
import { grantAdminByEmail } from './admin/operator-admin-grant.ts';
import { ConfigError, parseConfig } from './config.ts';
import { unhurriedDatabaseOptions } from './db/configured-database.ts';
import { DataFolderInUse } from './db/data-folder-lock.ts';
import { openDatabase } from './db/database.ts';
import { isEmailAddress } from './directory/members.ts';

const USAGE = 'Usage: npm run admin:grant -- email@company [--organization <id>]';

const ORGANIZATION_ID = { message: '--organization takes an organization id, a number' };

const grantArguments = z.object({
  email: z.string().refine(isEmailAddress, { message: 'Name one email address' }),
  organizationId: z.coerce
    .number(ORGANIZATION_ID)
    .int(ORGANIZATION_ID)
    .positive(ORGANIZATION_ID)
    .optional(),
});

/** The email and organization asked for, or a sentence saying what is wrong. */
function readArguments(args: string[]): z.infer<typeof grantArguments> | string {
  try {
    const { positionals, values } = parseArgs({
      args,
      allowPositionals: true,
      options: { organization: { type: 'string' } },
    });
    if (positionals.length !== 1) return `Name one email address. ${USAGE}`;
    const parsed = grantArguments.safeParse({
      email: positionals[0],
      organizationId: values.organization,
    });
    if (!parsed.success) return `${parsed.error.issues[0]?.message}. ${USAGE}`;
    return parsed.data;
  } catch (error) {
    // parseArgs refuses an option it does not know, or --organization without a value.
    return `${(error as Error).message}. ${USAGE}`;
  }
}

/**
 * `npm run admin:grant -- email@company [--organization <id>]`: makes the member with that
 * email an admin, audited as granted by the operator. Exits 0 when they are admin (made
 * now or already), 1 when refused (no such member, several organizations without
 * --organization, a bot or guest), 64 on wrong arguments, 75 when a running Plaudit holds
 * the embedded database's folder, 78 on a configuration error.
 */
try {
  const asked = readArguments(process.argv.slice(2));
  if (typeof asked === 'string') {
    console.error(asked);
    process.exit(64); // EX_USAGE
  }
  const config = parseConfig(process.env);
  const db = await openDatabase(unhurriedDatabaseOptions(config));
  try {
    const result = await grantAdminByEmail(db, asked.email, asked.organizationId);
    if (result.ok) {
      const { displayName, memberId, organizationName, granted } = result.value;
      console.log(
        granted
          ? `${displayName} (member ${memberId}) is now an admin of ${organizationName}.`
          : `${displayName} (member ${memberId}) is an admin of ${organizationName} already.`,
      );
    } else {
      console.error(`Cannot grant admin: ${result.message}`);
      process.exitCode = 1;
    }
  } finally {
    await db.destroy();
  }
} catch (error) {
  if (error instanceof ConfigError || error instanceof DataFolderInUse) {
    console.error(`Cannot grant admin: ${error.message}`);
    process.exit(error instanceof ConfigError ? 78 : 75);
  }
  throw error;
}
