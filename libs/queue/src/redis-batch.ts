import type { Redis } from 'ioredis';

interface Pending {
  readonly command: string;
  readonly args: readonly (string | number)[];
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

type PipelineCalls = Record<string, (...args: (string | number)[]) => unknown> & {
  exec(): Promise<[Error | null, unknown][] | null>;
};

/**
 * Sends the commands issued during one turn of the event loop as one pipeline. Under load, the
 * requests whose sockets became readable in the same turn reach this point together: they then
 * share one write to Redis and one read of the replies instead of a pair each (socket calls are
 * much of a request's cost). The batch goes out right after the turn's I/O callbacks
 * (setImmediate), so a lone request waits for nothing. `command` is an ioredis command or a
 * script registered with defineCommand.
 */
export class RedisBatch {
  private pending: Pending[] = [];
  private scheduled = false;

  constructor(private readonly redis: Redis) {}

  call(command: string, args: readonly (string | number)[]): Promise<unknown> {
    return new Promise<unknown>((resolve, reject) => {
      this.pending.push({ command, args, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(this.flush);
      }
    });
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    const batch = this.pending;
    this.pending = [];
    const pipeline = this.redis.pipeline() as unknown as PipelineCalls;
    const sent: Pending[] = [];
    for (const entry of batch) {
      const send = pipeline[entry.command];
      if (typeof send !== 'function') {
        entry.reject(new Error(`unknown Redis command ${entry.command}`));
        continue;
      }
      send.apply(pipeline, entry.args as (string | number)[]);
      sent.push(entry);
    }
    if (sent.length === 0) return;
    pipeline.exec().then(
      (results) => {
        sent.forEach((entry, index) => {
          const [error, value] = results?.[index] ?? [new Error('no reply from Redis'), null];
          if (error) entry.reject(error);
          else entry.resolve(value);
        });
      },
      (error: unknown) => {
        for (const entry of sent) entry.reject(error);
      },
    );
  };
}
