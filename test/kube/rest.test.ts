import t, { type Test } from 'tap';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiException, KubeConfig } from '@kubernetes/client-node';
import { KubeRest } from '../../src/kube/rest.js';
import { describeApiError, isAlreadyExists, isNotFound, isRetryable } from '../../src/kube/errors.js';
import { configMaps, resourcePath, services } from '../../src/kube/resources.js';
import { VirtualClock } from '../../src/util/clock.js';
import { double } from '../dev/apiserver/support.js';

const ns = 'default';

t.test('objects come back as sent: JSON with timestamps as strings, unknown fields kept', async (t) => {
  const d = await double(t);
  const rest = new KubeRest(d.kubeConfig());
  const created = await rest.request<{ metadata: { name: string; creationTimestamp: string; resourceVersion: string }; data: Record<string, string> }>({
    method: 'POST',
    path: resourcePath(configMaps, { namespace: ns }),
    body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'one' }, data: { a: 'b' } },
  });
  t.equal(created.metadata.name, 'one');
  t.type(created.metadata.creationTimestamp, 'string');
  t.match(created.metadata.creationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  const patched = await rest.request<{ data: Record<string, string> }>({
    method: 'PATCH',
    path: resourcePath(configMaps, { namespace: ns, name: 'one' }),
    body: { data: { c: 'd' } },
    contentType: 'application/merge-patch+json',
  });
  t.same(patched.data, { a: 'b', c: 'd' }, 'a merge patch merges');
  const list = await rest.request<{ items: { metadata: { name: string } }[] }>({
    method: 'GET',
    path: resourcePath(configMaps, { namespace: ns }),
    query: { labelSelector: undefined, fieldSelector: 'metadata.name=one' },
  });
  t.same(list.items.map((i) => i.metadata.name), ['one'], 'query parameters are sent, undefined ones left out');
  t.equal(await rest.request({ method: 'DELETE', path: resourcePath(configMaps, { namespace: ns, name: 'one' }) }) !== undefined, true);
});

t.test("a refusal is client-node's ApiException, as its typed calls throw", async (t) => {
  const d = await double(t);
  const rest = new KubeRest(d.kubeConfig());
  const missing = await rest.request({ method: 'GET', path: resourcePath(services, { namespace: ns, name: 'absent' }) }).catch((e: unknown) => e);
  t.ok(missing instanceof ApiException);
  t.equal((missing as ApiException<string>).code, 404);
  t.ok(isNotFound(missing));
  t.match((missing as Error).message, /GET \/api\/v1\/namespaces\/default\/services\/absent: HTTP 404: /, 'the message names the request');
  t.match((missing as ApiException<unknown>).body, { kind: 'Status', reason: 'NotFound' }, 'the Status is kept parsed');
  const body = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'twice' } };
  await rest.request({ method: 'POST', path: resourcePath(configMaps, { namespace: ns }), body });
  const again = await rest.request({ method: 'POST', path: resourcePath(configMaps, { namespace: ns }), body }).catch((e: unknown) => e);
  t.ok(isAlreadyExists(again), 'the Status reason is read from the body');
  d.faults.failNext({ verb: 'list', resource: 'services', code: 429, retryAfterSeconds: 2 });
  const throttled = await rest.request({ method: 'GET', path: resourcePath(services) }).catch((e: unknown) => e);
  t.match(describeApiError(throttled), { status: 429, retryAfterSeconds: 2, network: false });
  t.ok(isRetryable(throttled));
});

/** A server that records what it is sent; `/hang` never answers, `/empty` answers 200 with no body and `/proxy-error` 502 with a page of text. */
async function recorder(t: Test): Promise<{ url: string; seen: { method?: string; url?: string; headers: IncomingHttpHeaders; body: string }[]; close: () => Promise<void> }> {
  const seen: { method?: string; url?: string; headers: IncomingHttpHeaders; body: string }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method, url: req.url, headers: req.headers, body });
      if (req.url?.endsWith('/hang')) return;
      if (req.url?.endsWith('/proxy-error')) {
        res.writeHead(502, { 'content-type': 'text/html' });
        res.end('<html>Bad Gateway</html>');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(req.method === 'DELETE' || req.url?.endsWith('/empty') ? '' : '{"kind":"Service"}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  let closed = false;
  const close = (): Promise<void> => {
    if (closed) return Promise.resolve();
    closed = true;
    server.closeAllConnections();
    return new Promise<void>((r) => server.close(() => r()));
  };
  t.teardown(close);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, close };
}

function kubeConfig(server: string, user: { name: string; token?: string; username?: string; password?: string }): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server, skipTLSVerify: true }],
    users: [user],
    contexts: [{ name: 'x', cluster: 'c', user: user.name }],
    currentContext: 'x',
  });
  return kc;
}

t.test('credentials and headers come from the kubeconfig; a dead server is a network failure', async (t) => {
  const { url, seen, close } = await recorder(t);
  const rest = new KubeRest(kubeConfig(url, { name: 'u', token: 'secret-token' }));
  t.same(await rest.request({ method: 'PUT', path: '/api/v1/namespaces/a%20b/services/web/status', body: { spec: {} }, query: { dryRun: 'All' } }), { kind: 'Service' });
  t.equal(await rest.request({ method: 'DELETE', path: '/api/v1/namespaces/x/services/web' }), undefined, 'an empty answer to a DELETE is undefined');
  await t.rejects(rest.request({ method: 'GET', path: '/api/v1/empty' }), /GET \/api\/v1\/empty: empty answer \(HTTP 200\)/, 'to anything else, an error that names the request');
  const [put] = seen;
  t.equal(put?.method, 'PUT');
  t.equal(put?.url, '/api/v1/namespaces/a%20b/services/web/status?dryRun=All');
  t.equal(put?.headers.authorization, 'Bearer secret-token');
  t.equal(put?.headers.accept, 'application/json');
  t.equal(put?.headers['content-type'], 'application/json');
  t.equal(put?.body, '{"spec":{}}');
  t.equal(seen[1]?.headers['content-type'], undefined, 'no body, no content type');
  const proxied = await rest.request({ method: 'GET', path: '/api/v1/proxy-error' }).catch((e: unknown) => e);
  t.match(proxied, { code: 502, body: '<html>Bad Gateway</html>', message: 'GET /api/v1/proxy-error: HTTP 502' }, 'a body that is not JSON is kept as text, and not quoted in the message');
  t.ok(isRetryable(proxied));

  await close();
  const refused = await rest.request({ method: 'GET', path: '/api/v1/services' }).catch((e: unknown) => e);
  t.match(describeApiError(refused), { network: true }, 'a refused connection is worth retrying');
  t.equal(describeApiError(refused).status, undefined);

  t.throws(() => new KubeRest(new KubeConfig()), /no current cluster/);
  t.throws(() => new KubeRest(kubeConfig(url, { name: 'u' }), { timeoutMs: 0 }), /timeoutMs must be > 0/);
});

t.test('a server behind a path prefix, basic authentication', async (t) => {
  const { url, seen } = await recorder(t);
  const rest = new KubeRest(kubeConfig(`${url}/k8s/clusters/c-1`, { name: 'u', username: 'admin', password: 'pw' }));
  await rest.request({ method: 'GET', path: '/api/v1/services' });
  t.equal(seen[0]?.url, '/k8s/clusters/c-1/api/v1/services', 'the path is appended to the server\'s');
  t.equal(seen[0]?.headers.authorization, `Basic ${Buffer.from('admin:pw').toString('base64')}`);
});

t.test('a request with no answer gives up after its timeout, as a network failure; an answered one leaves no timer', async (t) => {
  const { url, seen } = await recorder(t);
  const clock = new VirtualClock(0);
  const rest = new KubeRest(kubeConfig(url, { name: 'u' }), { clock });
  await rest.request({ method: 'GET', path: '/api/v1/services' });
  await t.rejects(rest.request({ method: 'GET', path: '/api/v1/proxy-error' }), { code: 502 });
  await t.rejects(rest.request({ method: 'GET', path: '/api/v1/empty' }), /empty answer/);
  t.equal(clock.pending, 0, 'the timeout is cleared with the answer: a good one, a refusal, an empty one');

  const pending = rest.request({ method: 'GET', path: '/api/v1/hang' }).catch((e: unknown) => e);
  while (seen.length < 4) await new Promise((r) => setTimeout(r, 10));
  t.equal(clock.pending, 1);
  clock.advance(59_999);
  t.equal(clock.pending, 1, 'not given up before the timeout');
  clock.advance(1);
  const hung = await pending;
  t.match(hung, { code: 'ETIMEDOUT', message: /^GET \/api\/v1\/hang: no complete answer within 60 s$/ });
  t.ok(describeApiError(hung).network, 'callers retry it');
  t.equal(clock.pending, 0);
});
