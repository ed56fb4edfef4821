import { ConfigError, parseConfig } from './config.ts';
import { unhurriedDatabaseOptions } from './db/configured-database.ts';
import { DataFolderInUse } from './db/data-folder-lock.ts';
import { openDatabase } from './db/database.ts';
import { describeViolation } from './ledger/ledger-violations.ts';
import { verifyLedger } from './verification/ledger-verification.ts';

/**
 * `npm run ledger:verify`: checks every invariant of the configured database's ledger
 * (read only, in snapshots that lock out no writer), prints each violation on a line of
 * its own naming the row, then a summary. Exits 0 when nothing is wrong, 1 when anything
 * is, 2 when the database could not be verified, 78 on a configuration error.
 */
try {
  const config = parseConfig(process.env);
  // No statement limit: a large ledger's sums may take longer than any request should.
  const db = await openDatabase(unhurriedDatabaseOptions(config));
  try {
    let listed = 0;
    const result = await verifyLedger(db, {
      onViolation: (violation) => {
        listed += 1;
        console.log(describeViolation(violation));
      },
    });
    const seconds = (result.finishedAt.getTime() - result.startedAt.getTime()) / 1000;
    const unlisted = result.violations - listed;
    console.log(
      `ledger verified: ${result.organizations} organizations, ${result.violations} violations in ${seconds.toFixed(1)} s${
        unlisted > 0 ? ` (${unlisted} not listed: each check lists 100 per organization)` : ''
      }`,
    );
    process.exitCode = result.violations > 0 ? 1 : 0;
  } catch (error) {
    console.error(`Cannot verify the ledger: ${(error as Error).message}`);
    process.exitCode = 2;
  } finally {
    await db.destroy();
  }
} catch (error) {
  if (error instanceof DataFolderInUse) {
    console.error(`Cannot verify the ledger: ${error.message}`);
    process.exit(75); // EX_TEMPFAIL: it can run once the other process stops
  }
  if (!(error instanceof ConfigError)) throw error;
  console.error(`Cannot verify the ledger: ${error.message}`);
  process.exit(78);
}
