import { fileURLToPath } from 'node:url';

/** The processes' entry points: src/<name>.ts, compiled to dist/<name>.js by `npm run build`. */
export type EntryPoint = 'main' | 'migrate-main' | 'ledger-verify-main' | 'admin-grant-main';

/**
 * The command line that runs an entry point as production does: plain node on the build
 * (no tsx loader). test/support/global-setup.ts builds dist/ once per test run.
 */
export function builtEntry(entry: EntryPoint = 'main'): string[] {
  return [fileURLToPath(new URL(`../../dist/${entry}.js`, import.meta.url))];
}
