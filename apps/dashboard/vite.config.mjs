// Vite config for the dashboard; tools/build.js builds with it, `npx vite apps/dashboard` serves it
// in development (proxying the API to a gateway on :3000).
import { fileURLToPath, URL } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: here,
  base: '/',
  plugins: [react()],
  resolve: { alias: { '@gw/contracts': fileURLToPath(new URL('../../libs/contracts/src/index.ts', import.meta.url)) } },
  css: { postcss: here },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 1000,
    reportCompressedSize: false,
    rolldownOptions: {
      output: {
        // Pages load lazily (router.tsx). Beside them: the charts library and its dependencies in
        // one chunk for the pages that draw charts, the rest of node_modules in one long-cached
        // vendor chunk, and the app's shared components in one chunk instead of dozens of tiny ones.
        codeSplitting: {
          // Without this a group swallows what its modules import (recharts would take React along).
          includeDependenciesRecursively: false,
          groups: [
            {
              name: 'charts',
              priority: 3,
              test: /[\\/]node_modules[\\/](recharts|@mantine[\\/]charts|victory-vendor|d3-[a-z-]+|internmap|@reduxjs|react-redux|redux|redux-thunk|reselect|immer|es-toolkit|decimal\.js-light|eventemitter3|tiny-invariant)[\\/]/,
            },
            { name: 'vendor', priority: 2, test: /[\\/]node_modules[\\/]/ },
            { name: 'common', priority: 1, test: /[\\/]apps[\\/]dashboard[\\/]src[\\/](components|hooks|lib|api)[\\/]/ },
          ],
        },
      },
    },
  },
  server: {
    proxy: { '/api': 'http://localhost:3000', '/v1': 'http://localhost:3000' },
  },
});
