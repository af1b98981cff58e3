import { AddressInfo, Server, Socket, connect, createServer } from 'node:net';

/**
 * A TCP forwarder on 127.0.0.1 in front of a real dependency (PostgreSQL, Redis). `cut` makes
 * the dependency vanish as a crashed server would: open connections are dropped and new ones
 * are refused. `restore` accepts connections again on the same port.
 */
export interface TcpProxy {
  readonly port: number;
  cut(): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;

  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };

  const forward = (client: Socket): void => {
    const upstream = connect(target.port, target.host);
    track(client);
    track(upstream);
    // Whichever side fails or closes takes the other with it, as a dropped link would.
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ]) {
      from.on('error', () => to.destroy());
      from.once('close', () => to.destroy());
      from.pipe(to);
    }
  };

  const listen = async (): Promise<void> => {
    const next = createServer(forward);
    await new Promise<void>((resolve, reject) => {
      next.once('error', reject);
      next.listen(port, '127.0.0.1', () => {
        next.off('error', reject);
        resolve();
      });
    });
    server = next;
    port = (next.address() as AddressInfo).port;
  };

  const cut = async (): Promise<void> => {
    const current = server;
    server = undefined;
    const closed = new Promise<void>((resolve) =>
      current ? current.close(() => resolve()) : resolve(),
    );
    for (const socket of sockets) socket.destroy();
    await closed;
  };

  await listen();

  return {
    get port() {
      return port;
    },
    cut,
    restore: async () => {
      if (!server) await listen();
    },
    close: cut,
  };
}
