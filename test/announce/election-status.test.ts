import t from 'tap';
import { Election } from '../../src/announce/election.js';
import { announcementsJson, announcementsSection, announcementsText, explanationJson, explanationText, ipStatusResource, OwnershipTracker } from '../../src/announce/election-status.js';
import { EXCLUDE_LB_LABEL } from '../../src/announce/election-inputs.js';
import type { ElectionInputs } from '../../src/announce/election-inputs.js';
import { config, inputs, members, node, plainNodes, service } from './election-support.js';

const CFG = config({ default: ['192.0.2.0/24', '2001:db8::/64'], bgp: ['198.51.100.0/24'] }, { lan: { ipAddressPools: ['default'], interfaces: ['eth0'] } });
const NAMES = ['node-a', 'node-b', 'node-c'];

function clock(start: number): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

function scene(live = NAMES): ElectionInputs {
  return inputs({
    config: CFG,
    members: [...members(live), ...members(NAMES.filter((n) => !live.includes(n)), 'dead')],
    nodes: plainNodes(NAMES),
    services: [service('web', ['192.0.2.10', '2001:db8::10']), service('dns', ['192.0.2.10'], { namespace: 'infra' }), service('routed', ['198.51.100.1']), service('bad', ['192.0.2.999'])],
  });
}

t.test('tracker: since when each IP has had its owner, and what changed', async (t) => {
  const c = clock(Date.UTC(2024, 0, 1));
  const tracker = new OwnershipTracker(c.now);
  const e = new Election();
  const first = e.compute(scene());
  const changes = tracker.update(first);
  t.same(
    changes.map((x) => [x.ip, x.from, x.to]),
    [
      ['192.0.2.10', undefined, first.decisions.get('192.0.2.10')!.owner],
      ['2001:db8::10', undefined, first.decisions.get('2001:db8::10')!.owner],
    ],
    'new owned IPs are changes; a new IP without owner is not',
  );
  t.equal(tracker.since('198.51.100.1'), c.now(), 'ownerless IPs are tracked too');
  c.advance(5000);
  t.same(tracker.update(e.compute(scene())), [], 'same result, no change');
  t.equal(tracker.since('192.0.2.10'), Date.UTC(2024, 0, 1), 'since is kept');

  const owner = first.decisions.get('192.0.2.10')!.owner!;
  c.advance(1000);
  const without = e.compute(scene(NAMES.filter((n) => n !== owner)));
  const moved = tracker.update(without);
  t.ok(moved.some((x) => x.ip === '192.0.2.10' && x.from === owner && x.to === without.decisions.get('192.0.2.10')!.owner));
  t.equal(tracker.since('192.0.2.10'), Date.UTC(2024, 0, 1) + 6000);

  const gone = tracker.update(e.compute({ ...scene(), services: [] }));
  t.same(gone.map((x) => x.to), gone.map(() => undefined), 'IPs no longer held: to undefined');
  t.equal(tracker.since('192.0.2.10'), undefined, 'forgotten');
});

t.test('announcements JSON and text', async (t) => {
  const c = clock(Date.UTC(2024, 0, 1, 12));
  const tracker = new OwnershipTracker(c.now);
  const e = new Election();
  const r = e.compute(scene());
  tracker.update(r);
  c.advance(135_000);
  const owner = r.decisions.get('192.0.2.10')!.owner!;
  const json = announcementsJson(r, owner, tracker);
  t.equal(json.node, owner);
  t.same(json.members, NAMES);
  t.equal(json.addresses, 3);
  t.match(json.ips[0], {
    ip: '192.0.2.10',
    pool: 'default',
    services: ['default/web', 'infra/dns'],
    owner,
    thisNode: true,
    interfaces: ['eth0'],
    since: '2024-01-01T12:00:00.000Z',
    noOwner: null,
  });
  t.match(json.ips[1], { ip: '198.51.100.1', owner: null, thisNode: false, noOwner: { code: 'no-l2advertisement-for-pool' } });
  t.same(json.problems.map((p) => p.field), ['ips[0]']);
  t.same(JSON.parse(JSON.stringify(json)), json, 'plain JSON');

  const text = announcementsText(r, owner, tracker);
  const lines = text.split('\n');
  t.match(lines[0], new RegExp(`^announcements: ${owner} announces \\d of 3 addresses; ring of 3 live members$`));
  t.match(lines[1], /^IP\s+POOL\s+OWNER\s+HERE\s+INTERFACES\s+FOR\s+SERVICES\s+NOTE$/);
  t.match(lines[2], new RegExp(`^192\\.0\\.2\\.10\\s+default\\s+${owner}\\s+yes\\s+eth0\\s+2m15s\\s+default/web infra/dns$`));
  t.match(lines[3], /^198\.51\.100\.1\s+bgp\s+-\s+no\s+-\s+2m15s\s+default\/routed\s+no-l2advertisement-for-pool$/);
  t.match(text, /input problem: default\/bad ips\[0\]: "192.0.2.999" is not an IP address/);

  const section = announcementsSection(() => r, owner, tracker);
  t.equal(section.name, 'announcements');
  t.same(section.json(), json);
  t.equal(section.text(), text);
  const pending = announcementsSection(() => undefined, 'node-a', tracker);
  t.match(pending.text(), /no election has run yet/);
});

t.test('GET /status/ip/ADDRESS: ring order and every candidate filtered out', async (t) => {
  const e = new Election();
  const base = scene();
  const order = e.explain('192.0.2.10', base)!.ring.map((c) => c.member);
  const nodes = plainNodes(NAMES).set(order[0]!, node({ [EXCLUDE_LB_LABEL]: '' }));
  const i = { ...base, members: [...members(NAMES), { name: 'node-old', state: 'left' as const }], nodes };
  const ex = e.explain('192.0.2.10', i)!;
  const json = explanationJson(ex);
  t.match(json, { ip: '192.0.2.10', owner: order[1], interfaces: ['eth0'], keyHash: ex.keyHash, notLive: [{ node: 'node-old', state: 'left' }] });
  t.same(
    (json.ring as { member: string; verdict: string }[]).map((c) => [c.member, c.verdict]),
    [
      [order[0], 'skipped'],
      [order[1], 'owner'],
      [order[2], 'eligible'],
    ],
  );
  const text = explanationText(ex);
  const lines = text.split('\n');
  t.equal(lines[0], `192.0.2.10: owned by ${order[1]} (2nd on the ring), interfaces eth0`);
  t.equal(lines[1], 'pool default; services default/web infra/dns');
  t.match(lines[3], /^ring walk from 192\.0\.2\.10 \(ketama hash 0x[0-9a-f]{8}\):$/);
  t.match(lines[5], new RegExp(`^1\\s+${order[0]}\\s+skipped\\s+excluded-label: node has the ${EXCLUDE_LB_LABEL} label$`));
  t.match(lines[6], new RegExp(`^2\\s+${order[1]}\\s+owner$`));
  t.match(lines[7], new RegExp(`^3\\s+${order[2]}\\s+eligible\\s+next in line$`));
  t.equal(lines[9], 'not on the ring: node-old (left)');

  const none = explanationText(e.explain('198.51.100.1', i)!);
  t.equal(none.split('\n')[0], '198.51.100.1: no owner: no-l2advertisement-for-pool: no L2Advertisement covers pool bgp');

  const resource = ipStatusResource((ip) => e.explain(ip, i));
  t.equal(resource.prefix, 'ip');
  t.same(resource.handle('192.0.2.10'), { json, text: explanationText(e.explain('192.0.2.10', i)!) });
  t.match(resource.handle('2001:DB8::10'), { json: { ip: '2001:db8::10' } }, 'any spelling of the address');
  t.equal(resource.handle('192.0.2.77'), undefined, '404 for an IP no service holds');
  t.same(resource.handle(''), { badRequest: 'name an address: /status/ip/ADDRESS' }, '400 without an address');
  t.same(resource.handle('192.0.2.300'), { badRequest: '"192.0.2.300": not an IP address' }, '400 for what is not an address');
});
