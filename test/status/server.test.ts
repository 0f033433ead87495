import { Registry, Counter } from 'prom-client';
import t from 'tap';
import { StatusServer } from '../../src/status/server.js';
import { renderTable, formatAge } from '../../src/status/table.js';

t.test('status endpoint: JSON by default, text on request, sub-resources, metrics, health', async (t) => {
  const registry = new Registry();
  new Counter({ name: 'shoal_test_total', help: 'test', registers: [registry] }).inc(3);
  const health: { problem: string | undefined } = { problem: undefined };
  const server = new StatusServer({
    host: '127.0.0.1',
    port: 0,
    registry,
    sections: [{ name: 'demo', json: () => ({ n: 1 }), text: () => 'demo: one' }],
    subResources: [{ prefix: 'ip', handle: (rest) => (rest === '192.0.2.1' ? { json: { ip: rest }, text: `ip ${rest}` } : undefined) }],
    unhealthy: () => health.problem,
  });
  await server.start();
  t.teardown(() => server.close());
  const base = `http://127.0.0.1:${server.port}`;
  t.same(await (await fetch(`${base}/status`)).json(), { demo: { n: 1 } });
  t.equal(await (await fetch(`${base}/status`, { headers: { accept: 'text/plain' } })).text(), 'demo: one\n');
  t.equal(await (await fetch(`${base}/status?format=text`)).text(), 'demo: one\n');
  t.same(await (await fetch(`${base}/status/ip/192.0.2.1`)).json(), { ip: '192.0.2.1' });
  t.equal((await fetch(`${base}/status/ip/192.0.2.9`)).status, 404);
  t.equal((await fetch(`${base}/status/nope/x`)).status, 404);
  t.match(await (await fetch(`${base}/metrics`)).text(), /shoal_test_total 3/);
  t.equal((await fetch(`${base}/healthz`)).status, 200);
  health.problem = 'gossip transport closed';
  const h = await fetch(`${base}/healthz`);
  t.equal(h.status, 503);
  t.equal(await h.text(), 'gossip transport closed\n');
  t.equal((await fetch(`${base}/status`, { method: 'POST' })).status, 405);
});

t.test('text helpers', async (t) => {
  t.equal(renderTable(['A', 'LONG'], [['xx', 'y'], ['z', 'w']]), 'A   LONG\nxx  y\nz   w');
  t.equal(formatAge(0, 59_000), '59s');
  t.equal(formatAge(0, 61_000), '1m1s');
  t.equal(formatAge(0, 3_700_000), '1h1m');
  t.equal(formatAge(0, 90_000_000), '1d1h');
});
