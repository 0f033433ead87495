import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { MAX_GOSSIPED_MACS, macsMeta } from '../../src/announce/fencing/member-macs.js';
import { encodedMetaSize } from '../../src/cluster/codec.js';
import { parseIP } from '../../src/net/index.js';
import { loadFileConfig, parseFileConfig, timingProfile, type FileVip } from '../../src/speaker/file-config.js';
import { DEFAULT_FILE_LIMITS } from '../../src/speaker/file-limits.js';
import { FileWorld, labelsFromMeta, labelsToMeta, vipObjects, vipServices } from '../../src/speaker/file-world.js';

const good = {
  node: 'lb-1',
  labels: { rack: 'r1' },
  gossip: { bind: '192.0.2.11:7946', join: ['192.0.2.11', '192.0.2.12:7000'], profile: 'lan', timing: { probeIntervalMs: 500 }, keyFile: '/etc/shoal/key' },
  status: '192.0.2.11:9000',
  layer2: { interfaces: ['eth0'], gratuitousArpMs: [0, 500] },
  vips: [
    { address: '192.0.2.100', name: 'web' },
    { address: '2001:DB8::0100', name: 'web' },
    { address: '192.0.2.101', name: 'a', nodeSelectors: [{ matchLabels: { rack: 'r1' } }] },
    { address: '192.0.2.101', name: 'b', nodeSelectors: [{ matchLabels: { rack: 'r1' } }] },
  ],
};

function minimalPacing(): boolean {
  const r = parseFileConfig({ vips: [{ address: '192.0.2.5' }] }, { hostname: 'h' });
  return r.ok && r.config.layer2.gratuitousFramesPerSecond === undefined && r.config.layer2.gratuitousBurst === undefined;
}

t.test('a complete file parses, with defaults and canonical addresses', async (t) => {
  const r = parseFileConfig(good, { hostname: 'ignored' });
  t.ok(r.ok);
  if (!r.ok) return;
  t.equal(r.config.node, 'lb-1');
  t.same(r.config.gossip.bind, { host: '192.0.2.11', port: 7946 });
  t.equal(r.config.gossip.profile, 'lan');
  const timing = timingProfile(r.config.gossip);
  t.equal(timing.probeIntervalMs, 500, 'a timing override applies');
  t.equal(timing.probeTimeoutMs, 500, 'the rest is the named profile');
  t.equal(timing.name, 'lan+custom');
  t.same(r.config.status, [{ host: '192.0.2.11', port: 9000 }]);
  t.same(r.config.vips.map((v) => v.address), ['192.0.2.100', '2001:db8::100', '192.0.2.101', '192.0.2.101']);
  const minimal = parseFileConfig({ vips: [{ address: '192.0.2.5' }] }, { hostname: 'host-x' });
  t.ok(minimal.ok && minimal.config.node === 'host-x' && minimal.config.gossip.bind.port === 7946 && minimal.config.status === undefined, 'defaults: host name, port 7946, status on the default addresses');
  t.ok(minimal.ok && minimal.config.vips[0]!.name === '192.0.2.5', 'a VIP without a name is named after its address');
});

t.test('every error is reported with its path', async (t) => {
  const r = parseFileConfig(
    {
      nodee: 'typo',
      gossip: { bind: '192.0.2.1:99999', join: ['[2001:db8::1'], profile: 'turbo', timing: { probeIntervalMs: -1, warp: 9 } },
      vips: [
        { address: '192.0.2.300' },
        { name: 'no-address' },
        { address: '192.0.2.7', name: 'x' },
        { address: '192.0.2.7', name: 'x' },
        { address: '192.0.2.8', name: 'p', interfaces: ['eth0'] },
        { address: '192.0.2.8', name: 'q', interfaces: ['eth1'] },
        { address: '192.0.2.9', nodeSelectors: [{ matchExpressions: [{ key: 'a', operator: 'Near' }] }] },
      ],
    },
    { hostname: 'h' },
  );
  t.notOk(r.ok);
  if (r.ok) return;
  const paths = r.errors.map((e) => `${e.path}: ${e.code}`);
  t.same(paths, [
    'nodee: unknown-field',
    'gossip.bind: invalid-value',
    'gossip.join[0]: invalid-value',
    'gossip.profile: invalid-value',
    'gossip.timing.warp: unknown-field',
    'gossip.timing.probeIntervalMs: invalid-value',
    'vips[0].address: invalid-value',
    'vips[1].address: missing-field',
    'vips[3].address: duplicate-entry',
    'vips[5]: conflicting-fields',
    'vips[6].nodeSelectors[0].matchExpressions[0].operator: invalid-selector',
  ]);
  t.notOk(parseFileConfig({}, { hostname: 'h' }).ok, 'no VIPs is an error');
  const more = parseFileConfig(
    { status: ['192.0.2.1:7473', 'x:y'], statusAllow: ['192.0.2.0/24', '192.0.2.1'], layer2: { interfaces: ['eth0', 'a-very-long-interface-name'] }, vips: [{ address: '192.0.2.5', interfaces: ['bad/name'] }] },
    { hostname: 'h' },
  );
  t.same(more.ok ? [] : more.errors.map((e) => `${e.path}: ${e.message}`), [
    'status[1]: "x:y": "y" is not a port number',
    'statusAllow[1]: "192.0.2.1" is not a CIDR (address/length)',
    'layer2.interfaces[1]: "a-very-long-interface-name" is not an interface name (1 to 15 bytes, no "/" or spaces)',
    'vips[0].interfaces[0]: "bad/name" is not an interface name (1 to 15 bytes, no "/" or spaces)',
  ]);
  const paced = parseFileConfig({ layer2: { gratuitousFramesPerSecond: 2000, gratuitousBurst: 100 }, vips: [{ address: '192.0.2.5' }] }, { hostname: 'h' });
  t.ok(paced.ok && paced.config.layer2.gratuitousFramesPerSecond === 2000 && paced.config.layer2.gratuitousBurst === 100, 'gratuitous pacing settings');
  t.ok(minimalPacing(), 'left out: the announcer decides');
  const badPacing = parseFileConfig({ layer2: { gratuitousFramesPerSecond: 0, gratuitousBurst: 1.5 }, vips: [{ address: '192.0.2.5' }] }, { hostname: 'h' });
  t.same(badPacing.ok ? [] : badPacing.errors.map((e) => e.path), ['layer2.gratuitousFramesPerSecond', 'layer2.gratuitousBurst']);
  const listed = parseFileConfig({ status: '192.0.2.1', statusAllow: ['198.51.100.0/24'], vips: [{ address: '192.0.2.5' }] }, { hostname: 'h' });
  t.ok(listed.ok && listed.config.status?.[0]?.port === 7473 && listed.config.statusAllow[0] === '198.51.100.0/24', 'status as one address, an allow list');
});

// The row: a file with 100,000 VIPs, or one VIP name of 50 MB, was
// accepted (927 MB of memory, a 52 MB log line and /status).
t.test('limits: VIP count, name length and file size, each refused with its path and without echoing the value', async (t) => {
  const vips = Array.from({ length: 100_000 }, (_, i) => ({ address: `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}` }));
  const many = parseFileConfig({ vips }, { hostname: 'h' });
  t.same(many.ok ? [] : many.errors, [{ path: 'vips', code: 'over-limit', message: '100000 VIPs, more than the limit of 10000 (raise it with --max-vips)' }], 'one error, no entry parsed');
  t.ok(parseFileConfig({ vips: vips.slice(0, 3) }, { hostname: 'h' }, { ...DEFAULT_FILE_LIMITS, maxVips: 3 }).ok, 'at the limit is fine');
  t.notOk(parseFileConfig({ vips: vips.slice(0, 4) }, { hostname: 'h' }, { ...DEFAULT_FILE_LIMITS, maxVips: 3 }).ok, 'one more is not');

  const huge = 'n'.repeat(50 * 1024 * 1024);
  const named = parseFileConfig({ vips: [{ address: '192.0.2.5', name: huge }, { address: '192.0.2.300', name: 'x', interfaces: huge }] }, { hostname: 'h' });
  t.notOk(named.ok);
  if (!named.ok) {
    t.same(named.errors.map((e) => [e.path, e.code]), [['vips[0].name', 'over-limit'], ['vips[1].address', 'invalid-value']]);
    t.equal(named.errors[0]!.message, '52428800 bytes, longer than the limit of 128 (raise it with --max-name-length)');
    t.ok(named.errors.every((e) => e.message.length < 300), 'no error message carries the value');
  }
  t.ok(parseFileConfig({ vips: [{ address: '192.0.2.5', name: 'n'.repeat(200) }] }, { hostname: 'h' }, { ...DEFAULT_FILE_LIMITS, maxNameBytes: 200 }).ok, 'the limit is configurable');
  const wrongType = parseFileConfig({ vips: [{ address: '192.0.2.5', interfaces: huge }] }, { hostname: 'h' });
  t.ok(!wrongType.ok && wrongType.errors[0]!.message.length < 300, 'a type error does not echo the whole value either');

  const labels = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`rack-${i}`, `value-${i}`]));
  const labelled = parseFileConfig({ labels, vips: [{ address: '192.0.2.5' }] }, { hostname: 'h' });
  t.match(labelled.ok ? [] : labelled.errors, [{ path: 'labels', code: 'over-limit', message: /the labels take \d+ bytes of gossip metadata, more than the \d+ left beside the version and the interface MACs/ }], 'labels must fit in the gossip metadata');
  const mistakes = parseFileConfig({ vips: Array.from({ length: 150 }, (_, i) => ({ address: `not-an-address-${i}` })) }, { hostname: 'h' });
  t.equal(mistakes.ok ? 0 : mistakes.errors.length, 101, 'at most 100 errors reported');
  t.same(mistakes.ok ? undefined : mistakes.errors[100], { path: '', code: 'over-limit', message: 'and 50 more errors' });

  const dir = mkdtempSync(join(tmpdir(), 'shoal-file-limits-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const big = join(dir, 'big.yaml');
  writeFileSync(big, `vips:\n  - address: 192.0.2.5\n    name: ${huge}\n`);
  const loaded = await loadFileConfig(big);
  t.same(loaded.ok ? [] : loaded.errors, [{ path: '', code: 'over-limit', message: `${big}: 52428840 bytes, more than the limit of 4194304 (raise it with --max-file-size)` }]);
  t.match(await loadFileConfig(dir), { ok: false, errors: [{ message: `${dir}: a directory, not a file` }] });
  const fifo = join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  t.match(await loadFileConfig(fifo), { ok: false, errors: [{ message: `${fifo}: not a regular file` }] }, 'a FIFO is refused, not waited on');
  t.match(await loadFileConfig(join(dir, 'missing.yaml')), { ok: false, errors: [{ message: /missing\.yaml: ENOENT/ }] });
});

t.test('file world: VIPs become pools, advertisements and services', async (t) => {
  const r = parseFileConfig(good, { hostname: 'h' });
  if (!r.ok) throw new Error('fixture');
  const metas = new Map([['lb-2', labelsToMeta({ rack: 'r2' })]]);
  const world = new FileWorld(r.config, '192.0.2.11', (n) => metas.get(n));
  const inputs = world.inputs([
    { name: 'lb-1', state: 'alive' },
    { name: 'lb-2', state: 'alive' },
  ])!;
  t.same(inputs.config.pools.map((p) => [p.name, p.addresses]), [
    ['vips', ['192.0.2.100/32', '2001:db8::100/128']],
    ['vips-2', ['192.0.2.101/32']],
  ], 'one pool per set of interfaces and node selectors');
  t.same(inputs.config.l2Advertisements.find((a) => a.name === 'vips-2')?.nodeSelectors[0]?.matchLabels, { rack: 'r1' });
  t.same(inputs.config.l2Advertisements.find((a) => a.name === 'vips')?.interfaces, ['eth0'], 'layer2.interfaces is the default');
  t.same(inputs.nodes.get('lb-1')?.labels, { rack: 'r1' }, 'own labels from the file');
  t.same(inputs.nodes.get('lb-2')?.labels, { rack: 'r2' }, 'others\' labels from their gossip metadata');
  t.same(
    vipServices(r.config.vips).map((s) => [s.name, s.ips]),
    [
      ['web', ['192.0.2.100', '2001:db8::100']],
      ['a', ['192.0.2.101']],
      ['b', ['192.0.2.101']],
    ],
  );
  t.same(labelsFromMeta({ version: '1', 'label:zone': 'z' }), { zone: 'z' });
  let changes = 0;
  world.onChange(() => changes++);
  const restart = world.update({ ...r.config, node: 'renamed', vips: r.config.vips.slice(0, 1) });
  t.same(restart, ['node'], 'renaming needs a restart');
  t.equal(changes, 1);
  t.same(world.inputs([{ name: 'lb-1', state: 'alive' }])!.config.pools.map((p) => p.addresses), [['192.0.2.100/32']], 'the reload applied');
  t.equal(world.self().name, 'lb-1', 'the node name stays until restart');
});

t.test('a pool holds exactly its VIPs, neighbours merged into one range', async (t) => {
  const vips: FileVip[] = ['192.0.2.3', '192.0.2.1', '192.0.2.2', '192.0.2.5', '2001:db8::2', '2001:db8::1', '192.0.2.1'].map((address, i) => ({ address, name: `v${i}`, interfaces: [], nodeSelectors: [] }));
  // A VIP with other settings between them is in a pool of its own, and splits nothing.
  vips.push({ address: '192.0.2.4', name: 'other', interfaces: ['eth1'], nodeSelectors: [] });
  const pools = (vipObjects(vips, ['eth0']) as { kind: string; metadata: { name: string }; spec: { addresses?: string[] } }[]).filter((o) => o.kind === 'IPAddressPool');
  t.same(
    pools.map((p) => [p.metadata.name, p.spec.addresses]),
    [
      ['vips', ['192.0.2.1-192.0.2.3', '192.0.2.5/32', '2001:db8::1-2001:db8::2']],
      ['vips-2', ['192.0.2.4/32']],
    ],
  );
  const r = parseFileConfig({ vips: vips.map(({ address, name, interfaces }) => ({ address, name, ...(interfaces.length ? { interfaces } : {}) })).filter((_, i) => i !== 6) }, { hostname: 'h' });
  t.ok(r.ok);
  if (!r.ok) return;
  const inputs = new FileWorld(r.config, '192.0.2.11', () => undefined).inputs([{ name: 'h', state: 'alive' }]);
  for (const ip of ['192.0.2.1', '192.0.2.2', '192.0.2.3', '192.0.2.5', '2001:db8::1', '2001:db8::2']) t.equal(inputs.config.poolIndex.poolOf(parseIP(ip)!)?.name, 'vips', `${ip} is in the VIPs' pool`);
  t.equal(inputs.config.poolIndex.poolOf(parseIP('192.0.2.4')!)?.name, 'vips-2');
  t.equal(inputs.config.poolIndex.poolOf(parseIP('192.0.2.6')!), undefined, 'no address beyond the VIPs');
});

t.test('labels at the budget still fit beside the version and eight interface MACs', async (t) => {
  // Grow one label value until the file is refused: the last accepted one is the budget.
  let accepted: Record<string, string> | undefined;
  for (let n = 1; n <= 256; n++) {
    const labels = { 'example.com/rack': 'r'.repeat(Math.min(63, n)), ...(n > 63 ? { 'example.com/row': 'w'.repeat(Math.min(63, n - 63)) } : {}), ...(n > 126 ? { 'example.com/zone': 'z'.repeat(Math.min(63, n - 126)) } : {}), ...(n > 189 ? { 'example.com/pod': 'p'.repeat(Math.min(63, n - 189)) } : {}) };
    const r = parseFileConfig({ labels, vips: [{ address: '192.0.2.5' }] }, { hostname: 'h' });
    if (r.ok) accepted = labels;
  }
  t.ok(accepted, 'some labels are accepted');
  const macs = Array.from({ length: MAX_GOSSIPED_MACS + 2 }, (_, i) => `02:00:00:00:00:${(i + 16).toString(16)}`);
  const meta = { version: 'v'.repeat(40), ...labelsToMeta(accepted!), ...macsMeta(macs) };
  t.ok(encodedMetaSize(meta) <= 512, `${encodedMetaSize(meta)} bytes with the MACs: within the 512 gossip allows`);
});

t.test('the fencing section: defaults, every key, and bad values with their paths', async (t) => {
  const base = { vips: [{ address: '192.0.2.5' }] };
  const d = parseFileConfig(base, { hostname: 'h' });
  t.ok(d.ok);
  if (d.ok) t.same(d.config.fencing, { resolve: true, reassertMs: 3000, healBurstMs: [0, 500, 2000], quorum: false, failbackDelayMs: 10000 });
  const all = parseFileConfig({ ...base, fencing: { resolve: false, reassertMs: 0, healBurstMs: [], quorum: true, failbackDelayMs: 0 } }, { hostname: 'h' });
  t.ok(all.ok);
  if (all.ok) t.same(all.config.fencing, { resolve: false, reassertMs: 0, healBurstMs: [], quorum: true, failbackDelayMs: 0 }, 'off switches');
  const bad = parseFileConfig({ ...base, fencing: { resolve: 'yes', reassertMs: -1, healBurstMs: [500, 0, 'x'], quorum: 1, failbackDelayMs: 1.5, leases: true } }, { hostname: 'h' });
  t.notOk(bad.ok);
  const paths = bad.ok ? [] : bad.errors.map((e) => e.path).sort();
  t.same(paths, ['fencing.failbackDelayMs', 'fencing.healBurstMs[1]', 'fencing.healBurstMs[2]', 'fencing.leases', 'fencing.quorum', 'fencing.reassertMs', 'fencing.resolve']);
});

t.test('the fencing section: quorum and the failback delay, defaults, and errors with their paths', async (t) => {
  const base = { vips: [{ address: '192.0.2.5' }] };
  const defaults = parseFileConfig(base, { hostname: 'h' });
  t.match(defaults.ok && defaults.config.fencing, { quorum: false, failbackDelayMs: 10_000 }, 'quorum off, a 10 s warm-up');
  const set = parseFileConfig({ ...base, fencing: { quorum: true, failbackDelayMs: 0 } }, { hostname: 'h' });
  t.match(set.ok && set.config.fencing, { quorum: true, failbackDelayMs: 0 }, '0: ready at once');
  const bad = parseFileConfig({ ...base, fencing: { quorum: 'yes', failbackDelayMs: -5, leases: true } }, { hostname: 'h' });
  t.same(bad.ok ? [] : bad.errors.map((e) => [e.path, e.code]), [
    ['fencing.leases', 'unknown-field'],
    ['fencing.quorum', 'wrong-type'],
    ['fencing.failbackDelayMs', 'invalid-value'],
  ]);
  const fraction = parseFileConfig({ ...base, fencing: { failbackDelayMs: 2.5 } }, { hostname: 'h' });
  t.same(fraction.ok ? [] : fraction.errors.map((e) => [e.path, e.code]), [['fencing.failbackDelayMs', 'wrong-type']]);
  const huge = parseFileConfig({ ...base, fencing: { failbackDelayMs: 3_600_001 } }, { hostname: 'h' });
  t.match(huge.ok ? [] : huge.errors, [{ path: 'fencing.failbackDelayMs', message: /out of range 0 to 3600000/ }]);
  const notObject = parseFileConfig({ ...base, fencing: [] }, { hostname: 'h' });
  t.same(notObject.ok ? [] : notObject.errors.map((e) => [e.path, e.code]), [['fencing', 'wrong-type']]);
});

t.test('a reload keeps the running fencing settings and says they need a restart', async (t) => {
  const a = parseFileConfig({ node: 'h', vips: [{ address: '192.0.2.5' }] }, { hostname: 'h' });
  const b = parseFileConfig({ node: 'h', fencing: { quorum: true }, vips: [{ address: '192.0.2.5' }, { address: '192.0.2.6' }] }, { hostname: 'h' });
  if (!a.ok || !b.ok) throw new Error('fixture');
  const world = new FileWorld(a.config, '192.0.2.1', () => undefined);
  t.same(world.update(b.config), ['fencing']);
  t.same(world.update(b.config), ['fencing'], 'still the running one (quorum off) until a restart');
});

t.test('a reload applies new layer-2 interfaces at once; new gratuitous schedules or pacing need a restart', async (t) => {
  const a = parseFileConfig({ node: 'h', vips: [{ address: '192.0.2.5' }] }, { hostname: 'h' });
  const b = parseFileConfig({ node: 'h', layer2: { interfaces: ['eth1'], gratuitousFramesPerSecond: 100 }, vips: [{ address: '192.0.2.5' }] }, { hostname: 'h' });
  const c = parseFileConfig({ node: 'h', layer2: { interfaces: ['eth1'] }, vips: [{ address: '192.0.2.5' }] }, { hostname: 'h' });
  if (!a.ok || !b.ok || !c.ok) throw new Error('fixture');
  const world = new FileWorld(a.config, '192.0.2.1', () => undefined);
  t.same(world.update(b.config), ['layer2']);
  t.same(world.update(b.config), ['layer2'], 'the running pacing stays until a restart');
  t.same(world.update(c.config), [], 'back to what runs');
  const l2 = world.inputs([{ name: 'h', state: 'alive' }])!.config.l2Advertisements;
  t.same(l2.map((ad) => ad.interfaces), [['eth1']], 'the interfaces applied');
});
