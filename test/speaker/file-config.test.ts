import t from 'tap';
import { parseFileConfig, timingProfile } from '../../src/speaker/file-config.js';
import { FileWorld, labelsFromMeta, labelsToMeta, vipServices } from '../../src/speaker/file-world.js';

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
  t.same(r.config.status, { host: '192.0.2.11', port: 9000 });
  t.same(r.config.vips.map((v) => v.address), ['192.0.2.100', '2001:db8::100', '192.0.2.101', '192.0.2.101']);
  const minimal = parseFileConfig({ vips: [{ address: '192.0.2.5' }] }, { hostname: 'host-x' });
  t.ok(minimal.ok && minimal.config.node === 'host-x' && minimal.config.gossip.bind.port === 7946 && minimal.config.status.port === 7473, 'defaults: host name, ports 7946 and 7473');
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
