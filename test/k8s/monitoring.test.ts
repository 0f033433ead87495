// k8s/monitoring: the PrometheusRule passes `promtool check rules`, the
// overlay builds, and every metric the rules and the dashboard name is one
// shoal really publishes (MetalLB's names included).
import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { stringify } from 'yaml';
import { L2Metrics } from '../../src/announce/l2/metrics.js';
import { BgpMetrics } from '../../src/bgp/metrics.js';
import { ControllerMetrics } from '../../src/controller/metrics.js';
import { statusWriterMetrics } from '../../src/kube/status-objects.js';
import { AnnouncedMetric } from '../../src/speaker/announced-metric.js';
import { REPO, readYaml } from './support/manifests.js';

const rule = readYaml('k8s/monitoring/prometheusrule.yaml')[0] as unknown as { kind: string; spec: { groups: { name: string; rules: { expr: string; record?: string; alert?: string }[] }[] } };
const dashboard = JSON.parse(readFileSync(join(REPO, 'k8s/monitoring/grafana-dashboard.json'), 'utf8')) as { panels: { title: string; targets: { expr: string }[] }[] };

const has = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

t.test('promtool check rules accepts the rule groups', { skip: has('promtool') ? false : 'promtool not installed (Debian package prometheus)' }, async (t) => {
  t.equal(rule.kind, 'PrometheusRule');
  const dir = mkdtempSync(join(tmpdir(), 'shoal-rules-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'rules.yaml');
  writeFileSync(file, stringify({ groups: rule.spec.groups }));
  const r = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
  t.equal(r.status, 0, `promtool: ${r.stdout}${r.stderr}`);
  t.match(r.stdout, /SUCCESS: \d+ rules found/);
});

t.test('the overlay builds with kubectl kustomize', { skip: has('kubectl') ? false : 'kubectl not installed' }, async (t) => {
  const out = execFileSync('kubectl', ['kustomize', join(REPO, 'k8s/monitoring')], { encoding: 'utf8' });
  t.match(out, /kind: PrometheusRule/);
  t.match(out, /grafana_dashboard: "1"/);
});

t.test('every metric the rules and the dashboard use is published', async (t) => {
  const r = new Registry();
  new ControllerMetrics(r, { usage: () => [], servicesPerPool: () => new Map(), serviceStates: () => ({ allocated: 0, pending: 0, conflict: 0 }), queue: () => ({ queued: 0, processing: 0, retrying: 0 }) });
  const speaker = new Registry();
  new BgpMetrics(speaker);
  new L2Metrics(speaker);
  new AnnouncedMetric(speaker);
  statusWriterMetrics(speaker);
  const published = new Set([...r.getMetricsAsArray(), ...speaker.getMetricsAsArray()].map((m) => (m as unknown as { name: string }).name));
  // Recording rule names (level:metric:operation) are left out: they are the rules' own.
  const exprs = [...rule.spec.groups.flatMap((g) => g.rules.map((x) => x.expr)), ...dashboard.panels.flatMap((p) => p.targets.map((x) => x.expr))];
  const used = new Set(exprs.flatMap((e) => e.replace(/[a-z_]*:[a-z0-9_:]+/g, ' ').match(/\b(?:metallb|shoal)_[a-z0-9_]+\b/g) ?? []));
  t.ok(used.size >= 12, `${used.size} metric names used`);
  for (const name of used) t.ok(published.has(name), name);
});
