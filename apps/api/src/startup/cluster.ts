import cluster, { type Worker } from 'node:cluster';
import { join } from 'node:path';

const STOP_GRACE_MS = 30_000;
const RESTART_DELAY_MS = 1_000;

export interface ClusterOptions {
  readonly workers: number;
  /** Called once, when every worker listens. */
  readonly onReady: () => void;
  readonly say: (line: string) => void;
}

/**
 * The main process of API_WORKERS > 1: it serves nothing itself. It starts the workers
 * (serve.main.js) on the shared port, starts a worker again when one dies, and on SIGTERM or
 * SIGINT stops them all (each finishes its requests) before it exits.
 */
export function runCluster(options: ClusterOptions): void {
  cluster.setupPrimary({ exec: join(__dirname, '..', 'serve.main.js') });
  let stopping = false;
  let announced = false;
  const ready = new Set<number>();

  const start = (index: number): void => {
    const worker = cluster.fork({ GW_WORKER_INDEX: String(index) });
    worker.on('message', (message: unknown) => {
      if (typeof message !== 'object' || message === null || (message as { kind?: unknown }).kind !== 'ready') return;
      ready.add(index);
      if (!announced && ready.size === options.workers) {
        announced = true;
        options.onReady();
      }
    });
    worker.once('exit', (code: number | null, signal: NodeJS.Signals | null) => {
      ready.delete(index);
      if (stopping) return;
      if (!announced) {
        // A worker that cannot start would fail again: the whole server fails, as one process would.
        options.say(`Worker ${String(index)} exited during start-up (${signal ?? `code ${String(code)}`}).`);
        void stop(1);
        return;
      }
      options.say(`Worker ${String(index)} exited (${signal ?? `code ${String(code)}`}); starting it again.`);
      setTimeout(() => {
        if (!stopping) start(index);
      }, RESTART_DELAY_MS).unref();
    });
  };

  const stop = async (code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
    const exited = workers.map((worker) => new Promise<void>((resolve) => worker.once('exit', () => resolve())));
    for (const worker of workers) worker.process.kill('SIGTERM');
    const force = setTimeout(() => {
      for (const worker of workers) worker.process.kill('SIGKILL');
    }, STOP_GRACE_MS);
    await Promise.all(exited);
    clearTimeout(force);
    process.exit(code);
  };

  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => void stop(0));
  for (let index = 0; index < options.workers; index++) start(index);
}
