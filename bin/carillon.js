#!/usr/bin/env node
// The `carillon` command: runs the compiled CLI (built by `npm install` through `prepare`).
import('../dist/server/cli.js').then((m) => m.main(process.argv.slice(2))).catch((err) => {
  console.error(err?.stack ?? String(err));
  process.exit(1);
});
