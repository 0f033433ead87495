// The address family, spelled one way inside shoal: 4 or 6. Formats that
// spell it otherwise convert at their edge with a named function: Kubernetes
// and Node's os module here (familyName, familyFromName), BGP's AFI numbers
// and its "ipv4"/"ipv6" names in src/bgp/messages/mp-nlri.ts.

export type Family = 4 | 6;

export const FAMILY_BITS: Readonly<Record<Family, number>> = { 4: 32, 6: 128 };
export const FAMILY_BYTES: Readonly<Record<Family, number>> = { 4: 4, 6: 16 };
export const FAMILY_MAX: Readonly<Record<Family, bigint>> = { 4: (1n << 32n) - 1n, 6: (1n << 128n) - 1n };

export function otherFamily(f: Family): Family {
  return f === 4 ? 6 : 4;
}

/** How Kubernetes (spec.ipFamilies, EndpointSlice addressType) and Node (os.networkInterfaces) name a family. */
export type FamilyName = 'IPv4' | 'IPv6';

export function familyName(f: Family): FamilyName {
  return f === 4 ? 'IPv4' : 'IPv6';
}

/** The family a Kubernetes or Node family name stands for; undefined for anything else (names are case-sensitive there). */
export function familyFromName(name: string | undefined): Family | undefined {
  return name === 'IPv4' ? 4 : name === 'IPv6' ? 6 : undefined;
}
