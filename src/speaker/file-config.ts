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
//   status: 192.0.2.11:7473         # default: the advertise address and 127.0.0.1
//   statusAllow: [198.51.100.0/24]  # default: every source that reaches it
//   layer2:
//     interfaces: [eth0]            # default: every eligible interface
//     gratuitousArpMs: [0, 250, 1000, 2000, 4000]
//     unsolicitedNaMs: [0, 1000, 2000]
//     gratuitousFramesPerSecond: 5000   # pacing of every gratuitous frame (docs/l2.md)
//     gratuitousBurst: 500
//   fencing:                        # split brain (docs/election.md, docs/failover.md); these are the defaults
//     resolve: true                 # settle two members claiming one VIP; false: report only
//     reassertMs: 3000              # periodic re-assertion of owned VIPs; 0: off
//     healBurstMs: [0, 500, 2000]   # gratuitous rounds when a partition heals; []: off
//     quorum: false                 # take over nothing without a majority (docs/failover.md)
//     failbackDelayMs: 10000        # warm-up before a returning host takes its VIPs back; 0: at once
//   vips:
//     - address: 192.0.2.100
//       name: web                   # VIPs with one name form one service
//       interfaces: [eth0]
//       nodeSelectors: [{matchLabels: {rack: r1}}]
import { hostname } from 'node:os';
import { formatIP, parseAddress, parseIP, parseRange, type Address } from '../net/index.js';
import { MACS_META_MAX_BYTES } from '../announce/fencing/member-macs.js';
import { encodedMetaSize, MAX_META_ENTRIES } from '../cluster/codec.js';
import { DEFAULT_GOSSIP_PORT, profileByName, profiles, type TimingProfile } from '../cluster/options.js';
import type { ConfigError, LabelSelector } from '../config/model.js';
import { asObj, at, checkKeys, idx, isObj, Issues, readBool, readInt, readList, readString, readStringList, readStringMap, type Obj } from '../config/reader.js';
import { labelKeyProblem, labelValueProblem, parseSelectorList } from '../config/selector.js';
import { parseYamlDocuments } from '../config/yaml.js';
import { DEFAULT_STATUS_PORT } from '../status/listen.js';
import { readBounded } from '../util/read-bounded.js';
import { DEFAULT_FAILBACK_DELAY_MS, MAX_FAILBACK_DELAY_MS } from './readiness.js';
import { quote } from '../util/text.js';
import { DEFAULT_FILE_LIMITS, type FileLimits } from './file-limits.js';
import { DEFAULT_FENCING, MAX_SETTING_MS, type FencingSettings } from './fencing-settings.js';
import { labelsToMeta } from './file-world.js';

/**
 * Labels travel as gossip metadata, which the gossip layer caps at 512
 * encoded bytes (ClusterOptions.maxMetaBytes); the rest is left for the
 * version entry and the ready flag (64 bytes together) and the interface
 * MACs (member-macs.ts).
 */
const LABEL_META_BYTES = 448 - MACS_META_MAX_BYTES;
/** Metadata entries that are not labels: the version, the ready flag and the interface MACs. */
const NON_LABEL_META_ENTRIES = 3;

/** Errors reported at most; a file of 100,000 mistakes makes a readable report and log line, not a 10 MB one. */
export const MAX_REPORTED_ERRORS = 100;

/** The empty list every VIP without interfaces or node selectors shares. */
const NONE: readonly never[] = Object.freeze([]);

/** Linux interface names are at most 15 bytes (IFNAMSIZ less the terminating NUL). */
const MAX_INTERFACE_BYTES = 15;

const TOP_KEYS = ['node', 'labels', 'gossip', 'status', 'statusAllow', 'layer2', 'fencing', 'vips'];
const FENCING_KEYS = ['resolve', 'reassertMs', 'healBurstMs', 'quorum', 'failbackDelayMs'];

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
  /** undefined: the advertise address and loopback (src/status/listen.ts). */
  readonly status: readonly Address[] | undefined;
  /** CIDRs the status endpoint serves besides the host itself; empty: every source. */
  readonly statusAllow: readonly string[];
  readonly layer2: {
    readonly interfaces: readonly string[];
    readonly gratuitousArpMs: readonly number[] | undefined;
    readonly unsolicitedNaMs: readonly number[] | undefined;
    /** undefined: the announcer's defaults. */
    readonly gratuitousFramesPerSecond: number | undefined;
    readonly gratuitousBurst: number | undefined;
  };
  readonly fencing: FencingSettings;
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

function readInterfaces(issues: Issues, o: Obj, path: string): string[] {
  const list = readStringList(issues, o, 'interfaces', path, true);
  list.forEach((name, i) => {
    if (name === '' || Buffer.byteLength(name) > MAX_INTERFACE_BYTES || /[/\s]/.test(name)) {
      issues.add(idx(at(path, 'interfaces'), i), 'invalid-value', `${quote(name)} is not an interface name (1 to ${MAX_INTERFACE_BYTES} bytes, no "/" or spaces)`);
    }
  });
  return list;
}

/** `status`: one "host:port" or a list of them. */
function readStatusListen(issues: Issues, root: Obj): Address[] | undefined {
  const v = root['status'];
  if (v === undefined || v === null) return undefined;
  const texts = typeof v === 'string' ? [v] : readStringList(issues, root, 'status', '', true);
  const out: Address[] = [];
  texts.forEach((text, i) => {
    try {
      out.push(parseAddress(text, DEFAULT_STATUS_PORT));
    } catch (err) {
      issues.add(typeof v === 'string' ? 'status' : idx('status', i), 'invalid-value', (err as Error).message);
    }
  });
  return out.length ? out : undefined;
}

function readCidrs(issues: Issues, o: Obj, key: string): string[] {
  const list = readStringList(issues, o, key, '', true);
  list.forEach((c, i) => {
    const r = c.includes('/') ? parseRange(c) : undefined;
    if (!r?.ok) issues.add(idx(key, i), 'invalid-value', r && !r.ok ? r.message : `${quote(c)} is not a CIDR (address/length)`);
  });
  return list;
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

/** The `fencing` section; a missing key takes its default. */
function readFencing(issues: Issues, root: Obj): FencingSettings {
  const f = asObj(issues, root['fencing'], 'fencing') ?? {};
  checkKeys(issues, f, FENCING_KEYS, 'fencing');
  const healBurstMs = readDelays(issues, f, 'healBurstMs', 'fencing');
  healBurstMs?.forEach((d, i) => {
    if (i > 0 && d < healBurstMs[i - 1]!) issues.add(idx('fencing.healBurstMs', i), 'invalid-value', `${d} ms comes before the previous round (${healBurstMs[i - 1]} ms)`);
  });
  return {
    resolve: readBool(issues, f, 'resolve', 'fencing') ?? DEFAULT_FENCING.resolve,
    reassertMs: readInt(issues, f, 'reassertMs', 'fencing', 0, MAX_SETTING_MS) ?? DEFAULT_FENCING.reassertMs,
    healBurstMs: healBurstMs ?? DEFAULT_FENCING.healBurstMs,
    quorum: readBool(issues, f, 'quorum', 'fencing') ?? DEFAULT_FENCING.quorum,
    failbackDelayMs: readInt(issues, f, 'failbackDelayMs', 'fencing', 0, MAX_FAILBACK_DELAY_MS) ?? DEFAULT_FAILBACK_DELAY_MS,
  };
}

/** Validates a parsed YAML document; every problem is reported with its path. */
export function parseFileConfig(doc: unknown, defaults: { hostname: string } = { hostname: hostname() }, limits: FileLimits = DEFAULT_FILE_LIMITS): FileConfigResult {
  const issues = new Issues();
  const root = asObj(issues, doc, '') ?? {};
  checkKeys(issues, root, TOP_KEYS, '');
  const node = readString(issues, root, 'node', '') ?? defaults.hostname;
  if (node === '' || Buffer.byteLength(node) > 128) issues.add('node', 'invalid-value', 'must be 1 to 128 bytes');
  const labels = readStringMap(issues, root, 'labels', '');
  for (const [k, v] of Object.entries(labels)) {
    const problem = labelKeyProblem(k) ?? labelValueProblem(v);
    if (problem) issues.add(at('labels', k), 'invalid-value', problem);
  }
  const labelCount = Object.keys(labels).length;
  if (labelCount > MAX_META_ENTRIES - NON_LABEL_META_ENTRIES) issues.add('labels', 'over-limit', `${labelCount} labels, more than the ${MAX_META_ENTRIES - NON_LABEL_META_ENTRIES} gossip metadata can carry`);
  else {
    const labelBytes = encodedMetaSize(labelsToMeta(labels));
    if (labelBytes > LABEL_META_BYTES) {
      issues.add('labels', 'over-limit', `the labels take ${labelBytes} bytes of gossip metadata, more than the ${LABEL_META_BYTES} left beside the version and the interface MACs: fewer or shorter labels`);
    }
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

  const status = readStatusListen(issues, root);
  const statusAllow = readCidrs(issues, root, 'statusAllow');

  const l2 = asObj(issues, root['layer2'], 'layer2') ?? {};
  checkKeys(issues, l2, ['interfaces', 'gratuitousArpMs', 'unsolicitedNaMs', 'gratuitousFramesPerSecond', 'gratuitousBurst'], 'layer2');
  const layer2 = {
    interfaces: readInterfaces(issues, l2, 'layer2'),
    gratuitousArpMs: readDelays(issues, l2, 'gratuitousArpMs', 'layer2'),
    unsolicitedNaMs: readDelays(issues, l2, 'unsolicitedNaMs', 'layer2'),
    gratuitousFramesPerSecond: readInt(issues, l2, 'gratuitousFramesPerSecond', 'layer2', 1, 1_000_000),
    gratuitousBurst: readInt(issues, l2, 'gratuitousBurst', 'layer2', 1, 1_000_000),
  };

  const fencing = readFencing(issues, root);

  const vips: FileVip[] = [];
  const seen = new Map<string, number>();
  let vipList = readList(issues, root, 'vips', '');
  if (vipList.length > limits.maxVips) {
    // One error, and none of the entries parsed: 100,000 of them cost seconds.
    issues.add('vips', 'over-limit', `${vipList.length} VIPs, more than the limit of ${limits.maxVips} (raise it with --max-vips)`);
    vipList = [];
  }
  vipList.forEach((raw, i) => {
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
      issues.add(at(p, 'address'), 'invalid-value', `${quote(text)} is not an IP address`);
      return;
    }
    const address = formatIP(ip);
    const name = readString(issues, v, 'name', p) ?? address;
    const nameBytes = Buffer.byteLength(name);
    if (name === '' || nameBytes > limits.maxNameBytes) {
      issues.add(at(p, 'name'), name === '' ? 'invalid-value' : 'over-limit', name === '' ? 'must not be empty' : `${nameBytes} bytes, longer than the limit of ${limits.maxNameBytes} (raise it with --max-name-length)`);
      return;
    }
    const interfaces = readInterfaces(issues, v, p);
    const nodeSelectors = parseSelectorList(issues, v, 'nodeSelectors', p);
    // Most VIPs name neither: they share one empty list each (a file holds up to tens of thousands).
    const vip: FileVip = {
      address,
      name,
      interfaces: interfaces.length ? interfaces : NONE,
      nodeSelectors: nodeSelectors.length ? nodeSelectors : NONE,
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

  if (issues.count > MAX_REPORTED_ERRORS) {
    const shown = issues.errors.slice(0, MAX_REPORTED_ERRORS);
    return { ok: false, errors: [...shown, { path: '', code: 'over-limit', message: `and ${issues.count - MAX_REPORTED_ERRORS} more errors` }] };
  }
  if (issues.count > 0) return { ok: false, errors: issues.errors };
  return {
    ok: true,
    config: { node, labels, gossip: { bind, advertise, join, profile, timing, keyFile }, status, statusAllow, layer2, fencing, vips },
  };
}

/** Whether a parsed YAML value is a speaker file rather than Kubernetes objects or a MetalLB legacy config. */
export function looksLikeSpeakerConfig(value: unknown): boolean {
  return isObj(value) && !('kind' in value) && !('apiVersion' in value) && ('vips' in value || 'gossip' in value);
}

/** Parses the text of a speaker file. */
export function parseFileConfigText(text: string, limits: FileLimits = DEFAULT_FILE_LIMITS, defaults?: { hostname: string }): FileConfigResult {
  const docs = parseYamlDocuments(text);
  if (docs.length !== 1) {
    return { ok: false, errors: [{ path: '', code: 'parse-error', message: 'expected exactly one YAML document' }] };
  }
  const doc = docs[0]!;
  if (doc.errors.length > 0) {
    return { ok: false, errors: doc.errors.map((e) => ({ path: '', code: 'parse-error' as const, message: e.message })) };
  }
  return parseFileConfig(doc.toJS(), defaults, limits);
}

export async function loadFileConfig(path: string, limits: FileLimits = DEFAULT_FILE_LIMITS): Promise<FileConfigResult> {
  const read = await readBounded(path, limits.maxFileBytes, ' (raise it with --max-file-size)');
  if (!read.ok) return { ok: false, errors: [{ path: '', code: read.problem === 'too-large' ? 'over-limit' : 'parse-error', message: `${path}: ${read.message}` }] };
  return parseFileConfigText(read.text, limits);
}
