import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { JOB_QUEUE, type JobHandlers, type JobName, type JobPayloads, REPEATING_JOBS } from './jobs';
import { createRedis } from './redis';

/**
 * Runs the BullMQ workers for every queue in the registry and keeps the repeating jobs scheduled
 * (upsertJobScheduler is idempotent, so several workers can start at once).
 */
export class JobRunner {
  private readonly workers: Worker[] = [];
  private readonly queues = new Map<string, Queue>();
  private readonly connections: Redis[] = [];
  private readonly connection: Redis;

  constructor(
    private readonly redisUrl: string,
    private readonly prefix: string,
    private readonly handlers: JobHandlers,
    private readonly logger: Pick<Logger, 'info' | 'error'>,
    /** Per-deployment periods that override the registry's. */
    private readonly periods: Partial<Record<JobName, number>> = {},
  ) {
    this.connection = this.connect();
  }

  /** BullMQ needs connections that retry forever (maxRetriesPerRequest: null). */
  private connect(): Redis {
    const redis = createRedis(this.redisUrl, { maxRetriesPerRequest: null });
    this.connections.push(redis);
    return redis;
  }

  async start(): Promise<void> {
    for (const queueName of new Set(Object.values(JOB_QUEUE))) {
      const worker = new Worker(queueName, (job) => this.dispatch(job.name as JobName, job.data), {
        connection: this.connect(),
        prefix: this.prefix,
        concurrency: 4,
      });
      worker.on('failed', (job, error) => {
        this.logger.error({ job: job?.name, jobId: job?.id, err: error.message }, 'job failed');
      });
      worker.on('error', (error) => {
        this.logger.error({ err: error.message }, 'worker error');
      });
      this.workers.push(worker);
    }
    for (const { name, everyMs } of REPEATING_JOBS) {
      const every = this.periods[name] ?? everyMs;
      await this.queue(JOB_QUEUE[name]).upsertJobScheduler(name, { every }, { name, data: {} });
    }
  }

  async enqueue<N extends JobName>(name: N, payload: JobPayloads[N], jobId?: string): Promise<void> {
    await this.queue(JOB_QUEUE[name]).add(name, payload, { jobId, removeOnComplete: 1000, removeOnFail: 5000 });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.close()));
    await Promise.all([...this.queues.values()].map((queue) => queue.close()));
    for (const redis of this.connections) redis.disconnect();
  }

  private queue(name: string): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, { connection: this.connection, prefix: this.prefix });
      this.queues.set(name, queue);
    }
    return queue;
  }

  private async dispatch(name: JobName, data: unknown): Promise<unknown> {
    const handler = this.handlers[name] as ((payload: unknown) => Promise<unknown>) | undefined;
    if (!handler) throw new Error(`No handler for job ${name}`);
    return handler(data);
  }
}
