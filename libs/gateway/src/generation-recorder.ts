import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { REDIS, RedisKeys } from '@gw/queue';
import type { GenerationRecord } from './generation.types';

/** Where generation records wait for the batched writer. */
export function generationStreamKey(keys: RedisKeys): string {
  return keys.key('stream', 'generations');
}

/** `gen-<unix seconds>-<random>`, like OpenRouter's ids; the response id and the record's key. */
export function newGenerationId(): string {
  // randomUUID draws from a cached entropy pool: far cheaper per call than randomBytes.
  return `gen-${String(Math.floor(Date.now() / 1000))}-${randomUUID().replaceAll('-', '').slice(0, 20)}`;
}

/**
 * Records a generation without a database round trip: one XADD to a Redis stream (pipelined,
 * sub-millisecond), awaited before the response completes, so a process killed after answering
 * loses nothing. GenerationWriter drains the stream into Postgres in batches, idempotently.
 * Records carry ids, counts and amounts only: never prompts, outputs or secrets.
 */
@Injectable()
export class GenerationRecorder {
  private readonly stream: string;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(RedisKeys) keys: RedisKeys,
  ) {
    this.stream = generationStreamKey(keys);
  }

  async record(generation: GenerationRecord): Promise<void> {
    await this.redis.xadd(this.stream, '*', 'g', JSON.stringify(generation));
  }
}
