#!/usr/bin/env node
// Generates the Prisma client into libs/db/src/generated without downloading Prisma's native
// engine (see docs/development.md): the CLI only checks that an engine file exists.
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const result = spawnSync(process.execPath, [require.resolve('prisma/build/index.js', { paths: [root] }), 'generate'], {
  cwd: root,
  stdio: ['ignore', 'pipe', 'pipe'],
  env: {
    ...process.env,
    PRISMA_SCHEMA_ENGINE_BINARY: path.join(root, 'tools/schema-engine-stub.sh'),
    PRISMA_HIDE_UPDATE_MESSAGE: '1',
    CHECKPOINT_DISABLE: '1',
  },
});
if (result.status !== 0) {
  process.stderr.write(result.stdout);
  process.stderr.write(result.stderr);
  process.stderr.write('prisma generate failed\n');
  process.exit(result.status ?? 1);
}
console.log('Prisma client generated in libs/db/src/generated/prisma');
