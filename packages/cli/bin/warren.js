#!/usr/bin/env node
// The installed `warren` command. It is a checked-in file rather than dist/main.js itself so that
// npm can link it at install time, before the TypeScript build has produced dist/.
try {
  await import('../dist/main.js');
} catch (err) {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND') {
    process.stderr.write(`warren: not built yet (${err.message}); run "npm run build" in the repository root\n`);
    process.exit(1);
  }
  throw err;
}
