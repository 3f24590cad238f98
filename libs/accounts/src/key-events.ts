import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { REDIS, REDIS_SUBSCRIBER, RedisKeys } from '@gw/queue';

export type KeyEvent =
  | { kind: 'key'; publicId: string }
  | { kind: 'tenant'; tenantId: string }
  /** The tenant's vault changed (provider key deleted, rotation): drop opened secrets. */
  | { kind: 'vault'; tenantId: string }
  | { kind: 'resync' };
type Listener = (event: KeyEvent) => void;

/**
 * Broadcasts "this key (or tenant) changed" to every API instance over Redis pub/sub, so that
 * in-process caches drop the entry within milliseconds. When the subscriber reconnects, messages may
 * have been missed, so listeners get a `resync` and must drop everything.
 */
@Injectable()
export class KeyEvents implements OnModuleInit, OnModuleDestroy {
  private readonly listeners = new Set<Listener>();
  private readonly channel: string;
  private readonly onMessage = (channel: string, message: string) => {
    if (channel === this.channel) this.emit(decode(message));
  };
  private readonly onReady = () => this.emit({ kind: 'resync' });

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(REDIS_SUBSCRIBER) private readonly subscriber: Redis,
    @Inject(RedisKeys) keys: RedisKeys,
  ) {
    this.channel = keys.key('events', 'keys');
  }

  onModuleInit(): void {
    this.subscriber.on('message', this.onMessage);
    this.subscriber.on('ready', this.onReady);
    // Not awaited: with Redis down the app must still start (and report not-ready); ioredis sends
    // the subscription once connected and renews it after every reconnect.
    this.subscriber.subscribe(this.channel).catch(() => undefined);
  }

  onModuleDestroy(): void {
    this.subscriber.off('message', this.onMessage);
    this.subscriber.off('ready', this.onReady);
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Applies the event locally at once, then tells the other instances. */
  async publish(event: KeyEvent): Promise<void> {
    this.emit(event);
    await this.redis.publish(this.channel, encode(event));
  }

  private emit(event: KeyEvent | null): void {
    if (!event) return;
    for (const listener of this.listeners) listener(event);
  }
}

function encode(event: KeyEvent): string {
  switch (event.kind) {
    case 'key':
      return `key:${event.publicId}`;
    case 'tenant':
      return `tenant:${event.tenantId}`;
    case 'vault':
      return `vault:${event.tenantId}`;
    case 'resync':
      return 'resync';
  }
}

function decode(message: string): KeyEvent | null {
  const [kind, id] = message.split(':', 2);
  if (kind === 'key' && id) return { kind: 'key', publicId: id };
  if (kind === 'tenant' && id) return { kind: 'tenant', tenantId: id };
  if (kind === 'vault' && id) return { kind: 'vault', tenantId: id };
  if (kind === 'resync') return { kind: 'resync' };
  return null;
}
