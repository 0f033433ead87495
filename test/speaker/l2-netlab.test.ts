// Three speaker processes (file mode) in node namespaces on one bridge and a
// client namespace, with real arping, ndisc6 and tcpdump on the client:
// the elected owner answers, a killed owner's VIP moves to the new owner
// through gratuitous ARP alone, a released VIP gets no answer, and a shared
// VIP is announced by one node.
import t from 'tap';
import { distMissing } from '../support/dist.js';
import { netlabUnavailable, waitFor } from '../support/netlab.js';
import { CLIENT_MAC, FileSpeakerLab, MAC, NODES, type NodeName } from './file-speaker-lab.js';

const skip = netlabUnavailable() ?? distMissing();

const VIPS = [
  { address: '192.0.2.100', name: 'web' },
  { address: '2001:db8::100', name: 'web' },
  { address: '192.0.2.101', name: 'shared-a' },
  { address: '192.0.2.101', name: 'shared-b' },
  { address: '192.0.2.102', name: 'going-away' },
];

t.test('speakers answer ARP/NDP for elected VIPs and fail over by gratuitous ARP', { skip: skip ?? false }, async (t) => {
  const fl = await FileSpeakerLab.create('spk', t);
  const { lab, speakers } = fl;
  // The VIPs are on no interface: only shoal may answer for them.
  for (const n of NODES) fl.writeConfig(n, VIPS);
  for (const n of NODES) fl.start(n);
  const announcements = (n: NodeName) => fl.announcements(n);
  const agreedOwner = (ip: string, running: readonly NodeName[]) => fl.agreedOwner(ip, running) as Promise<NodeName | undefined>;
  const arping = (ip: string) => fl.arping(ip);

  // Started together, the speakers turn ready (the failback warm-up) at
  // about the same time; addresses settle on their ring owners after that.
  await waitFor(async () => (await Promise.all(NODES.map((n) => fl.ready(n)))).every((r) => r === true), 60_000, 'the three speakers to warm up');
  const owner = await waitFor(() => agreedOwner('192.0.2.100', NODES), 45_000, 'the three speakers to agree on an owner of 192.0.2.100');
  t.ok(NODES.includes(owner), `192.0.2.100 is owned by ${owner}`);
  t.same(await arping('192.0.2.100'), [MAC[owner]], 'arping resolves the VIP to the owner\'s MAC, and only that one');

  const owner6 = await waitFor(() => agreedOwner('2001:db8::100', NODES), 45_000, 'an owner of 2001:db8::100');
  t.match(await fl.ndisc('2001:db8::100'), MAC[owner6], `ndisc6 resolves 2001:db8::100 to ${owner6}`);

  const sharedOwner = await waitFor(() => agreedOwner('192.0.2.101', NODES), 45_000, 'an owner of the shared VIP');
  const views = await Promise.all(NODES.map(announcements));
  const here = views.map((v) => v?.find((a) => a.ip === '192.0.2.101'));
  t.equal(here.filter((a) => a?.thisNode).length, 1, 'exactly one node announces the shared VIP');
  t.same(here[0]?.services, ['file/shared-a', 'file/shared-b'], 'both services are on that one election');
  t.same(await arping('192.0.2.101'), [MAC[sharedOwner]], 'one MAC answers for the shared VIP');

  // Give the client a neighbour entry for the VIP, then watch whether it
  // asks again: it must not need to.
  // The kernel resolves in the background and ping does not wait for it: a
  // slow answer leaves the entry incomplete when ping returns, so ask until
  // the entry is there (it must then hold the owner's MAC).
  const neigh = () => fl.neighbour('192.0.2.100');
  const cached = await waitFor(
    async () => {
      await lab.exec('c', 'ping', ['-c', '1', '-W', '1', '192.0.2.100'], { allowFail: true });
      const entry = await neigh();
      return /lladdr/.test(entry) && entry;
    },
    45_000,
    'the client to resolve 192.0.2.100',
  );
  t.match(cached, MAC[owner], 'the client caches the owner\'s MAC');
  const capture = lab.spawn('c', 'tcpdump', ['-l', '-n', '-p', '-i', 'eth0', `arp and ether src ${CLIENT_MAC}`]);
  await waitFor(() => capture.output().includes('listening on'), 30_000, 'tcpdump to start');

  await lab.kill(speakers.get(owner)!, 'SIGKILL');
  const survivors = NODES.filter((n) => n !== owner);
  const next = await waitFor(
    async () => {
      const o = await agreedOwner('192.0.2.100', survivors);
      return o !== owner && o;
    },
    45_000,
    'the survivors to agree on a new owner of 192.0.2.100',
  );
  t.ok(survivors.includes(next), `${next} took 192.0.2.100 over`);
  await waitFor(async () => (await neigh()).includes(MAC[next]), 45_000, 'the client\'s neighbour entry to move to the new owner');
  t.pass('the client\'s neighbour entry moved to the new owner');
  await lab.kill(capture, 'SIGTERM');
  // Requests for the VIP only: the client's /status requests to the nodes
  // may re-validate the nodes' own addresses meanwhile (a slow run lets
  // those entries go stale), which says nothing about the VIP.
  const asked = capture.output().split('\n').filter((l) => l.includes('ARP, Request who-has 192.0.2.100 '));
  t.same(asked, [], 'the client sent no ARP request for the VIP: gratuitous ARP alone moved it');
  t.same(await arping('192.0.2.100'), [MAC[next]], 'arping now resolves to the new owner');

  // Release 192.0.2.102 everywhere: nobody may answer for it any more.
  t.ok((await arping('192.0.2.102')).length === 1, 'before the release someone answers for 192.0.2.102');
  for (const n of survivors) {
    fl.writeConfig(n, VIPS.filter((v) => v.address !== '192.0.2.102'));
    process.kill(speakers.get(n)!.pid, 'SIGHUP');
  }
  await waitFor(async () => (await Promise.all(survivors.map(announcements))).every((v) => v && !v.some((a) => a.ip === '192.0.2.102')), 45_000, 'the speakers to drop 192.0.2.102');
  t.same(await arping('192.0.2.102'), [], 'a released VIP gets no answer from anyone');
});
