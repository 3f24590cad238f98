import type { IncomingMessage } from 'node:http';
import { ANY_CREDENTIAL } from './behaviour';
import { type ClientGone, DisconnectLog, FakeHttpServer, type HttpExchange, ScriptQueues } from './fake-http';

export interface ScriptedFakeSettings<B, R, D> {
  /** Names the fake in its errors, e.g. `fake Bedrock`. */
  readonly label: string;
  /** What requests get when nothing is scripted, and again after `reset()`. */
  readonly ok: B;
  /** The fake's own record of a client that went away mid-response. */
  readonly disconnect: (gone: ClientGone<R>) => D;
}

/**
 * What the model-API fakes have in common: a loopback server, requests recorded in arrival
 * order, behaviours scripted per key (a credential, an account, …) and client disconnects to wait
 * for. `B` is the fake's behaviour, `R` its recorded request, `D` its disconnect record.
 */
export abstract class ScriptedFake<B, R, D> {
  /** Every request received since start or the last `reset()`, in arrival order. */
  readonly requests: R[] = [];
  /** Every client disconnect since start or the last `reset()`. */
  readonly disconnects: D[];

  protected readonly http: FakeHttpServer<R>;
  protected readonly queues: ScriptQueues<B>;
  private readonly disconnectLog: DisconnectLog<D>;

  protected constructor(settings: ScriptedFakeSettings<B, R, D>) {
    this.queues = new ScriptQueues(settings.ok);
    this.disconnectLog = new DisconnectLog(settings.label);
    this.disconnects = this.disconnectLog.entries;
    this.http = new FakeHttpServer({
      label: settings.label,
      handle: (req, exchange) => this.handle(req, exchange),
      onDisconnect: (gone) => this.disconnectLog.record(settings.disconnect(gone)),
    });
  }

  protected async listen(): Promise<this> {
    await this.http.listen();
    return this;
  }

  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:40123`. */
  get url(): string {
    return this.http.url;
  }

  /** TCP connections currently open, idle keep-alive ones included. */
  get openConnections(): number {
    return this.http.openConnections;
  }

  /** TCP connections accepted since the fake started. */
  get acceptedConnections(): number {
    return this.http.acceptedConnections;
  }

  /**
   * Queues behaviours for requests carrying `key` (`ANY_CREDENTIAL` = `'*'` for requests with
   * nothing queued under their own keys). Each request consumes one; an empty queue means `ok`.
   */
  script(key: string, ...behaviours: readonly B[]): this {
    for (const behaviour of behaviours) this.assertSupported(behaviour);
    this.queues.add(key, behaviours);
    return this;
  }

  /** What requests get once the queues are empty (`ok` until changed or `reset()`). */
  setDefault(behaviour: B): this {
    this.assertSupported(behaviour);
    this.queues.setDefault(behaviour);
    return this;
  }

  /** Scripted behaviours not yet consumed for `key`. */
  pending(key: string = ANY_CREDENTIAL): number {
    return this.queues.pending(key);
  }

  /** Forgets recorded requests, disconnects and scripts; open connections are left alone. */
  reset(): void {
    this.requests.length = 0;
    this.disconnectLog.reset();
    this.queues.reset();
  }

  /**
   * Resolves with the next client disconnect not yet returned by an earlier call (one that already
   * happened counts), so a test may start waiting after it aborted. Rejects after `timeoutMs`.
   */
  waitForDisconnect(timeoutMs = 1000): Promise<D> {
    return this.disconnectLog.next(timeoutMs);
  }

  /** Stops listening and destroys every connection at once, hung and streaming ones included. */
  close(): Promise<void> {
    return this.http.close();
  }

  /** Throws, when scripted, for a behaviour this provider cannot produce (e.g. keep-alive comments). */
  protected abstract assertSupported(behaviour: B): void;

  /** Serves one request; it records the request in `requests` and on `exchange.request`. */
  protected abstract handle(req: IncomingMessage, exchange: HttpExchange<R>): Promise<void>;
}
