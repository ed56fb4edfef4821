import { parseArgs } from 'node:util';
import { grantAdminByEmail } from './admin/operator-admin-grant.ts';
import { ConfigError, parseConfig } from './config.ts';
import { unhurriedDatabaseOptions } from './db/configured-database.ts';
import { DataFolderInUse } from './db/data-folder-lock.ts';
import { openDatabase } from './db/database.ts';

const USAGE = 'Usage: npm run admin:grant -- email@company [--organization <id>]';

/** The email and organization asked for, or a sentence saying what is wrong. */
function readArguments(args: string[]): { email: string; organizationId?: number } | string {
  let parsed: ReturnType<typeof parse>;
  const parse = () =>
    parseArgs({ args, allowPositionals: true, options: { organization: { type: 'string' } } });
  try {
    parsed = parse();
  } catch (error) {
    return `${(error as Error).message}. ${USAGE}`;
  }
  const [email, ...extra] = parsed.positionals;
  if (!email || extra.length > 0) return `Name one email. ${USAGE}`;
  const organization = parsed.values.organization;
  if (organization === undefined) return { email };
  if (!/^[1-9][0-9]{0,15}$/.test(organization))
    return `--organization takes an organization id, a number. ${USAGE}`;
  return { email, organizationId: Number(organization) };
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
