// File mode's world: the VIPs of the config file become services in a
// configuration of IPAddressPools and L2Advertisements (one pair per set of
// interfaces and node selectors), and
// each gossip member's labels travel in its metadata. Every host with the
// same file builds the same inputs, so every host elects the same owners.
import type { ElectionMember, ElectionNode, ElectionService } from '../announce/election-inputs.js';
import type { Meta } from '../cluster/messages.js';
import type { Config } from '../config/model.js';
import { parseObjects } from '../config/parse.js';
import { formatConfigError } from '../config/model.js';
import { formatRange, ipFamily, normalizeRanges, parseIP, type IPRange } from '../net/index.js';
import type { FileSpeakerConfig, FileVip } from './file-config.js';
import type { SelfNode, World } from './world.js';

export const FILE_NAMESPACE = 'file';
const LABEL_PREFIX = 'label:';

/** Gossip metadata of a file-mode member: its labels, prefixed. */
export function labelsToMeta(labels: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) out[LABEL_PREFIX + k] = v;
  return out;
}

export function labelsFromMeta(meta: Meta): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(meta)) if (k.startsWith(LABEL_PREFIX)) out[k.slice(LABEL_PREFIX.length)] = v;
  return out;
}

/**
 * The metallb.io objects equivalent to the VIP list: one IPAddressPool and
 * one L2Advertisement per distinct (interfaces, nodeSelectors), in order of
 * first appearance, so 10,000 VIPs with the same settings make one pool
 * rather than 20,000 objects. A pool's ranges are its VIPs with neighbours
 * merged (a block of 10,000 consecutive VIPs is one range, not 10,000
 * single-address ranges of two BigInts each): the same addresses, so the
 * same pool for every VIP. Pools are named "vips", "vips-2", ...: the same
 * VIP list gives the same names everywhere.
 */
export function vipObjects(vips: readonly FileVip[], defaultInterfaces: readonly string[]): unknown[] {
  const groups = new Map<string, { interfaces: readonly string[]; nodeSelectors: FileVip['nodeSelectors']; ranges: IPRange[] }>();
  const seen = new Set<string>();
  for (const v of vips) {
    if (seen.has(v.address)) continue;
    seen.add(v.address);
    const interfaces = v.interfaces.length ? v.interfaces : defaultInterfaces;
    const key = JSON.stringify([interfaces, v.nodeSelectors]);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { interfaces, nodeSelectors: v.nodeSelectors, ranges: [] }));
    const ip = parseIP(v.address);
    if (!ip) throw new Error(`VIP ${JSON.stringify(v.address)} is not an IP address`);
    g.ranges.push({ family: ip.family, first: ip.value, last: ip.value });
  }
  const objects: unknown[] = [];
  [...groups.values()].forEach((g, i) => {
    const metadata = { name: i === 0 ? 'vips' : `vips-${i + 1}`, namespace: FILE_NAMESPACE };
    const addresses = normalizeRanges(g.ranges).map(formatRange);
    objects.push({ apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata, spec: { addresses, autoAssign: false } });
    objects.push({
      apiVersion: 'metallb.io/v1beta1',
      kind: 'L2Advertisement',
      metadata,
      spec: {
        ipAddressPools: [metadata.name],
        ...(g.interfaces.length ? { interfaces: g.interfaces } : {}),
        ...(g.nodeSelectors.length ? { nodeSelectors: g.nodeSelectors } : {}),
      },
    });
  });
  return objects;
}

/** What every file-mode service has: no labels, and the host itself serving (no endpoints to watch). Shared, not one per VIP. */
const NO_LABELS: Readonly<Record<string, string>> = Object.freeze({});
const HOST_SERVES: ElectionService['endpoints'] = Object.freeze({ serving: true, nodes: Object.freeze([]) as readonly string[] });

export function vipServices(vips: readonly FileVip[]): ElectionService[] {
  const byName = new Map<string, string[]>();
  for (const v of vips) {
    const ips = byName.get(v.name);
    if (ips) ips.push(v.address);
    else byName.set(v.name, [v.address]);
  }
  return [...byName].map(([name, ips]) => ({
    namespace: FILE_NAMESPACE,
    name,
    labels: NO_LABELS,
    ips,
    externalTrafficPolicy: 'Cluster' as const,
    endpoints: HOST_SERVES,
  }));
}

/** The election's view of a file: its configuration and services. */
function fromFile(file: FileSpeakerConfig): { config: Config; services: ElectionService[] } {
  const parsed = parseObjects(vipObjects(file.vips, file.layer2.interfaces));
  if (!parsed.ok) throw new Error(`the VIP list does not make a valid configuration: ${parsed.errors.map(formatConfigError).join('; ')}`);
  return { config: parsed.config, services: vipServices(file.vips) };
}

/** The file's settings without its VIP list: once the VIPs are services and pools, the list itself is not kept (tens of thousands of entries). */
type FileSettings = Omit<FileSpeakerConfig, 'vips'>;

function settingsOf(file: FileSpeakerConfig): FileSettings {
  const { vips: _vips, ...settings } = file;
  return settings;
}

export class FileWorld implements World {
  private file: FileSettings;
  private config: Config;
  private services: ElectionService[];
  private readonly listeners: (() => void)[] = [];

  constructor(
    file: FileSpeakerConfig,
    private readonly advertiseHost: string,
    private readonly memberMeta: (name: string) => Meta | undefined,
  ) {
    this.file = settingsOf(file);
    ({ config: this.config, services: this.services } = fromFile(file));
  }

  /**
   * Takes a reloaded file (SIGHUP). VIPs, labels and the layer-2
   * interfaces apply at once; the node name, gossip, status and fencing
   * settings and the layer-2 gratuitous schedules and pacing (the announcer
   * is built with them) need a restart, which the returned list says.
   */
  update(file: FileSpeakerConfig): string[] {
    const needRestart: string[] = [];
    if (file.node !== this.file.node) needRestart.push('node');
    if (JSON.stringify(file.gossip) !== JSON.stringify(this.file.gossip)) needRestart.push('gossip');
    if (JSON.stringify([file.status, file.statusAllow]) !== JSON.stringify([this.file.status, this.file.statusAllow])) needRestart.push('status');
    if (JSON.stringify(file.fencing) !== JSON.stringify(this.file.fencing)) needRestart.push('fencing');
    const { interfaces, ...gratuitous } = file.layer2;
    const { interfaces: _running, ...runningGratuitous } = this.file.layer2;
    if (JSON.stringify(gratuitous) !== JSON.stringify(runningGratuitous)) needRestart.push('layer2');
    const next = fromFile(file);
    this.file = {
      ...settingsOf(file),
      node: this.file.node,
      gossip: this.file.gossip,
      status: this.file.status,
      statusAllow: this.file.statusAllow,
      fencing: this.file.fencing,
      layer2: { ...this.file.layer2, interfaces },
    };
    this.config = next.config;
    this.services = next.services;
    for (const fn of this.listeners) fn();
    return needRestart;
  }

  get labels(): Readonly<Record<string, string>> {
    return this.file.labels;
  }

  inputs(members: readonly ElectionMember[]) {
    const nodes = new Map<string, ElectionNode>();
    for (const m of members) {
      const labels = m.name === this.file.node ? this.file.labels : labelsFromMeta(this.memberMeta(m.name) ?? {});
      nodes.set(m.name, { labels, networkUnavailable: false });
    }
    return { members, nodes, config: this.config, services: this.services };
  }

  self(): SelfNode {
    const family = ipFamily(this.advertiseHost);
    return { name: this.file.node, labels: this.file.labels, ipv4: family === 4 ? this.advertiseHost : undefined, ipv6: family === 6 ? this.advertiseHost : undefined };
  }

  /** Fires on reloads; other members' labels arrive through gossip events, which the speaker watches itself. */
  onChange(fn: () => void): void {
    this.listeners.push(fn);
  }
}
