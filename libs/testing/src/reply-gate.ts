import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A TCP proxy in front of a real server (Redis) that forwards requests at once and can hold the
 * server's replies: with replies held, a client's command is executed by the server while the
 * client still waits for its answer, which is how tests tell "sent" from "answered".
 */
export class ReplyGate {
  private held = false;
  private readonly queued: { socket: Socket; data: Buffer }[] = [];
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  /** Listens on a free loopback port and forwards every connection to `target` (host:port). */
  static async start(target: { host: string; port: number }): Promise<ReplyGate> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const gate = new ReplyGate(server, (server.address() as AddressInfo).port);
    server.on('connection', (client) => gate.pair(client, target));
    return gate;
  }

  /** From now on, the server's replies wait here. */
  hold(): void {
    this.held = true;
  }

  /** Delivers the held replies in order and forwards again. */
  release(): void {
    this.held = false;
    for (const { socket, data } of this.queued.splice(0)) if (!socket.destroyed) socket.write(data);
  }

  /** Bytes of replies held so far. */
  heldBytes(): number {
    return this.queued.reduce((sum, entry) => sum + entry.data.length, 0);
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private pair(client: Socket, target: { host: string; port: number }): void {
    const upstream = connect(target.port, target.host);
    for (const socket of [client, upstream]) {
      socket.setNoDelay(true);
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    client.on('data', (data: Buffer) => upstream.write(data));
    upstream.on('data', (data: Buffer) => {
      if (this.held) this.queued.push({ socket: client, data });
      else client.write(data);
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  }
}
