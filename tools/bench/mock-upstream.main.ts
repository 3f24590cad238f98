import { startMockUpstream } from './mock-upstream';

/**
 * Runs the mock upstream in its own process (`node tools/run-ts.js tools/bench/mock-upstream.main.ts`)
 * so that it does not share an event loop with the load generator; prints `port=<n>` when ready.
 */
startMockUpstream().then(
  ({ server, port }) => {
    process.stdout.write(`port=${String(port)}\n`);
    process.on('SIGTERM', () => {
      server.closeAllConnections();
      server.close(() => process.exit(0));
    });
  },
  (error: unknown) => {
    process.stderr.write(`mock upstream failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
