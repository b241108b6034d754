#!/usr/bin/env node
'use strict';

/*
 * Thin launcher for the compiled CLI.
 *
 * Contract with apps/cli/src/main.ts (compiled to dist/apps/cli/src/main.js):
 *   - it exports `async function main(argv: string[]): Promise<number>`, where
 *     argv excludes the node binary and script path (i.e. process.argv.slice(2))
 *     and the resolved number is the process exit code;
 *   - when run directly (`require.main === module`) it calls
 *     `main(process.argv.slice(2))` itself and sets `process.exitCode` the same way,
 *     so requiring it from here does NOT run it a second time.
 *
 * The CLI is built by `npm run build` (also run by `npm ci`/`npm install` via the
 * root `prepare` script).
 */

const path = require('node:path');
const fs = require('node:fs');

const entry = path.resolve(__dirname, '../../../dist/apps/cli/src/main.js');

if (!fs.existsSync(entry)) {
  process.stderr.write('fleetsim is not built: run `npm run build`\n');
  process.exit(1);
}

const cli = require(entry);

if (!cli || typeof cli.main !== 'function') {
  process.stderr.write(`fleetsim: ${entry} does not export a main(argv) function\n`);
  process.exit(1);
}

Promise.resolve()
  .then(() => cli.main(process.argv.slice(2)))
  .then(
    (code) => {
      process.exitCode = typeof code === 'number' ? code : 0;
    },
    (err) => {
      process.stderr.write(`${err && err.stack ? err.stack : String(err)}\n`);
      process.exitCode = 1;
    },
  );
