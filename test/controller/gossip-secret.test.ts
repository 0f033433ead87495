// The controller creates the speakers' gossip key Secret when it is missing
// (as MetalLB's does) and never touches an existing one; failures retry
// with backoff on the virtual clock and show in /status.
import type { V1Secret } from '@kubernetes/client-node';
import t from 'tap';
import { controllerStatusText } from '../../src/controller/index.js';
import { secrets } from '../../src/kube/resources.js';
import { eventually } from '../dev/apiserver/support.js';
import { CONFIG_NS, harness, type Harness } from './support.js';

const secret = (h: Harness, name = 'memberlist'): V1Secret | undefined => {
  try {
    return h.d.store.get(secrets, CONFIG_NS, name) as V1Secret;
  } catch {
    return undefined;
  }
};

t.test('a missing Secret is created with a random AES-256 key under "secretkey"', async (t) => {
  const h = await harness(t);
  const ctl = await h.start({ gossipSecret: 'memberlist' });
  await eventually(() => ctl.status().gossipSecret?.state === 'created', 'the Secret created');
  const s = secret(h);
  const key = Buffer.from(s?.data?.['secretkey'] ?? '', 'base64').toString('utf8');
  t.match(key, /^[A-Za-z0-9+/]{43}=$/, 'base64 text, as a key file line');
  t.equal(Buffer.from(key, 'base64').length, 32, '32 random bytes: the AES-256 key itself');
  t.equal(s?.metadata?.ownerReferences, undefined, 'no owner: re-creating the Deployment must not delete the key');
  t.same(s?.metadata?.labels, { 'app.kubernetes.io/name': 'shoal', 'app.kubernetes.io/component': 'gossip-key' });
  t.match(controllerStatusText(ctl.status()), /gossip key Secret metallb-system\/memberlist: created/);
  await ctl.stop();

  const again = await h.start({ gossipSecret: 'memberlist' });
  await eventually(() => again.status().gossipSecret?.state === 'exists', 'found on the next start');
  t.equal(Buffer.from(secret(h)?.data?.['secretkey'] ?? '', 'base64').toString('utf8'), key, 'the same key: a restart changes nothing');
});

t.test("an existing Secret (MetalLB's) is used as it is; one without a key is reported, not rewritten", async (t) => {
  const h = await harness(t);
  // MetalLB's controller writes 16 random bytes, unpadded base64.
  const metallbKey = Buffer.from('q3Jd5ZkAAxQm1sT0p9cV2w').toString('base64');
  h.d.store.create(secrets, CONFIG_NS, { metadata: { name: 'memberlist', namespace: CONFIG_NS }, data: { secretkey: metallbKey } });
  h.d.store.create(secrets, CONFIG_NS, { metadata: { name: 'broken', namespace: CONFIG_NS }, data: { other: metallbKey } });
  const version = secret(h)?.metadata?.resourceVersion;
  const ctl = await h.start({ gossipSecret: 'memberlist' });
  await eventually(() => ctl.status().gossipSecret?.state === 'exists', 'found');
  t.equal(secret(h)?.metadata?.resourceVersion, version, 'untouched');
  t.notOk(h.d.requests.some((r) => r.resource === 'secrets' && r.verb !== 'get'), 'only read');
  await ctl.stop();

  const bad = await h.start({ gossipSecret: 'broken' });
  await eventually(() => bad.status().gossipSecret?.state === 'invalid', 'reported');
  t.match(bad.status().gossipSecret?.message, /has no usable "secretkey": the speakers cannot start/);
  t.same(Object.keys(secret(h, 'broken')?.data ?? {}), ['other'], 'not rewritten');
});

t.test('API failures are retried with backoff on the controller clock; without the option no Secret is touched', async (t) => {
  const h = await harness(t);
  h.d.faults.failNext({ verb: 'get', resource: 'secrets', code: 403, message: 'secrets "memberlist" is forbidden' });
  h.d.faults.failNext({ verb: 'create', resource: 'secrets', code: 503, count: 2 });
  const ctl = await h.start({ gossipSecret: 'memberlist' });
  await eventually(() => ctl.status().gossipSecret?.state === 'failing', 'the first failure reported');
  t.match(ctl.status().gossipSecret?.message, /cannot ensure the gossip key Secret metallb-system\/memberlist: HTTP 403: secrets "memberlist" is forbidden/);
  await eventually(() => {
    if (ctl.status().gossipSecret?.state === 'created') return true;
    h.clock.advance(1000);
    return false;
  }, 'created after the retries');
  t.equal(h.d.faults.pendingFailures, 0, 'every injected failure was met');
  t.ok(secret(h));
  await ctl.stop();

  const h2 = await harness(t);
  const plain = await h2.start();
  await eventually(() => plain.status().phase === 'running', 'the controller running');
  await plain.idle();
  t.equal(plain.status().gossipSecret, null);
  t.notOk(h2.d.requests.some((r) => r.resource === 'secrets'), 'no request about Secrets');
});
