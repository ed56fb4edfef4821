// Preloaded into a Plaudit process by a test (NODE_OPTIONS=--import): as the process
// exits, it writes one line naming which of the packages in PLAUDIT_TEST_PACKAGES
// (comma-separated) it had loaded: from node_modules (CommonJS in require's cache, where
// importing one from an ES module puts it too; ES modules by the addresses the module
// loader resolved, which loaded-packages-hooks.mjs tells this thread), or bundled into a
// module of dist/ it loaded (esbuild marks each bundled file `// node_modules/<name>/…`).
import { readFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { fileURLToPath } from 'node:url';
import { MessageChannel } from 'node:worker_threads';

const require = createRequire(import.meta.url);
const watched = (process.env.PLAUDIT_TEST_PACKAGES ?? '').split(',').filter(Boolean);
const resolved = new Set();
const { port1, port2 } = new MessageChannel();
port1.on('message', (url) => resolved.add(url));
port1.unref();
register('./loaded-packages-hooks.mjs', import.meta.url, {
  data: { port: port2 },
  transferList: [port2],
});
process.on('exit', () => {
  const files = [
    ...Object.keys(require.cache),
    ...[...resolved].filter((url) => url.startsWith('file:')).map((url) => fileURLToPath(url)),
  ];
  const bundles = files
    .filter((file) => file.includes('/dist/') && !file.includes('/node_modules/'))
    .map((file) => readFileSync(file, 'utf8'));
  const loaded = watched.filter(
    (name) =>
      files.some((file) => file.includes(`/node_modules/${name}/`)) ||
      bundles.some((code) => code.includes(`// node_modules/${name}/`)),
  );
  process.stderr.write(`loaded packages: ${JSON.stringify(loaded)}\n`);
});
