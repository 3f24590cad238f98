#!/usr/bin/env node
// Compiles the server (apps/api, apps/worker and every lib) to dist/ with SWC: one pass, no
// bundling, the same folder layout, @gw/* aliases rewritten to relative paths. Type checking is
// `npm run typecheck`'s job (and lint's); this stays fast enough to run on every `npm start`.
// Then builds the dashboard with Vite into apps/dashboard/dist, skipped when its sources are
// older than the last build. `--dashboard` builds only the dashboard.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const swc = require('@swc/core');

const root = path.resolve(__dirname, '..');
const outDir = path.join(root, 'dist');
const sources = ['apps/api/src', 'apps/worker/src', ...fs.readdirSync(path.join(root, 'libs')).map((lib) => `libs/${lib}/src`)];
const skip = /\.(spec|int-spec|e2e)\.ts$|\.d\.ts$/;

function listTs(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === '__fixtures__' || entry.name === 'e2e' ? [] : listTs(full);
    return entry.name.endsWith('.ts') && !skip.test(entry.name) ? [full] : [];
  });
}

const swcrc = JSON.parse(fs.readFileSync(path.join(root, '.swcrc'), 'utf8'));
delete swcrc.$schema;
const tsconfig = JSON.parse(fs.readFileSync(path.join(root, 'tsconfig.base.json'), 'utf8'));
const options = {
  ...swcrc,
  swcrc: false,
  jsc: { ...swcrc.jsc, baseUrl: root, paths: tsconfig.compilerOptions.paths },
};

const dashboardRoot = path.join(root, 'apps/dashboard');
const dashboardOut = path.join(dashboardRoot, 'dist');
const dashboardStamp = path.join(dashboardOut, '.sources');
const dashboardSources = [
  'apps/dashboard/src',
  'apps/dashboard/index.html',
  'apps/dashboard/vite.config.mjs',
  'apps/dashboard/postcss.config.cjs',
  'libs/contracts/src',
  'package-lock.json',
];

function listFiles(target) {
  if (!fs.existsSync(target)) return [];
  if (!fs.statSync(target).isDirectory()) return [target];
  return fs.readdirSync(target, { withFileTypes: true }).flatMap((entry) => listFiles(path.join(target, entry.name)));
}

/** Names and mtimes of every input: a change, addition or deletion alters it. */
function dashboardFingerprint() {
  return dashboardSources
    .flatMap((source) => listFiles(path.join(root, source)))
    .map((file) => `${path.relative(root, file)}:${fs.statSync(file).mtimeMs}`)
    .sort()
    .join('\n');
}

async function buildDashboard() {
  const started = Date.now();
  const fingerprint = dashboardFingerprint();
  const current = fs.existsSync(dashboardStamp) ? fs.readFileSync(dashboardStamp, 'utf8') : null;
  if (current === fingerprint && fs.existsSync(path.join(dashboardOut, 'index.html'))) {
    console.log('Dashboard is up to date (apps/dashboard/dist)');
    return;
  }
  // Vite is ESM-only.
  const { build } = await import('vite');
  await build({ configFile: path.join(dashboardRoot, 'vite.config.mjs'), logLevel: 'warn' });
  fs.writeFileSync(dashboardStamp, fingerprint);
  console.log(`Built the dashboard into apps/dashboard/dist in ${Date.now() - started} ms`);
}

async function main() {
  if (process.argv.includes('--dashboard')) return buildDashboard();
  await buildServer();
  await buildDashboard();
}

async function buildServer() {
  const started = Date.now();
  const files = sources.flatMap((dir) => listTs(path.join(root, dir)));
  fs.rmSync(outDir, { recursive: true, force: true });
  await Promise.all(
    files.map(async (file) => {
      const output = await swc.transformFile(file, { ...options, filename: file, sourceFileName: path.relative(root, file) });
      const target = path.join(outDir, path.relative(root, file)).replace(/\.ts$/, '.js');
      await fs.promises.mkdir(path.dirname(target), { recursive: true });
      await fs.promises.writeFile(target, `${output.code}\n//# sourceMappingURL=${path.basename(target)}.map\n`);
      if (output.map) await fs.promises.writeFile(`${target}.map`, output.map);
    }),
  );
  console.log(`Built ${files.length} files into dist/ in ${Date.now() - started} ms`);
}

main().catch((error) => {
  console.error(`Build failed: ${error && error.message ? error.message : error}`);
  process.exit(1);
});
