import { randomUUID } from 'node:crypto';
import type { RedisKeys } from '@gw/queue';

/**
 * Where generation records wait for the batched writer. Records are queued by the settlement step
 * (CreditStore.settle, one atomic Redis script with the charge), awaited before the response
 * completes, so a process killed after answering loses nothing. They carry ids, counts and
 * amounts only: never prompts, outputs or secrets.
 */
export function generationStreamKey(keys: RedisKeys): string {
  return keys.key('stream', 'generations');
}

/** `gen-<unix seconds>-<random>`, like OpenRouter's ids; the response id and the record's key. */
export function newGenerationId(): string {
  // randomUUID draws from a cached entropy pool: far cheaper per call than randomBytes.
  return `gen-${String(Math.floor(Date.now() / 1000))}-${randomUUID().replaceAll('-', '').slice(0, 20)}`;
}
