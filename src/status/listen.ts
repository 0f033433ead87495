// Where a speaker's status endpoint listens. By default on the node's own
// address (the one it gossips from, which Prometheus and the kubelet reach)
// and on loopback (`shoal status` on the node), not on every address: a
// wildcard would also answer on every other network the node is on, and on
// each LoadBalancer address that kube-proxy in IPVS mode puts on the node
// (docs/speaker.md, "Status endpoint").
import { parseAddress, sameAddress, type Address } from '../net/index.js';

export const DEFAULT_STATUS_PORT = 7473;
const LOOPBACK = '127.0.0.1';

/** Parses "host:port" entries (a bare host takes the default port); throws naming the bad one. */
export function parseListen(entries: readonly string[], what: string, defaultPort = DEFAULT_STATUS_PORT): Address[] {
  const out: Address[] = [];
  for (const e of entries) {
    let a: Address;
    try {
      a = parseAddress(e, defaultPort);
    } catch (err) {
      throw new Error(`${what}: ${(err as Error).message}`, { cause: err });
    }
    if (!out.some((b) => sameAddress(a, b))) out.push(a);
  }
  if (out.length === 0) throw new Error(`${what}: no address`);
  return out;
}

/** The given addresses, or the node's address and loopback on the default port. */
export function statusListen(given: readonly Address[] | undefined, nodeHost: string): Address[] {
  if (given && given.length > 0) return [...given];
  const node = { host: nodeHost, port: DEFAULT_STATUS_PORT };
  const loopback = { host: LOOPBACK, port: DEFAULT_STATUS_PORT };
  return sameAddress(node, loopback) ? [node] : [node, loopback];
}

/** Comma-separated flag text as a list ("a,b" and repeated flags alike). */
export function splitList(text: string | undefined): string[] {
  return (text ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}
