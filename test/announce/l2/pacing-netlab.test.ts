// A takeover of 1,000 addresses on a real kernel: every gratuitous frame the
// announcer counts as sent reaches a client on the segment, every address's
// first round among them, and none is given up. Timing is for the virtual
// clock (announcer-pacing.test.ts) and the benchmarks; this counts frames.
import t from 'tap';

import { NetLab, netlabUnavailable, waitFor } from '../../support/netlab.js';
import { DEFAULT_ARP_SCHEDULE_MS, DEFAULT_NDP_SCHEDULE_MS } from '../../../src/announce/l2/gratuitous.js';
import { Harness } from './harness-client.js';

const why = netlabUnavailable();
const N1_MAC = '02:00:00:00:00:11';

/** The sum of a counter's series in Prometheus text. */
function total(metrics: string, name: string): number {
  let sum = 0;
  for (const m of metrics.matchAll(new RegExp(`^${name}\\{[^}]*\\} ([0-9.e+]+)$`, 'gm'))) sum += Number(m[1]);
  return sum;
}

t.test('1,000 addresses taken at once: every gratuitous frame reaches the client, none given up', { skip: why ?? false }, async (t) => {
  const lab = await NetLab.create('pn');
  t.teardown(() => lab.destroy());
  await lab.host({ name: 'n1', addrs: ['192.0.2.11/24', '2001:db8::11/64'], mac: N1_MAC });
  await lab.host({ name: 'c1', addrs: ['192.0.2.99/24', '2001:db8::99/64'] });
  const h = await Harness.start(lab, 'n1', { args: ['--quiet-verdicts'] });

  // Every IPv4 documentation address but the two hosts' own, the rest IPv6.
  const v4: string[] = [];
  for (const block of ['192.0.2', '198.51.100', '203.0.113']) for (let i = 0; i < 256; i++) v4.push(`${block}.${i}`);
  const ips = v4.filter((ip) => ip !== '192.0.2.11' && ip !== '192.0.2.99');
  for (let i = 1; ips.length < 1000; i++) ips.push(`2001:db8:1::${i.toString(16)}`);
  const ipv4 = ips.filter((ip) => !ip.includes(':')).length;
  const expected = ipv4 * 2 * DEFAULT_ARP_SCHEDULE_MS.length + (ips.length - ipv4) * DEFAULT_NDP_SCHEDULE_MS.length;

  // -B: a capture buffer that holds the whole burst, so the count is the wire's, not tcpdump's.
  const capture = lab.spawn('c1', 'tcpdump', ['-l', '-n', '-p', '-B', '16384', '-i', 'eth0', `ether src ${N1_MAC} and (arp or (icmp6 and ip6[40] == 136))`]);
  await waitFor(() => capture.output().includes('listening on'), 30_000, 'tcpdump to start');
  await h.command({ op: 'set', desired: Object.fromEntries(ips.map((ip) => [ip, { interfaces: ['eth0'] }])) }, 60_000);
  const metrics = async (): Promise<string> => String((await h.command({ op: 'metrics' }, 10_000)).metrics);
  await waitFor(async () => total(await metrics(), 'shoal_l2_gratuitous_sent_total') >= expected, 60_000, `the announcer to send ${expected} frames`, 500);
  // The last frames are on the wire once counted; tcpdump, slowed by load,
  // may take a while to print thousands of lines (a frame it has not printed
  // when stopped would count as lost).
  await waitFor(() => capture.output().split('\n').filter((l) => /who-has|Reply|neighbor advertisement/.test(l)).length >= expected, 45_000, 'the client to see them', 200).catch(() => undefined);
  await lab.kill(capture, 'SIGINT');

  const lines = capture.output().split('\n');
  const seen = new Set<string>();
  let frames = 0;
  for (const line of lines) {
    const m = /(?:who-has|Reply) (\S+)/.exec(line) ?? /tgt is ([0-9a-f:]+)/.exec(line);
    if (!m) continue;
    frames++;
    seen.add(m[1]!);
  }
  const m = await metrics();
  t.equal(total(m, 'shoal_l2_gratuitous_sent_total'), expected, `${expected} frames counted as sent: every round of every address`);
  t.equal(frames, expected, 'and the client saw every one');
  t.equal(ips.filter((ip) => !seen.has(ip)).length, 0, 'every address among them');
  t.equal(total(m, 'shoal_l2_gratuitous_dropped_total'), 0, 'no frame given up');
  t.comment(`refused by the kernel and sent again: ${total(m, 'shoal_l2_gratuitous_refused_total')}`);
  await h.stop();
});
