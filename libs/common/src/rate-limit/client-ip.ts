import ipaddr from 'ipaddr.js';

/**
 * The rate-limit identity of a client address. IPv4 addresses count one by one; an IPv6 client
 * usually holds a whole /64 (SLAAC, privacy addresses), so one address per request would be
 * free to it, and the /64 is what is counted. IPv4-mapped IPv6 (`::ffff:192.0.2.1`, how a
 * dual-stack socket reports IPv4 peers) counts as the IPv4 address it carries.
 *
 * The address must come from Express's `req.ip`, which follows `X-Forwarded-For` only as far as
 * the `trust proxy` setting allows, so a client cannot choose it.
 */
export function clientKey(address: string | undefined): string {
  if (!address || !ipaddr.isValid(address)) return 'unknown';
  const parsed = ipaddr.process(address);
  if (parsed.kind() === 'ipv4') return parsed.toString();

  const network = (parsed as ipaddr.IPv6).parts.slice(0, 4);

  return `${ipaddr.fromByteArray(toBytes([...network, 0, 0, 0, 0])).toString()}/64`;
}

function toBytes(parts: number[]): number[] {
  return parts.flatMap((part) => [part >> 8, part & 0xff]);
}
