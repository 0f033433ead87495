// bench/chaos's pure parts: what the probe sends, how answers and neighbour
// tables are read, and the figures of an episode. The lab itself runs only in
// the benchmark.
import t from 'tap';

import { decodeArp } from '../../src/announce/l2/arp.js';
import { decodeEthernet, ETHERTYPE_ARP, ETHERTYPE_IPV6 } from '../../src/announce/l2/ethernet.js';
import { decodeIpv6 } from '../../src/announce/l2/ipv6.js';
import { decodeNdp, verifyIcmpv6Checksum } from '../../src/announce/l2/ndp.js';
import { parseAnswer, parseNeighbours, RoundBook } from '../../bench/chaos/answers.js';
import { episodeFigures, longestGap } from '../../bench/chaos/episode.js';
import { arpRequestFrame, neighborSolicitationFrame } from '../../bench/chaos/probe-frames.js';
import type { Row } from '../../bench/chaos/report.js';
import { checkTargets } from '../../bench/chaos/targets.js';
import { PROBE_IP, PROBE_IP6, PROBE_MAC } from '../../bench/chaos/topology.js';
import { keepalivedConf, shoalFile, VARIANTS } from '../../bench/chaos/variants.js';
import { parseFileConfigText } from '../../src/speaker/file-config.js';
import { unwrap } from '../support/decoded.js';

t.test('the probe frames decode with the responders own codecs', (t) => {
  const eth = unwrap(decodeEthernet(arpRequestFrame('192.0.2.100')));
  t.equal(eth.ethertype, ETHERTYPE_ARP);
  t.equal(eth.dst, 'ff:ff:ff:ff:ff:ff');
  t.match(unwrap(decodeArp(eth.payload)), { op: 'request', senderMac: PROBE_MAC, senderIp: PROBE_IP, targetIp: '192.0.2.100' });

  const eth6 = unwrap(decodeEthernet(neighborSolicitationFrame('2001:db8::100')));
  t.equal(eth6.ethertype, ETHERTYPE_IPV6);
  t.equal(eth6.dst, '33:33:ff:00:01:00');
  const ip = unwrap(decodeIpv6(eth6.payload));
  t.match(ip, { src: PROBE_IP6, dst: 'ff02::1:ff00:100', hopLimit: 255 });
  t.ok(verifyIcmpv6Checksum(ip.src, ip.dst, ip.payload), 'checksum valid');
  t.match(unwrap(decodeNdp(ip.payload)), { type: 'neighbor-solicitation', target: '2001:db8::100', options: [{ kind: 'source-lla', mac: PROBE_MAC }] });
  t.end();
});

t.test('answers are read from tcpdump lines and attributed to a MAC', (t) => {
  t.same(parseAnswer('1700000000.250000 02:00:00:00:00:12 > 02:00:00:00:00:03, ethertype ARP (0x0806), length 42: Reply 192.0.2.100 is-at 02:00:00:00:00:12, length 28'), {
    at: 1700000000250,
    vip: '192.0.2.100',
    mac: '02:00:00:00:00:12',
  });
  t.same(parseAnswer('1700000000.5 02:00:00:00:00:13 > 02:00:00:00:00:03, ethertype IPv6 (0x86dd), length 86: 2001:db8::13 > 2001:db8::3: ICMP6, neighbor advertisement, tgt is 2001:db8::100, length 32'), {
    at: 1700000000500,
    vip: '2001:db8::100',
    mac: '02:00:00:00:00:13',
  });
  t.equal(parseAnswer('1700000000.5 02:00:00:00:00:03 > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 42: Request who-has 192.0.2.100 tell 192.0.2.3, length 28'), undefined);
  t.equal(parseAnswer('listening on eth0, link-type EN10MB (Ethernet), snapshot length 262144 bytes'), undefined);
  t.end();
});

t.test('neighbour entries without a MAC are left out', (t) => {
  const table = parseNeighbours(
    JSON.stringify([
      { dst: '192.0.2.100', lladdr: '02:00:00:00:00:12', state: ['STALE'] },
      { dst: '192.0.2.101', state: ['FAILED'] },
      { dst: '192.0.2.102', lladdr: '02:00:00:00:00:13', state: ['INCOMPLETE'] },
    ]),
  );
  t.same([...table], [['192.0.2.100', '02:00:00:00:00:12']]);
  t.same([...parseNeighbours('')], []);
  t.end();
});

const A = '02:00:00:00:00:11';
const B = '02:00:00:00:00:12';

/** Rounds at 0, 1000, ... for one VIP: each entry the answerers and the client's entry (or no sample). */
function book(vip: string, steps: readonly { answers: string[]; neigh?: string | null }[]): RoundBook {
  const b = new RoundBook();
  steps.forEach((s, i) => {
    b.addRound(i * 1000);
    for (const mac of s.answers) b.addAnswer({ at: i * 1000 + 5, vip, mac });
    if (s.neigh !== null) b.addNeighbours(i * 1000 + 500, new Map(s.neigh ? [[vip, s.neigh]] : []));
  });
  return b;
}

t.test('an episode: two answerers, none, the heal, the client re-pointed, the moves', (t) => {
  const v = '192.0.2.100';
  const b = book(v, [
    { answers: [A], neigh: A }, // 0: before the fault
    { answers: [A, B], neigh: A }, // 1000: fault
    { answers: [A, B], neigh: B },
    { answers: [], neigh: B },
    { answers: [B], neigh: A }, // 4000: healed at 3500, client still on the loser
    { answers: [B], neigh: null }, // no sample: the last one (A) stands
    { answers: [B], neigh: B }, // 6000: settled
    { answers: [B], neigh: B },
  ]);
  const f = episodeFigures(b.rounds, [v], { faultAt: 1000, healAt: 3500, endAt: 8000 });
  t.equal(f.doubleWorst, 2);
  t.equal(f.noneWorst, 1);
  t.equal(f.convergedMs, 2500);
  t.equal(f.moves, 1, 'A before the fault, B after');
  t.end();
});

t.test('an episode that never settles says so', (t) => {
  const v = '2001:db8::100';
  const b = book(v, [{ answers: [A], neigh: A }, { answers: [A], neigh: A }, { answers: [A, B], neigh: A }]);
  t.equal(episodeFigures(b.rounds, [v], { faultAt: 1000, healAt: 1500, endAt: 3000 }).convergedMs, null);
  t.end();
});

t.test('the longest gap counts the window edges', (t) => {
  t.equal(longestGap([1050, 1100, 1150, 2000, 2050], 1000, 2100), 850);
  t.equal(longestGap([1050], 1000, 5000), 3950, 'no reply after 1050: the rest of the window');
  t.equal(longestGap([], 1000, 2000), 1000);
  t.end();
});

t.test('the variants write files their systems accept', (t) => {
  const unsafe = VARIANTS.find((v) => v.name === 'shoal-unsafe');
  if (unsafe?.kind !== 'shoal') throw new Error('no shoal-unsafe variant');
  const parsed = parseFileConfigText(shoalFile('n1', ['192.0.2.100', '2001:db8::100'], unsafe.fencing, false));
  t.ok(parsed.ok, parsed.ok ? 'the speaker file is accepted' : JSON.stringify(parsed.errors));
  t.match(shoalFile('n1', ['192.0.2.100'], unsafe.fencing, true), /"fencing": \{/);
  const conf = keepalivedConf('n2', ['192.0.2.100', '192.0.2.101', '2001:db8::100'], 1);
  t.match(conf, /vrrp_instance VI_1 \{[^}]*priority 101/, 'n2 backs up n1 with a fixed, distinct priority');
  t.match(conf, /vrrp_instance VI_2 \{[^}]*priority 150/, 'n2 is the home of VI_2');
  t.match(conf, /virtual_ipaddress_excluded \{\n\s+2001:db8::100\/128 dev eth0/);
  t.end();
});

t.test('a round without an answer after the settling does not undo it; a second answerer does', (t) => {
  const v = '192.0.2.100';
  const silent = book(v, [
    { answers: [A], neigh: A },
    { answers: [B], neigh: B }, // 1000: healed at 500, settled at once
    { answers: [], neigh: B }, // a late answer: "no answer", still settled
    { answers: [B], neigh: B },
  ]);
  const f = episodeFigures(silent.rounds, [v], { faultAt: 0, healAt: 500, endAt: 4000 });
  t.equal(f.convergedMs, 500);
  t.equal(f.noneWorst, 1);
  const split = book(v, [{ answers: [A], neigh: A }, { answers: [B], neigh: B }, { answers: [A, B], neigh: B }, { answers: [B], neigh: B }]);
  t.equal(episodeFigures(split.rounds, [v], { faultAt: 0, healAt: 500, endAt: 4000 }).convergedMs, 2500);
  t.end();
});

t.test('targets: met, not met, and not run when their faults were left out', (t) => {
  const row = (fault: string, over: Partial<Row>): Row => ({
    variant: 'shoal-safe',
    fault,
    label: fault,
    episodes: 1,
    doubleWorst: 0,
    doubleMean: 0,
    noneWorst: 0,
    noneMean: 0,
    convergedP50: 500,
    convergedMax: 800,
    outageMax: undefined,
    outageP50: undefined,
    outageP99: undefined,
    falseDeaths: 0,
    movesMean: 0,
    movesWorst: 0,
    ...over,
  });
  const verdicts = checkTargets([row('partition', { doubleWorst: 1 }), row('stop', { noneWorst: 1 }), row('kill', { outageP99: 420, convergedMax: Infinity })]);
  const by = (prefix: string): string | undefined => verdicts.find((v) => v.target.startsWith(prefix))?.verdict;
  t.equal(by('owner partitioned'), 'met');
  t.equal(by('gossip blocked'), 'not met', 'a second without an answer');
  t.equal(by('after any heal'), 'not met', 'the kill never settled');
  t.equal(by('kill and link'), 'met');
  t.equal(by('10% loss'), 'not run');
  t.equal(by('flapping'), 'not run');
  t.end();
});
