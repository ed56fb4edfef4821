// Preloaded into a Plaudit process by a test (NODE_OPTIONS=--import): as the process
// exits, it writes one line naming which of the packages in PLAUDIT_TEST_PACKAGES
// (comma-separated) it had loaded. They are CommonJS packages, found in require's cache,
// where importing one from an ES module puts it too.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const watched = (process.env.PLAUDIT_TEST_PACKAGES ?? '').split(',').filter(Boolean);
process.on('exit', () => {
  const files = Object.keys(require.cache);
  const loaded = watched.filter((name) =>
    files.some((file) => file.includes(`/node_modules/${name}/`)),
  );
  process.stderr.write(`loaded packages: ${JSON.stringify(loaded)}\n`);
});
