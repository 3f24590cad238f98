#!/usr/bin/env node
// `npm start`: compiles the server (about a second) and runs it. Everything else (services,
// database, migrations, admin bootstrap) happens in apps/api/src/main.ts.
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const build = spawnSync(process.execPath, [path.join(__dirname, 'build.js')], {
  cwd: root,
  stdio: ['ignore', 'ignore', 'inherit'],
});
if (build.status !== 0) process.exit(build.status ?? 1);
process.env.NODE_ENV ??= 'production';
require(path.join(root, 'dist/apps/api/src/main.js'));
