// Endpoints as host + port, with the "host:port" / "[v6]:port" text form
// used in seed lists, listen flags, logs and the status endpoint. The host
// is an IP address or, in seed lists, a name the caller resolves.
import { ipFamily } from './ip.js';

export interface Address {
  readonly host: string;
  readonly port: number;
}

export function formatAddress(a: Address): string {
  return ipFamily(a.host) === 6 ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

export function isValidPort(p: unknown): p is number {
  return typeof p === 'number' && Number.isInteger(p) && p >= 1 && p <= 65535;
}

/**
 * Parses "192.0.2.1:7946", "[2001:db8::1]:7946", or a bare host with the
 * default port. Host names are allowed (seeds may be DNS names); the caller
 * resolves them.
 */
export function parseAddress(s: string, defaultPort: number): Address {
  const text = s.trim();
  if (text === '') throw new Error('empty address');
  let host: string;
  let portText: string | undefined;
  if (text.startsWith('[')) {
    const end = text.indexOf(']');
    if (end < 0) throw new Error(`"${s}": missing "]" after IPv6 address`);
    host = text.slice(1, end);
    const rest = text.slice(end + 1);
    if (rest !== '' && !rest.startsWith(':')) throw new Error(`"${s}": expected ":port" after "]"`);
    portText = rest === '' ? undefined : rest.slice(1);
    if (ipFamily(host) !== 6) throw new Error(`"${s}": "${host}" is not an IPv6 address`);
  } else if (ipFamily(text) === 6) {
    host = text;
  } else {
    const colon = text.lastIndexOf(':');
    if (colon >= 0) {
      host = text.slice(0, colon);
      portText = text.slice(colon + 1);
    } else {
      host = text;
    }
  }
  if (host === '') throw new Error(`"${s}": empty host`);
  let port = defaultPort;
  if (portText !== undefined) {
    if (!/^\d{1,5}$/.test(portText)) throw new Error(`"${s}": "${portText}" is not a port number`);
    port = Number(portText);
  }
  if (!isValidPort(port)) throw new Error(`"${s}": port ${port} is out of range 1-65535`);
  return { host, port };
}

export function sameAddress(a: Address, b: Address): boolean {
  return a.port === b.port && a.host === b.host;
}
