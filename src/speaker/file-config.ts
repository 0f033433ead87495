// File mode: the speaker without Kubernetes, as a keepalived alternative for
// any group of hosts. One YAML file per host names the host, its gossip
// seeds and a static list of VIPs; every host with the same VIP list elects
// the same owner for each VIP.
//
//   node: lb-1                      # member name (default: the host name)
//   labels: {rack: r1}              # gossiped; VIP nodeSelectors match them
//   gossip:
//     bind: 0.0.0.0:7946
//     advertise: 192.0.2.11:7946    # default: bind address, or first non-loopback IPv4
//     join: [192.0.2.11, 192.0.2.12]
//     profile: fast                 # or lan
//     keyFile: /etc/shoal/gossip.key
//   status: 0.0.0.0:7473
//   layer2:
//     interfaces: [eth0]            # default: every eligible interface
//     gratuitousArpMs: [0, 250, 1000, 2000, 4000]
//     unsolicitedNaMs: [0, 1000, 2000]
//   vips:
//     - address: 192.0.2.100
//       name: web                   # VIPs with one name form one service
//       interfaces: [eth0]
//       nodeSelectors: [{matchLabels: {rack: r1}}]
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { parseAllDocuments } from 'yaml';
import { formatIP, parseIP } from '../net/index.js';
import { parseAddress, type Address } from '../cluster/address.js';
import { profileByName, profiles, type TimingProfile } from '../cluster/config.js';
import { DEFAULT_GOSSIP_PORT } from '../cluster/launch.js';
import type { ConfigError, LabelSelector } from '../config/model.js';
import { asObj, at, checkKeys, idx, Issues, readList, readString, readStringList, readStringMap, type Obj } from '../config/reader.js';
import { labelKeyProblem, labelValueProblem, parseSelectorList } from '../config/selector.js';

export const DEFAULT_STATUS_PORT = 7473;

export interface FileVip {
  /** Canonical text of the address. */
  readonly address: string;
  /** Service name shown in status; VIPs sharing a name form one service. */
  readonly name: string;
  readonly interfaces: readonly string[];
  readonly nodeSelectors: readonly LabelSelector[];
}

export interface FileSpeakerConfig {
  readonly node: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly gossip: {
    readonly bind: Address;
    readonly advertise: Address | undefined;
    readonly join: readonly string[];
    readonly profile: string;
    /** Overrides of the profile's numeric settings (advanced; see docs/gossip.md). */
    readonly timing: Readonly<Partial<Record<TimingKey, number>>>;
    readonly keyFile: string | undefined;
  };
  readonly status: Address;
  readonly layer2: {
    readonly interfaces: readonly string[];
    readonly gratuitousArpMs: readonly number[] | undefined;
    readonly unsolicitedNaMs: readonly number[] | undefined;
  };
  readonly vips: readonly FileVip[];
}

const TIMING_KEYS = [
  'probeIntervalMs',
  'probeTimeoutMs',
  'indirectChecks',
  'suspicionMult',
  'suspicionMaxTimeoutMult',
  'suspicionConfirmations',
  'retransmitMult',
  'gossipIntervalMs',
  'gossipNodes',
  'gossipToTheDeadMs',
  'pushPullIntervalMs',
  'awarenessMaxMultiplier',
  'reconnectIntervalMs',
] as const satisfies readonly (keyof TimingProfile)[];
type TimingKey = (typeof TIMING_KEYS)[number];

/** The named profile with the file's overrides applied (validated by the gossip layer when it starts). */
export function timingProfile(g: FileSpeakerConfig['gossip']): TimingProfile {
  const base = profileByName(g.profile);
  return Object.keys(g.timing).length ? { ...base, ...g.timing, name: `${base.name}+custom` } : base;
}

export type FileConfigResult = { ok: true; config: FileSpeakerConfig } | { ok: false; errors: ConfigError[] };

function readAddress(issues: Issues, o: Obj, key: string, path: string, defaultPort: number): Address | undefined {
  const text = readString(issues, o, key, path);
  if (text === undefined) return undefined;
  try {
    return parseAddress(text, defaultPort);
  } catch (err) {
    issues.add(at(path, key), 'invalid-value', (err as Error).message);
    return undefined;
  }
}

function readDelays(issues: Issues, o: Obj, key: string, path: string): number[] | undefined {
  if (o[key] === undefined || o[key] === null) return undefined;
  const out: number[] = [];
  readList(issues, o, key, path).forEach((v, i) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 600_000) {
      issues.add(idx(at(path, key), i), 'invalid-value', `expected milliseconds 0-600000, got ${JSON.stringify(v)}`);
    } else out.push(v);
  });
  return out;
}

/** Validates a parsed YAML document; every problem is reported with its path. */
export function parseFileConfig(doc: unknown, defaults: { hostname: string } = { hostname: hostname() }): FileConfigResult {
  const issues = new Issues();
  const root = asObj(issues, doc, '') ?? {};
  checkKeys(issues, root, ['node', 'labels', 'gossip', 'status', 'layer2', 'vips'], '');
  const node = readString(issues, root, 'node', '') ?? defaults.hostname;
  if (node === '' || Buffer.byteLength(node) > 128) issues.add('node', 'invalid-value', 'must be 1 to 128 bytes');
  const labels = readStringMap(issues, root, 'labels', '');
  for (const [k, v] of Object.entries(labels)) {
    const problem = labelKeyProblem(k) ?? labelValueProblem(v);
    if (problem) issues.add(at('labels', k), 'invalid-value', problem);
  }

  const g = asObj(issues, root['gossip'], 'gossip') ?? {};
  checkKeys(issues, g, ['bind', 'advertise', 'join', 'profile', 'timing', 'keyFile'], 'gossip');
  const bind = readAddress(issues, g, 'bind', 'gossip', DEFAULT_GOSSIP_PORT) ?? { host: '0.0.0.0', port: DEFAULT_GOSSIP_PORT };
  const advertise = readAddress(issues, g, 'advertise', 'gossip', bind.port);
  if (advertise && (advertise.host === '0.0.0.0' || advertise.host === '::')) issues.add('gossip.advertise', 'invalid-value', 'must be an address other members can reach, not a wildcard');
  const join = readStringList(issues, g, 'join', 'gossip', true);
  join.forEach((s, i) => {
    try {
      parseAddress(s, DEFAULT_GOSSIP_PORT);
    } catch (err) {
      issues.add(idx('gossip.join', i), 'invalid-value', (err as Error).message);
    }
  });
  const profile = readString(issues, g, 'profile', 'gossip') ?? 'fast';
  if (!profiles[profile]) issues.add('gossip.profile', 'invalid-value', `"${profile}" is not a timing profile (${Object.keys(profiles).join(', ')})`);
  const keyFile = readString(issues, g, 'keyFile', 'gossip');
  const timingObj = asObj(issues, g['timing'], 'gossip.timing') ?? {};
  checkKeys(issues, timingObj, TIMING_KEYS, 'gossip.timing');
  const timing: Partial<Record<TimingKey, number>> = {};
  for (const k of TIMING_KEYS) {
    const v = timingObj[k];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !(v >= 0) || !Number.isFinite(v)) issues.add(at('gossip.timing', k), 'invalid-value', `expected a non-negative number, got ${JSON.stringify(v)}`);
    else timing[k] = v;
  }

  const status = readAddress(issues, root, 'status', '', DEFAULT_STATUS_PORT) ?? { host: '0.0.0.0', port: DEFAULT_STATUS_PORT };

  const l2 = asObj(issues, root['layer2'], 'layer2') ?? {};
  checkKeys(issues, l2, ['interfaces', 'gratuitousArpMs', 'unsolicitedNaMs'], 'layer2');
  const layer2 = {
    interfaces: readStringList(issues, l2, 'interfaces', 'layer2', true),
    gratuitousArpMs: readDelays(issues, l2, 'gratuitousArpMs', 'layer2'),
    unsolicitedNaMs: readDelays(issues, l2, 'unsolicitedNaMs', 'layer2'),
  };

  const vips: FileVip[] = [];
  const seen = new Map<string, number>();
  readList(issues, root, 'vips', '').forEach((raw, i) => {
    const p = idx('vips', i);
    const v = asObj(issues, raw, p);
    if (!v) return;
    checkKeys(issues, v, ['address', 'name', 'interfaces', 'nodeSelectors'], p);
    const text = readString(issues, v, 'address', p);
    if (text === undefined) {
      issues.add(at(p, 'address'), 'missing-field', 'address is required');
      return;
    }
    const ip = parseIP(text.trim());
    if (!ip) {
      issues.add(at(p, 'address'), 'invalid-value', `${JSON.stringify(text)} is not an IP address`);
      return;
    }
    const address = formatIP(ip);
    const name = readString(issues, v, 'name', p) ?? address;
    const vip: FileVip = {
      address,
      name,
      interfaces: readStringList(issues, v, 'interfaces', p, true),
      nodeSelectors: parseSelectorList(issues, v, 'nodeSelectors', p),
    };
    // One address may serve several names (a shared VIP), but it has one
    // election, so one set of interfaces and node selectors.
    const previous = seen.get(address);
    if (previous !== undefined) {
      const first = vips[previous]!;
      if (first.name === name) issues.add(at(p, 'address'), 'duplicate-entry', `${address} is listed twice for ${name}`);
      else if (JSON.stringify([first.interfaces, first.nodeSelectors]) !== JSON.stringify([vip.interfaces, vip.nodeSelectors])) {
        issues.add(p, 'conflicting-fields', `${address} is also vips[${previous}]: a shared address needs the same interfaces and nodeSelectors`);
      }
    } else seen.set(address, vips.length);
    vips.push(vip);
  });
  if (vips.length === 0 && issues.count === 0) issues.add('vips', 'missing-field', 'list at least one VIP');

  if (issues.count > 0) return { ok: false, errors: issues.errors };
  return {
    ok: true,
    config: { node, labels, gossip: { bind, advertise, join, profile, timing, keyFile }, status, layer2, vips },
  };
}

export async function loadFileConfig(path: string): Promise<FileConfigResult> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    return { ok: false, errors: [{ path: '', code: 'parse-error', message: `cannot read ${path}: ${(err as Error).message}` }] };
  }
  const docs = parseAllDocuments(text);
  if (!Array.isArray(docs) || docs.length !== 1) {
    return { ok: false, errors: [{ path: '', code: 'parse-error', message: `${path}: expected exactly one YAML document` }] };
  }
  const doc = docs[0]!;
  if (doc.errors.length > 0) {
    return { ok: false, errors: doc.errors.map((e) => ({ path: '', code: 'parse-error' as const, message: `${path}: ${e.message}` })) };
  }
  return parseFileConfig(doc.toJS());
}
