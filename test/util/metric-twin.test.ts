import t from 'tap';
import { Counter, Gauge, Registry } from 'prom-client';
import { registerTwin } from '../../src/util/metric-twin.js';
import { BgpMetrics } from '../../src/bgp/metrics.js';

t.test('a twin has its source type, labels and values at every scrape', async (t) => {
  const r = new Registry();
  const c = new Counter({ name: 'shoal_x_total', help: 'x', labelNames: ['peer'], registers: [r] });
  const g = new Gauge({ name: 'shoal_y', help: 'y', registers: [r] });
  registerTwin(r, c, 'metallb_x_total');
  registerTwin(r, g, 'metallb_y', { labelNames: ['vrf'], labels: (l) => ({ ...l, vrf: '' }) });
  c.inc({ peer: '192.0.2.1' }, 3);
  g.set(1);
  let text = await r.metrics();
  t.match(text, /# TYPE metallb_x_total counter\nmetallb_x_total\{peer="192\.0\.2\.1"\} 3/);
  t.match(text, /# TYPE metallb_y gauge\nmetallb_y\{vrf=""\} 1/);
  c.inc({ peer: '192.0.2.1' });
  c.remove({ peer: '192.0.2.1' });
  c.inc({ peer: '192.0.2.2' });
  text = await r.metrics();
  t.notMatch(text, /metallb_x_total\{peer="192\.0\.2\.1"\}/, 'a series gone from the source is gone from the twin');
  t.match(text, /metallb_x_total\{peer="192\.0\.2\.2"\} 1/);
});

t.test("BGP and BFD under MetalLB's names and labels", async (t) => {
  const r = new Registry();
  const m = new BgpMetrics(r);
  m.sessionUp.set({ peer: '198.51.100.1' }, 1);
  m.updatesSent.inc({ peer: '198.51.100.1' }, 2);
  m.announcedPrefixes.set({ peer: '198.51.100.1' }, 5);
  m.bfdSessionUp.set({ peer: '198.51.100.1' }, 1);
  m.bfdPacketsIn.inc({ peer: '198.51.100.1' });
  m.bfdPacketsOut.inc({ peer: '198.51.100.1' });
  m.bfdUpEvents.inc({ peer: '198.51.100.1' });
  m.bfdDownEvents.inc({ peer: '198.51.100.1' }, 0);
  const text = await r.metrics();
  for (const line of [
    'metallb_bgp_session_up{peer="198.51.100.1"} 1',
    'metallb_bgp_updates_total{peer="198.51.100.1"} 2',
    'metallb_bgp_announced_prefixes_total{peer="198.51.100.1"} 5',
    'metallb_bfd_session_up{peer="198.51.100.1",vrf=""} 1',
    'metallb_bfd_control_packet_input{peer="198.51.100.1",vrf=""} 1',
    'metallb_bfd_control_packet_output{peer="198.51.100.1",vrf=""} 1',
    'metallb_bfd_session_up_events{peer="198.51.100.1",vrf=""} 1',
    'metallb_bfd_session_down_events{peer="198.51.100.1",vrf=""} 0',
  ]) t.ok(text.includes(line), line);
});
