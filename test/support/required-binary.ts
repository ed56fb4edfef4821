import { accessSync, constants } from 'node:fs';
import path from 'node:path';

/**
 * The path of a program the test runs (Debian's caddy, promtool), found on PATH. A missing
 * one fails the test with the command that installs it: like Postgres and Redis, it is
 * required, never a reason to skip (`.ci/run` installs both).
 */
export function requiredBinary(name: string, debianPackage: string): string {
  for (const folder of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(folder, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not in this folder; try the next.
    }
  }
  throw new Error(
    `${name} is not installed (not found on PATH). Install Debian's package: apt-get install -y --no-install-recommends ${debianPackage}`,
  );
}
