// One jest run, three tiers: pure unit specs (*.spec.ts), integration specs (*.int-spec.ts) that
// talk to the real Postgres and Redis, and browser specs (apps/dashboard/e2e/*.e2e-spec.ts) that
// drive the dashboard in Chromium against the real API.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const swcrc = JSON.parse(fs.readFileSync(path.join(__dirname, '.swcrc'), 'utf8'));
delete swcrc.$schema;
const transform = { '^.+\\.(t|j)sx?$': ['@swc/jest', { ...swcrc, swcrc: false }] };
const moduleNameMapper = { '^@gw/([a-z-]+)$': '<rootDir>/libs/$1/src/index.ts' };
const roots = ['<rootDir>/apps', '<rootDir>/libs'];
const common = {
  rootDir: __dirname,
  roots,
  transform,
  moduleNameMapper,
  testEnvironment: 'node',
  modulePathIgnorePatterns: ['<rootDir>/dist/'],
};

module.exports = {
  testTimeout: 30000,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['**/*.spec.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['**/*.int-spec.ts'],
      globalSetup: '<rootDir>/libs/testing/src/jest/global-setup.ts',
      globalTeardown: '<rootDir>/libs/testing/src/jest/global-teardown.ts',
    },
    {
      ...common,
      displayName: 'browser',
      roots: ['<rootDir>/apps/dashboard/e2e'],
      testMatch: ['**/*.e2e-spec.ts'],
      globalSetup: '<rootDir>/libs/testing/src/jest/global-setup.ts',
      globalTeardown: '<rootDir>/libs/testing/src/jest/global-teardown.ts',
    },
  ],
};
