import { randomFillSync } from 'node:crypto';
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

const ID_RANDOM_BYTES = 10;
/** Random bytes for the next ids, drawn from the CSPRNG 4 KB at a time (one call per 409 ids). */
const idPool = Buffer.alloc(4096);
let idPoolOffset = idPool.length;

/** `gen-<unix seconds>-<20 hex digits: 80 random bits>`, like OpenRouter's ids; the response id and the record's key. */
export function newGenerationId(): string {
  if (idPoolOffset + ID_RANDOM_BYTES > idPool.length) {
    randomFillSync(idPool);
    idPoolOffset = 0;
  }
  const random = idPool.toString('hex', idPoolOffset, idPoolOffset + ID_RANDOM_BYTES);
  idPoolOffset += ID_RANDOM_BYTES;
  return `gen-${String(Math.floor(Date.now() / 1000))}-${random}`;
}
