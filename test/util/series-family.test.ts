import t, { type Test } from 'tap';
import { Counter, Gauge, Registry } from 'prom-client';
import { metricsText, SeriesFamily } from '../../src/util/series-family.js';
import { L2Metrics } from '../../src/announce/l2/metrics.js';
import { AnnouncedMetric } from '../../src/speaker/announced-metric.js';
import { rng } from '../announce/election-support.js';

type L = 'ip' | 'service';

/** The same family twice: prom-client's own metric in one registry, a SeriesFamily in the other, each between two ordinary metrics. */
function twins(type: 'counter' | 'gauge', help = 'addresses, by service') {
  const promRegistry = new Registry();
  const familyRegistry = new Registry();
  for (const r of [promRegistry, familyRegistry]) new Gauge({ name: 'shoal_before', help: 'before', registers: [r] }).set(1);
  const opts = { name: 'metallb_things', help, labelNames: ['ip', 'service'] as L[] };
  const prom = type === 'counter' ? new Counter({ ...opts, registers: [promRegistry] }) : new Gauge({ ...opts, registers: [promRegistry] });
  const family = new SeriesFamily<L>({ ...opts, type, registry: familyRegistry });
  for (const r of [promRegistry, familyRegistry]) new Counter({ name: 'shoal_after_total', help: 'after', labelNames: ['x'], registers: [r] }).inc({ x: 'y' }, 2);
  return { promRegistry, familyRegistry, prom, family };
}

async function same(t: Test, promRegistry: Registry, familyRegistry: Registry, what: string): Promise<void> {
  const expected = await promRegistry.metrics();
  t.equal(await metricsText(familyRegistry), expected, `${what}: metricsText equals prom-client's text`);
  t.equal(await familyRegistry.metrics(), expected, `${what}: registry.metrics() of the family equals prom-client's text`);
}

t.test("a family's text is prom-client's, byte for byte, through random inc/set/remove sequences", async (t) => {
  for (const type of ['counter', 'gauge'] as const) {
    const random = rng(type === 'counter' ? 7 : 11);
    const { promRegistry, familyRegistry, prom, family } = twins(type);
    // Few distinct series so that removes and re-creations (which move a series to the end) happen often.
    const labels = (): Record<L, string> => ({ ip: `2001:db8::${Math.floor(random() * 12).toString(16)}`, service: `ns/svc-${Math.floor(random() * 2)}` });
    for (let step = 0; step < 400; step++) {
      const l = labels();
      const op = random();
      if (op < 0.2) {
        prom.remove(l);
        family.remove(l);
      } else if (op < 0.6 || type === 'counter') {
        const by = Math.floor(random() * 3) + (random() < 0.3 ? 0.5 : 0);
        prom.inc(l, by);
        family.inc(l, by);
      } else {
        const v = [0, 1, -2.5, 1e21, NaN, Infinity, -Infinity][Math.floor(random() * 7)]!;
        (prom as Gauge<L>).set(l, v);
        family.set(l, v);
      }
      if (step % 50 === 49) await same(t, promRegistry, familyRegistry, `${type} after step ${step}`);
    }
    t.ok(family.size > 0, `${type}: the sequence left series to compare`);
  }
});

t.test('escapes in help and label values are written as prom-client writes them', async (t) => {
  const { promRegistry, familyRegistry, prom, family } = twins('gauge', 'a "help"\\ with\na newline');
  for (const service of ['quote"d', 'back\\slash', 'new\nline', 'plain']) {
    (prom as Gauge<L>).set({ ip: '192.0.2.1', service }, 1);
    family.set({ ip: '192.0.2.1', service }, 1);
  }
  await same(t, promRegistry, familyRegistry, 'escapes');
  t.match(await metricsText(familyRegistry), /service="quote\\"d"/);
});

t.test('the kept text follows every change, and reset() empties the family', async (t) => {
  const r = new Registry();
  const f = new SeriesFamily<'ip'>({ name: 'metallb_x', help: 'x', type: 'gauge', labelNames: ['ip'], registry: r });
  f.set({ ip: '192.0.2.1' }, 0);
  t.equal(f.text(), '# HELP metallb_x x\n# TYPE metallb_x gauge\nmetallb_x{ip="192.0.2.1"} 0');
  f.set({ ip: '192.0.2.2' }, 0);
  t.match(f.text(), /metallb_x\{ip="192\.0\.2\.2"\} 0$/, 'a new series at the value the text already had is written');
  f.set({ ip: '192.0.2.2' }, 3);
  t.match(f.text(), /metallb_x\{ip="192\.0\.2\.2"\} 3$/);
  f.remove({ ip: '192.0.2.1' });
  t.notMatch(f.text(), /192\.0\.2\.1/);
  r.resetMetrics();
  t.equal(f.text(), '# HELP metallb_x x\n# TYPE metallb_x gauge');
  t.same((await f.get()).values, []);
});

t.test('bad calls are refused and change nothing', async (t) => {
  const r = new Registry();
  const c = new SeriesFamily<'ip'>({ name: 'metallb_c', help: 'c', type: 'counter', labelNames: ['ip'], registry: r });
  c.inc({ ip: '192.0.2.1' }, 2);
  t.throws(() => c.inc({ ip: '192.0.2.1' }, -1), /cannot be decreased/);
  t.throws(() => c.set({ ip: '192.0.2.1' }, 0), /set\(\) is for gauges/);
  t.throws(() => c.inc({} as { ip: string }), /label ip is missing/);
  t.same((await c.get()).values, [{ labels: { ip: '192.0.2.1' }, value: 2 }]);
  t.throws(() => new SeriesFamily({ name: 'metallb_c', help: 'c', type: 'counter', labelNames: ['ip'], registry: r }), /already been registered/);
});

t.test("the speaker's per-address families equal prom-client's Counter and Gauge for the same data", async (t) => {
  // What these families replaced: prom-client metrics with the same names, help and labels.
  const prom = new Registry();
  const promL2 = {
    requestsReceived: new Counter({ name: 'metallb_layer2_requests_received', help: 'Number of layer2 requests received for owned IPs', labelNames: ['ip'], registers: [prom] }),
    responsesSent: new Counter({ name: 'metallb_layer2_responses_sent', help: 'Number of layer2 responses sent for owned IPs in response to requests', labelNames: ['ip'], registers: [prom] }),
    gratuitousSent: new Counter({ name: 'metallb_layer2_gratuitous_sent', help: 'Number of gratuitous layer2 packets sent for owned IPs as a result of failovers', labelNames: ['ip'], registers: [prom] }),
  };
  const promAnnounced = new Gauge({
    name: 'metallb_speaker_announced',
    help: 'Service addresses this node announces, per protocol: desired state, not a sign that routers or clients took it up',
    labelNames: ['ip', 'node', 'protocol', 'service'],
    registers: [prom],
  });
  const ours = new Registry();
  const l2 = new L2Metrics(ours).metallb;
  const announced = new AnnouncedMetric(ours);
  const series = Array.from({ length: 300 }, (_, i) => ({ ip: i % 2 ? `198.51.100.${i % 250}` : `2001:db8:1::${i.toString(16)}`, node: 'n1', protocol: 'layer2' as const, service: `ns/svc-${i}` }));
  for (const s of series) {
    for (const [name, by] of [['gratuitousSent', 2], ['requestsReceived', 1], ['responsesSent', 1]] as const) {
      l2[name].inc({ ip: s.ip }, by);
      promL2[name].inc({ ip: s.ip }, by);
    }
  }
  // The old AnnouncedMetric.update on prom-client's Gauge: remove what went, set everything announced.
  type A = (typeof series)[number];
  let current = new Map<string, A>();
  const promUpdate = (next: A[]) => {
    const keyed = new Map(next.map((l) => [`${l.protocol} ${l.service} ${l.ip}`, l]));
    for (const [k, l] of current) if (!keyed.has(k)) promAnnounced.remove(l);
    for (const l of keyed.values()) promAnnounced.set(l, 1);
    current = keyed;
  };
  // Reconciles: all, then some go, then some of those come back (at the end) while the rest stay in place.
  for (const next of [series, [...series.slice(100), ...series.slice(0, 20)], [...series.slice(0, 20), ...series.slice(50, 300)]]) {
    announced.update(next);
    promUpdate(next);
  }
  const text = (all: string) => all.split('\n\n').filter((f) => f.includes('metallb_layer2_') || f.includes('metallb_speaker_announced')).join('\n\n');
  const expected = text(await prom.metrics());
  t.ok(expected.includes('metallb_speaker_announced{ip="2001:db8:1::c8",node="n1",protocol="layer2",service="ns/svc-200"} 1'));
  t.ok(expected.indexOf('svc-50"}') > expected.indexOf('svc-299"}'), 'a series that came back is written after those that stayed');
  t.equal(text(await metricsText(ours)), expected, 'the per-address families are written exactly as before');
});

t.test('frames counted in batches are in the per-address family whenever it is read, whichever metric is read first', async (t) => {
  const registry = new Registry();
  const l2 = new L2Metrics(registry);
  l2.countGratuitous('arp', 'eth0', '198.51.100.7', 2);
  const family = await registry.getSingleMetric('metallb_layer2_gratuitous_sent')!.get();
  t.same(family.values, [{ labels: { ip: '198.51.100.7' }, value: 2 }], 'read alone, before the shoal_ counter');
  l2.countGratuitous('ndp', 'eth0', '2001:db8::7', 1);
  const text = await metricsText(registry);
  t.match(text, /\nmetallb_layer2_gratuitous_sent\{ip="2001:db8::7"\} 1\n/);
  t.match(text, /\nshoal_l2_gratuitous_sent_total\{protocol="ndp",interface="eth0"\} 1\n/);
  t.match(text, /\nshoal_l2_gratuitous_sent_total\{protocol="arp",interface="eth0"\} 2\n/);
});
