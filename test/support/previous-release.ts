/**
 * The release an upgrade starts from, in one place. The repository has no tags yet, so the
 * previous release is named by its commit: 2586b60, the last before Slack OAuth installs
 * (0018) and organization link codes (0020). Its newest migration is the schema every
 * database it ran has; its fixture is data that release's own code wrote. When a release
 * is tagged, point these at it and make its fixture as release-2586b60.sql's header says.
 */
export const PREVIOUS_RELEASE = {
  commit: '2586b60',
  lastMigration: '0017_max_reason_length',
  fixture: new URL('../fixtures/release-2586b60.sql', import.meta.url),
} as const;
