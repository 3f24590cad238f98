/**
 * Where the gateway writes its answer; the HTTP layer implements it over the raw response so the
 * use case knows nothing of Fastify.
 */
export interface ResponseSink {
  /** True once a status line and headers were sent (a stream started). */
  readonly started: boolean;
  /** A header for whatever answer follows (rate-limit headers, for instance). */
  setHeader(name: string, value: string): void;
  /** A complete JSON answer (non-streaming success). */
  json(status: number, body: unknown, headers?: Record<string, string>): void;
  /** Sends 200 and the SSE headers. */
  startStream(): void;
  write(text: string): void;
  end(): void;
}
