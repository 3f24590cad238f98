#!/usr/bin/env node
// Runs a TypeScript entry point from source (dev tools and CLIs): SWC transpiles on the fly and
// resolves the @gw/* path aliases from tsconfig.base.json.
'use strict';
const path = require('node:path');
process.env.SWC_NODE_PROJECT ??= path.resolve(__dirname, '../tsconfig.json');
require('@swc-node/register');
const entry = process.argv[2];
if (!entry) {
  console.error('usage: node tools/run-ts.js <file.ts> [args...]');
  process.exit(2);
}
process.argv.splice(1, 1);
require(path.resolve(entry));
