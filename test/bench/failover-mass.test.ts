// bench/failover's mass case, its pure parts: reading a pcap file, telling
// gratuitous announcements from other frames, and the figures of a mass
// failover from the announcements. The lab itself runs only in the benchmark.
import t from 'tap';

import { encodeArp } from '../../src/announce/l2/arp.js';
import { gratuitousArpFrames } from '../../src/announce/l2/arp-responder.js';
import { encodeEthernet, ETHERTYPE_ARP } from '../../src/announce/l2/ethernet.js';
import { unsolicitedNaFrame } from '../../src/announce/l2/ndp-responder.js';
import { announcementOf, announcementsIn, type Announcement } from '../../bench/failover/announcements.js';
import { metricSum, refusalCounters } from '../../bench/failover/mass-lab.js';
import { massFigures, moveRank } from '../../bench/failover/mass-figures.js';
import { pcapRecords } from '../support/pcap.js';

const OLD = '02:00:00:00:00:11';
const NEW_A = '02:00:00:00:00:12';
const NEW_B = '02:00:00:00:00:13';

/** A classic pcap file of the frames, microsecond or nanosecond, little- or big-endian. */
function pcapOf(frames: readonly { at: number; frame: Buffer }[], o: { ns?: boolean; be?: boolean } = {}): Buffer {
  const w32 = (b: Buffer, v: number, off: number): void => void (o.be ? b.writeUInt32BE(v, off) : b.writeUInt32LE(v, off));
  const head = Buffer.alloc(24);
  w32(head, o.ns ? 0xa1b23c4d : 0xa1b2c3d4, 0);
  head.writeUInt16LE(2, 4);
  w32(head, 65535, 16);
  w32(head, 1, 20);
  const parts: Buffer[] = [head];
  for (const f of frames) {
    const rec = Buffer.alloc(16);
    const sec = Math.floor(f.at / 1000);
    w32(rec, sec, 0);
    w32(rec, Math.round((f.at - sec * 1000) * (o.ns ? 1e6 : 1e3)), 4);
    w32(rec, f.frame.length, 8);
    w32(rec, f.frame.length, 12);
    parts.push(rec, f.frame);
  }
  return Buffer.concat(parts);
}

t.test('pcapRecords reads microsecond and nanosecond files in either byte order', (t) => {
  const frames = [
    { at: 1_700_000_000_123.456, frame: gratuitousArpFrames(NEW_A, '198.51.100.7')[0]! },
    { at: 1_700_000_000_500, frame: unsolicitedNaFrame(NEW_B, '2001:db8:1::7') },
  ];
  for (const o of [{}, { ns: true }, { be: true }, { ns: true, be: true }]) {
    const recs = pcapRecords(pcapOf(frames, o));
    t.equal(recs.length, 2, JSON.stringify(o));
    t.ok(Math.abs(recs[0]!.at - frames[0]!.at) < 0.001, `timestamp kept ${JSON.stringify(o)}`);
    t.same(recs[1]!.frame, frames[1]!.frame);
    t.equal(recs[1]!.wireLength, frames[1]!.frame.length);
  }
  const whole = pcapOf(frames);
  t.equal(pcapRecords(whole.subarray(0, whole.length - 5)).length, 1, 'a record cut short by a stopped capture ends the list');
  t.throws(() => pcapRecords(Buffer.alloc(24)), /not a pcap file/);
  const raw = pcapOf(frames);
  raw.writeUInt32LE(113, 20);
  t.throws(() => pcapRecords(raw), /link type 113/);
  t.end();
});

t.test('announcementOf knows both forms of a gratuitous ARP and an unsolicited NA, and nothing else', (t) => {
  const [req, rep] = gratuitousArpFrames(NEW_A, '198.51.100.7');
  t.same(announcementOf(req!, 5), { at: 5, mac: NEW_A, ip: '198.51.100.7', form: 'arp-request' });
  t.same(announcementOf(rep!, 6), { at: 6, mac: NEW_A, ip: '198.51.100.7', form: 'arp-reply' });
  t.same(announcementOf(unsolicitedNaFrame(NEW_B, '2001:db8:1:0::00a'), 7), { at: 7, mac: NEW_B, ip: '2001:db8:1::a', form: 'na' }, 'the target in canonical form');

  const ordinary = encodeEthernet({
    dst: 'ff:ff:ff:ff:ff:ff',
    src: '02:00:00:00:00:02',
    ethertype: ETHERTYPE_ARP,
    payload: encodeArp({ op: 'request', senderMac: '02:00:00:00:00:02', senderIp: '192.0.2.2', targetMac: '00:00:00:00:00:00', targetIp: '198.51.100.7' }),
  });
  t.equal(announcementOf(ordinary, 1), undefined, 'a request from another address asks; it claims nothing for the target');
  const solicited = Buffer.from(unsolicitedNaFrame(NEW_B, '2001:db8:1::a'));
  solicited[14 + 40 + 4]! |= 0x40;
  t.equal(announcementOf(solicited, 1), undefined, 'a solicited NA answers one asker');
  t.equal(announcementOf(Buffer.alloc(10), 1), undefined, 'a runt');
  t.equal(announcementsIn(pcapRecords(pcapOf([{ at: 1, frame: ordinary }, { at: 2, frame: req! }]))).length, 1);
  t.end();
});

t.test('massFigures times each lost address from the kill to its first frame from another MAC', (t) => {
  const killAt = 10_000;
  const ann = (at: number, mac: string, ip: string, form: Announcement['form']): Announcement => ({ at, mac, ip, form });
  const lost = new Map([
    ['198.51.100.1', NEW_A],
    ['198.51.100.2', NEW_B],
    ['2001:db8:1::1', NEW_A],
    ['2001:db8:1::2', NEW_B],
    ['2001:db8:1::3', NEW_A],
  ]);
  const announcements: Announcement[] = [
    // Before the kill: the old owner's own re-assertions, and nothing counts.
    ann(9_000, OLD, '198.51.100.1', 'arp-request'),
    ann(9_500, NEW_A, '198.51.100.1', 'arp-request'),
    // A frame of the old owner still in flight after the kill.
    ann(10_001, OLD, '198.51.100.2', 'arp-reply'),
    // 198.51.100.1: whole first round at 10,300; its second round (250 ms later) is not the first.
    ann(10_300, NEW_A, '198.51.100.1', 'arp-request'),
    ann(10_300.2, NEW_A, '198.51.100.1', 'arp-reply'),
    ann(10_550, NEW_A, '198.51.100.1', 'arp-request'),
    // 198.51.100.2: the request form was lost; the reply came.
    ann(10_320, NEW_B, '198.51.100.2', 'arp-reply'),
    ann(10_570, NEW_B, '198.51.100.2', 'arp-request'),
    // 2001:db8:1::1 first claimed by NEW_B, though the survivors say NEW_A owns it.
    ann(10_310, NEW_B, '2001:db8:1::1', 'na'),
    ann(10_400, NEW_A, '2001:db8:1::1', 'na'),
    ann(10_340, NEW_B, '2001:db8:1::2', 'na'),
    // 2001:db8:1::3 never announced. Another address nobody lost:
    ann(10_305, NEW_A, '203.0.113.9', 'arp-request'),
  ];
  const f = massFigures(announcements, { killAt, victimMac: OLD, lost, roundWindowMs: 100 });
  t.equal(f.lost, 5);
  t.equal(f.ipv4, 2);
  t.equal(f.ipv6, 3);
  t.same(
    f.moved.map((m) => [m.ip, Math.round(m.ms), m.mac, m.formsSeen]),
    [
      ['198.51.100.1', 300, NEW_A, 2],
      ['2001:db8:1::1', 310, NEW_B, 1],
      ['198.51.100.2', 320, NEW_B, 1],
      ['2001:db8:1::2', 340, NEW_B, 1],
    ],
  );
  t.same(f.unseen, ['2001:db8:1::3']);
  t.same(f.wrongOwner, ['2001:db8:1::1']);
  t.equal(f.fromVictimAfterKill, 1);
  t.equal(f.firstMs, 300);
  t.equal(f.lastMs, 340);
  t.equal(Math.round(f.burstMs), 40);
  t.equal(Math.round(f.p50Ms), 310, 'nearest rank over the four that moved');
  t.equal(Math.round(f.p99Ms), 340);
  t.same(f.firstRoundFrames, { seen: 5, expected: 7 }, 'two forms per IPv4 address, one per IPv6; the lost request and the unseen NA are missing');
  t.equal(moveRank(f, '198.51.100.2'), 3);
  t.equal(moveRank(f, '2001:db8:1::3'), undefined);

  const none = massFigures([], { killAt, victimMac: OLD, lost, roundWindowMs: 100 });
  t.equal(none.moved.length, 0);
  t.ok(Number.isNaN(none.lastMs) && Number.isNaN(none.burstMs), 'no figures out of nothing');
  t.end();
});

t.test('metricSum adds a metric over its label sets, optionally filtered', (t) => {
  const text = [
    '# HELP shoal_l2_owned_ips Addresses this node is told to announce',
    'shoal_l2_owned_ips{protocol="arp"} 64',
    'shoal_l2_owned_ips{protocol="ndp"} 936',
    'shoal_gossip_members{state="alive"} 5',
    'shoal_gossip_members{state="dead"} 1',
    'shoal_speaker_ready 1',
    'shoal_l2_send_errors_total{protocol="arp",interface="eth0",code="ENOBUFS"} 3',
    'shoal_l2_socket_errors_total{protocol="arp",interface="eth0",code="ENETDOWN"} 1',
    'shoal_l2_gratuitous_refused_total{protocol="ndp",interface="eth0"} 2',
  ].join('\n');
  t.equal(metricSum(text, 'shoal_l2_owned_ips'), 1000);
  t.equal(metricSum(text, 'shoal_gossip_members', { state: 'alive' }), 5);
  t.equal(metricSum(text, 'shoal_speaker_ready'), 1);
  t.equal(metricSum(text, 'shoal_l2_owned'), undefined, 'a prefix is not the name');
  t.same(refusalCounters(text), ['shoal_l2_gratuitous_refused_total', 'shoal_l2_send_errors_total'], 'frames not sent; socket errors are not frames');
  t.end();
});
