import type { Redis } from 'ioredis';

interface Pending {
  readonly command: string;
  readonly args: readonly (string | number)[];
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
  /** Told, as the batch leaves, whether its bytes were handed to the kernel (send only). */
  readonly sent?: (handedOff: boolean) => void;
}

/** A command sent through the batch: when its bytes left, and its reply. */
export interface SentCommand {
  /**
   * Resolves as the batch is written: true when every byte of it was handed to the kernel's
   * socket buffer by that write (from then on the command reaches Redis even if this process dies;
   * on loopback it is already in Redis's own buffer) and the same command has already succeeded
   * on this connection; false when it waits in userland (no ready connection, or a full socket
   * buffer) or is the command's first on this connection. The second condition matters for
   * scripts: ioredis sends EVALSHA and, when Redis answers NOSCRIPT (a restarted or new server),
   * sends the script itself only then, so bytes that left are not yet the step that runs.
   */
  readonly handedOff: Promise<boolean>;
  readonly reply: Promise<unknown>;
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
  /** The connection `confirmed` speaks of: a new one (a reconnection) starts it afresh. */
  private confirmedOn: unknown = undefined;
  /** Commands sent with send() that have succeeded on that connection. */
  private confirmed = new Set<string>();

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
    return new Promise<unknown>((resolve, reject) => this.enqueue({ command, args, resolve, reject }));
  }

  /** Like call, and also tells when the command's bytes have left this process (see SentCommand). */
  send(command: string, args: readonly (string | number)[]): SentCommand {
    let sent: (handedOff: boolean) => void = () => undefined;
    const handedOff = new Promise<boolean>((resolve) => (sent = resolve));
    const reply = new Promise<unknown>((resolve, reject) => this.enqueue({ command, args, resolve, reject, sent }));
    return { handedOff, reply };
  }

  private enqueue(entry: Pending): void {
    this.pending.push(entry);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    const batch = this.pending;
    this.pending = [];
    const redis = this.redis as unknown as Commands;
    // Without a ready connection the commands wait in ioredis's offline queue; nothing to cork.
    const socket = this.redis.status === 'ready' ? this.redis.stream : undefined;
    if (socket !== undefined && socket !== this.confirmedOn) {
      this.confirmedOn = socket;
      this.confirmed = new Set();
    }
    socket?.cork();
    try {
      for (const entry of batch) {
        const send = redis[entry.command];
        if (typeof send !== 'function') {
          entry.reject(new Error(`unknown Redis command ${entry.command}`));
          continue;
        }
        const reply = send.apply(this.redis, entry.args) as Promise<unknown>;
        if (entry.sent && socket !== undefined && !this.confirmed.has(entry.command)) {
          reply.then((value) => {
            if (this.confirmedOn === socket) this.confirmed.add(entry.command);
            entry.resolve(value);
          }, entry.reject);
        } else reply.then(entry.resolve, entry.reject);
      }
    } finally {
      socket?.uncork();
    }
    // Uncorking wrote the batch: a write the kernel took whole completes at once, leaving nothing
    // buffered; what it could not take (or a connection not ready) stays in userland until later.
    // A refused command never succeeds, so it is never confirmed and hears false.
    const handedOff = socket !== undefined && !socket.destroyed && socket.writableLength === 0;
    for (const entry of batch) entry.sent?.(handedOff && this.confirmed.has(entry.command));
  };
}
