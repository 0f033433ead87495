// Delayed failback with real speakers (root, namespaces): three file-mode
// speakers with a failback delay, the owner of the VIPs killed and started
// again. While the restarted speaker says it is not ready, its VIPs stay
// with the speaker that took them over (one answerer to arping and ndisc6,
// and /status/ip explains the restarted one is skipped as not ready); once
// it says ready, they come back to it, answered by it alone. The checks
// follow what the speakers report, not the clock.
import t from 'tap';
import { distMissing } from '../support/dist.js';
import { netlabUnavailable, waitFor } from '../support/netlab.js';
import { ADDR, FileSpeakerLab, MAC, NODES, VIP4, VIP6, WEB_VIPS, type NodeName } from './file-speaker-lab.js';

const skip = netlabUnavailable() ?? distMissing();

// Both walk the ring n1, n2, n3: one owner for both families.
const VIPS = WEB_VIPS;
// Long enough that the restart and the checks during the warm-up (process
// start, rejoin, arping, ndisc6, curl) end well before it on a machine at
// load 15, where starting the process alone can take 10 s; the test checks
// they did.
const FAILBACK_DELAY_MS = 40_000;
// The first start of all three is not under test: a short warm-up keeps the
// run short; the restarted owner gets FAILBACK_DELAY_MS.
const FIRST_START_DELAY_MS = 5_000;

t.test('a restarted owner takes its VIPs back only once it says it is ready', { skip: skip ?? false }, async (t) => {
  const fl = await FileSpeakerLab.create('fbk', t);
  const { lab, speakers } = fl;
  for (const n of NODES) fl.writeConfig(n, VIPS, {}, { fencing: { failbackDelayMs: FIRST_START_DELAY_MS } });
  for (const n of NODES) fl.start(n);
  t.teardown(async () => {
    if (!t.passing()) for (const n of NODES) t.comment(`${n}: ${JSON.stringify((await fl.status(n))?.['fencing'])}`);
  });

  const ready = (n: NodeName): Promise<boolean | undefined> => fl.ready(n);
  /** How speaker `observer` sees `member`: its state and ready flag. */
  const seenBy = async (observer: NodeName, member: NodeName): Promise<string | undefined> => {
    const s = (await fl.status(observer)) as { gossip?: { members?: { name: string; state: string; meta: Record<string, string> }[] } } | undefined;
    const m = s?.gossip?.members?.find((x) => x.name === member);
    return m && `${m.state} ready=${m.meta['ready'] ?? '-'}`;
  };
  const owner = await waitFor(
    async () => {
      const states = await Promise.all(NODES.map(ready));
      if (!states.every((r) => r === true)) return false;
      return (await fl.agreedOwner(VIP4, NODES)) as NodeName | undefined;
    },
    FIRST_START_DELAY_MS + 60_000,
    'every speaker to warm up and agree on an owner',
  );
  t.equal(await waitFor(async () => (await fl.agreedOwner(VIP6, NODES)) as NodeName | undefined, 45_000, `an owner of ${VIP6}`), owner, `${owner} owns ${VIP6} too`);

  await lab.kill(speakers.get(owner)!, 'SIGKILL');
  const survivors = NODES.filter((n) => n !== owner);
  const interim = await waitFor(
    async () => {
      const o = await fl.agreedOwner(VIP4, survivors);
      return o !== owner && (o as NodeName | undefined);
    },
    45_000,
    'the survivors to take the VIP over',
  );
  t.ok(survivors.includes(interim), `${interim} took ${VIP4} over`);

  fl.writeConfig(owner, VIPS, {}, { fencing: { failbackDelayMs: FAILBACK_DELAY_MS } });
  fl.start(owner);
  // Back in the cluster and not ready yet: every speaker sees it, none elects it.
  await waitFor(
    async () => {
      const r = await ready(owner);
      const seen = await Promise.all(survivors.map((n) => seenBy(n, owner)));
      return r === false && seen.every((v) => v === 'alive ready=0') && (await fl.agreedOwner(VIP4, NODES)) === interim;
    },
    FAILBACK_DELAY_MS,
    `${owner} to rejoin, not ready yet`,
  );
  t.pass(`${owner} rejoined and the others see it alive with ready=0; every speaker agrees ${interim} keeps ${VIP4}`);
  t.same(await fl.arping(VIP4), [MAC[interim]], `during the warm-up arping ${VIP4} is answered by ${interim} alone`);
  t.match(await fl.ndisc(VIP6), MAC[interim], `during the warm-up ndisc6 ${VIP6} resolves to ${interim}`);
  const explained = await lab.exec('c', 'curl', ['-s', '--max-time', '10', `http://${ADDR[interim][0]}:7473/status/ip/${VIP4}`], { allowFail: true });
  const walk = (JSON.parse(explained.stdout || '{}') as { ring?: { member: string; verdict: string; reasons: { code: string; detail: string }[] }[] }).ring ?? [];
  t.match(walk.find((c) => c.member === owner), { verdict: 'skipped', reasons: [{ code: 'not-ready', detail: /not ready \(warming up\)/ }] }, `/status/ip/${VIP4} lists ${owner} as skipped: not ready (warming up)`);
  t.equal(await ready(owner), false, 'still warming up after the checks: they saw the warm-up');

  const back = await waitFor(async () => (await ready(owner)) === true && (await fl.agreedOwner(VIP4, NODES)) === owner, FAILBACK_DELAY_MS + 10_000, `${owner} to warm up and take the VIP back`);
  t.ok(back, `${owner} says it is ready and owns ${VIP4} again`);
  await waitFor(async () => (await fl.arping(VIP4)).join() === MAC[owner], 45_000, `arping to be answered by ${owner} alone`);
  t.same(await fl.arping(VIP4), [MAC[owner]], `arping ${VIP4} is answered by ${owner} alone`);
  t.equal(await fl.agreedOwner(VIP6, NODES), owner, `${VIP6} is back with ${owner} too`);
  t.match(await fl.ndisc(VIP6), MAC[owner], `ndisc6 ${VIP6} resolves to ${owner}`);
});
