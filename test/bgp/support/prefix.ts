// Prefixes from their text, for tests that build or compare BGP messages.
import { formatIP, parsePrefix, type Prefix } from '../../../src/net/index.js';

export function prefix(text: string): Prefix {
  const r = parsePrefix(text);
  if (!r.ok) throw new Error(r.reason);
  return r.prefix;
}

/** The canonical text of a prefix's network address. */
export function addressText(p: Prefix): string {
  return formatIP({ family: p.family, value: p.address });
}
