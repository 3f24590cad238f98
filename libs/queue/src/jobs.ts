/**
 * The one registry of background jobs: name -> payload type. Job ids derive from business keys
 * (e.g. a generation id), so enqueueing the same work twice is harmless. Payloads never carry
 * secrets.
 */
export interface JobPayloads {
  'sessions.purge-expired': Record<string, never>;
  'billing.expire-reservations': Record<string, never>;
  'catalog.sync-openrouter': Record<string, never>;
}

export type JobName = keyof JobPayloads;

export type JobHandlers = { [N in JobName]: (payload: JobPayloads[N]) => Promise<unknown> };

/** Which queue each job runs on. */
export const JOB_QUEUE: Record<JobName, 'maintenance'> = {
  'sessions.purge-expired': 'maintenance',
  'billing.expire-reservations': 'maintenance',
  'catalog.sync-openrouter': 'maintenance',
};

/** Jobs the worker schedules itself, with their period. */
export const REPEATING_JOBS: readonly { name: JobName; everyMs: number }[] = [
  { name: 'sessions.purge-expired', everyMs: 60 * 60 * 1000 },
  // The period follows RESERVATION_TTL_SECONDS (a quarter of it, at most 30 s): see JobsModule.
  { name: 'billing.expire-reservations', everyMs: 30_000 },
  // A no-op unless OPENROUTER_API_KEY is set; one scheduler id, so one run per period across workers.
  { name: 'catalog.sync-openrouter', everyMs: 60 * 60 * 1000 },
];
