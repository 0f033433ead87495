// Three speaker processes (file mode) in node namespaces on one bridge and a
// client namespace, with real arping, ndisc6 and tcpdump on the client:
// the elected owner answers, a killed owner's VIP moves to the new owner
// through gratuitous ARP alone, a released VIP gets no answer, and a shared
// VIP is announced by one node.
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { cliPath, distMissing } from '../support/dist.js';
import { NetLab, netlabUnavailable, waitFor, type LabProcess } from '../support/netlab.js';

const skip = netlabUnavailable() ?? distMissing();

const NODES = ['n1', 'n2', 'n3'] as const;
const ADDR: Record<string, [string, string]> = {
  n1: ['192.0.2.11', '2001:db8::11'],
  n2: ['192.0.2.12', '2001:db8::12'],
  n3: ['192.0.2.13', '2001:db8::13'],
};
const MAC: Record<string, string> = { n1: '02:00:00:00:00:11', n2: '02:00:00:00:00:12', n3: '02:00:00:00:00:13' };
const CLIENT_MAC = '02:00:00:00:00:02';

interface Announcement {
  ip: string;
  owner: string | null;
  thisNode: boolean;
  services: string[];
}

function speakerFile(node: string, vips: object[]): string {
  return JSON.stringify({
    node,
    gossip: { bind: `${ADDR[node]![0]}:7946`, join: NODES.map((n) => `${ADDR[n]![0]}:7946`) },
    status: `${ADDR[node]![0]}:7473`,
    layer2: { interfaces: ['eth0'] },
    vips,
  });
}

const VIPS = [
  { address: '192.0.2.100', name: 'web' },
  { address: '2001:db8::100', name: 'web' },
  { address: '192.0.2.101', name: 'shared-a' },
  { address: '192.0.2.101', name: 'shared-b' },
  { address: '192.0.2.102', name: 'going-away' },
];

t.test('speakers answer ARP/NDP for elected VIPs and fail over by gratuitous ARP', { skip: skip ?? false }, async (t) => {
  const lab = await NetLab.create('spk');
  const dir = mkdtempSync(join(tmpdir(), 'shoal-spk-'));
  t.teardown(async () => {
    await lab.destroy();
    rmSync(dir, { recursive: true, force: true });
  });
  for (const n of NODES) {
    await lab.host({ name: n, addrs: [`${ADDR[n]![0]}/24`, `${ADDR[n]![1]}/64`], mac: MAC[n]! });
    // The VIPs are on no interface: only shoal may answer for them.
    writeFileSync(join(dir, `${n}.yaml`), speakerFile(n, VIPS));
  }
  await lab.host({ name: 'c', addrs: ['192.0.2.2/24', '2001:db8::2/64'], mac: CLIENT_MAC });

  const speakers = new Map<string, LabProcess>();
  const start = (n: string): void => {
    speakers.set(n, lab.spawn(n, process.execPath, [cliPath, 'speaker', '--config', join(dir, `${n}.yaml`), '--layer2', 'on']));
  };
  for (const n of NODES) start(n);

  const announcements = async (n: string): Promise<Announcement[] | undefined> => {
    const r = await lab.exec('c', 'curl', ['-s', '--max-time', '1', `http://${ADDR[n]![0]}:7473/status`], { allowFail: true });
    if (r.code !== 0) return undefined;
    try {
      return (JSON.parse(r.stdout) as { announcements: { ips: Announcement[] } }).announcements.ips;
    } catch {
      return undefined;
    }
  };
  /** The owner every running speaker agrees on, or undefined while they disagree. */
  const agreedOwner = async (ip: string, running: readonly string[]): Promise<string | undefined> => {
    const views = await Promise.all(running.map(announcements));
    const owners = new Set(views.map((v) => v?.find((a) => a.ip === ip)?.owner ?? 'none'));
    const [only] = owners;
    return owners.size === 1 && only !== 'none' ? only : undefined;
  };
  const arping = async (ip: string): Promise<string[]> => {
    const r = await lab.exec('c', 'arping', ['-c', '2', '-w', '2', '-I', 'eth0', ip], { allowFail: true });
    return [...new Set([...r.stdout.matchAll(/\[([0-9a-f:]{17})\]/gi)].map((m) => m[1]!.toLowerCase()))];
  };

  const owner = await waitFor(() => agreedOwner('192.0.2.100', NODES), 20_000, 'the three speakers to agree on an owner of 192.0.2.100');
  t.ok(NODES.includes(owner as (typeof NODES)[number]), `192.0.2.100 is owned by ${owner}`);
  t.same(await arping('192.0.2.100'), [MAC[owner]], 'arping resolves the VIP to the owner\'s MAC, and only that one');

  const owner6 = await waitFor(() => agreedOwner('2001:db8::100', NODES), 5000, 'an owner of 2001:db8::100');
  const nd = await lab.exec('c', 'ndisc6', ['-1', '-r', '3', '-w', '500', '2001:db8::100', 'eth0'], { allowFail: true });
  t.match(nd.stdout.toLowerCase(), MAC[owner6]!, `ndisc6 resolves 2001:db8::100 to ${owner6}`);

  const sharedOwner = await waitFor(() => agreedOwner('192.0.2.101', NODES), 5000, 'an owner of the shared VIP');
  const views = await Promise.all(NODES.map(announcements));
  const here = views.map((v) => v?.find((a) => a.ip === '192.0.2.101'));
  t.equal(here.filter((a) => a?.thisNode).length, 1, 'exactly one node announces the shared VIP');
  t.same(here[0]?.services, ['file/shared-a', 'file/shared-b'], 'both services are on that one election');
  t.same(await arping('192.0.2.101'), [MAC[sharedOwner]], 'one MAC answers for the shared VIP');

  // Give the client a neighbour entry for the VIP, then watch whether it
  // asks again: it must not need to.
  await lab.exec('c', 'ping', ['-c', '1', '-W', '1', '192.0.2.100'], { allowFail: true });
  const neigh = async (): Promise<string> => (await lab.exec('c', 'ip', ['neigh', 'show', '192.0.2.100', 'dev', 'eth0'])).stdout;
  t.match(await neigh(), MAC[owner]!, 'the client caches the owner\'s MAC');
  const capture = lab.spawn('c', 'tcpdump', ['-l', '-n', '-p', '-i', 'eth0', `arp and ether src ${CLIENT_MAC}`]);
  await waitFor(() => capture.output().includes('listening on'), 5000, 'tcpdump to start');

  await lab.kill(speakers.get(owner)!, 'SIGKILL');
  const survivors = NODES.filter((n) => n !== owner);
  const next = await waitFor(
    async () => {
      const o = await agreedOwner('192.0.2.100', survivors);
      return o !== owner && o;
    },
    10_000,
    'the survivors to agree on a new owner of 192.0.2.100',
  );
  t.ok(survivors.includes(next as (typeof survivors)[number]), `${next} took 192.0.2.100 over`);
  await waitFor(async () => (await neigh()).includes(MAC[next]!), 5000, 'the client\'s neighbour entry to move to the new owner');
  t.pass('the client\'s neighbour entry moved to the new owner');
  await lab.kill(capture, 'SIGTERM');
  t.equal(capture.output().split('\n').filter((l) => /ARP, Request/.test(l)).length, 0, 'the client sent no ARP request: gratuitous ARP alone moved it');
  t.same(await arping('192.0.2.100'), [MAC[next]], 'arping now resolves to the new owner');

  // Release 192.0.2.102 everywhere: nobody may answer for it any more.
  t.ok((await arping('192.0.2.102')).length === 1, 'before the release someone answers for 192.0.2.102');
  for (const n of survivors) {
    writeFileSync(join(dir, `${n}.yaml`), speakerFile(n, VIPS.filter((v) => v.address !== '192.0.2.102')));
    process.kill(speakers.get(n)!.pid, 'SIGHUP');
  }
  await waitFor(async () => (await Promise.all(survivors.map(announcements))).every((v) => v && !v.some((a) => a.ip === '192.0.2.102')), 5000, 'the speakers to drop 192.0.2.102');
  t.same(await arping('192.0.2.102'), [], 'a released VIP gets no answer from anyone');
});
