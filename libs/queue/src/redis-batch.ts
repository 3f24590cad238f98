import type { Redis } from 'ioredis';

interface Pending {
  readonly command: string;
  readonly args: readonly (string | number)[];
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

type Commands = Record<string, unknown>;

const shared = new WeakMap<Redis, RedisBatch>();

/**
 * Sends the commands issued during one turn of the event loop in one socket write. Under load,
 * the requests whose sockets became readable in the same turn reach this point together: they then
 * share one write to Redis and one read of the replies instead of a pair each (socket calls are
 * much of a request's cost). The batch goes out right after the turn's I/O callbacks
 * (setImmediate), so a lone request waits for nothing. `command` is an ioredis command or a
 * script registered with defineCommand.
 *
 * The commands are sent one by one on a corked socket, which uncorks into a single write. An
 * ioredis pipeline would do the same in one write, but every pipeline (auto-pipelining included)
 * leaves objects that survive young-generation collections: at thousands of requests per second
 * that doubled the gateway's collection work and its pauses.
 */
export class RedisBatch {
  private pending: Pending[] = [];
  private scheduled = false;

  constructor(private readonly redis: Redis) {}

  /** One batch per connection, so that every caller of a turn shares its write. */
  static of(redis: Redis): RedisBatch {
    let batch = shared.get(redis);
    if (!batch) {
      batch = new RedisBatch(redis);
      shared.set(redis, batch);
    }
    return batch;
  }

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
    const redis = this.redis as unknown as Commands;
    // Without a ready connection the commands wait in ioredis's offline queue; nothing to cork.
    const socket = this.redis.status === 'ready' ? this.redis.stream : undefined;
    socket?.cork();
    try {
      for (const entry of batch) {
        const send = redis[entry.command];
        if (typeof send !== 'function') {
          entry.reject(new Error(`unknown Redis command ${entry.command}`));
          continue;
        }
        (send.apply(this.redis, entry.args) as Promise<unknown>).then(entry.resolve, entry.reject);
      }
    } finally {
      socket?.uncork();
    }
  };
}
