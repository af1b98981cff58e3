import { createSocket } from 'node:dgram';
import * as dnsPacket from 'dns-packet';

/** An authoritative DNS server on loopback answering TXT questions from a table. */
export interface TestDnsServer {
  /** `127.0.0.1:<port>`, for SSO_DNS_SERVERS. */
  address: string;
  /** Sets (or, with null, removes) the TXT values of a name. */
  setTxt(name: string, values: string[] | null): void;
  stop(): Promise<void>;
}

/**
 * A real DNS server over UDP: the service's resolver sends it real queries. Names without
 * records get NXDOMAIN, as from a real zone.
 */
export async function startDnsServer(): Promise<TestDnsServer> {
  const records = new Map<string, string[]>();
  const socket = createSocket('udp4');

  socket.on('message', (message, remote) => {
    const query = dnsPacket.decode(message);
    const question = query.questions?.[0];
    const values = question ? records.get(question.name.toLowerCase()) : undefined;
    const answer = dnsPacket.encode({
      type: 'response',
      id: query.id,
      flags: dnsPacket.AUTHORITATIVE_ANSWER | (values ? 0 : 3),
      questions: query.questions,
      answers:
        values && question?.type === 'TXT'
          ? values.map((value) => ({
              type: 'TXT' as const,
              name: question.name,
              ttl: 1,
              class: 'IN' as const,
              data: value,
            }))
          : [],
    });
    socket.send(answer, remote.port, remote.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();

  return {
    address: `127.0.0.1:${port}`,
    setTxt: (name, values) => {
      if (values === null) records.delete(name.toLowerCase());
      else records.set(name.toLowerCase(), values);
    },
    stop: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
