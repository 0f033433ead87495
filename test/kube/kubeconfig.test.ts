import t from 'tap';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kubeConfigYaml } from '../../dev/apiserver/kubeconfig.js';
import { loadKubeConfig, serviceAccountDir } from '../../src/kube/kubeconfig.js';

t.test('explicit options and files win, then in-cluster, then $KUBECONFIG, then ~/.kube/config', async (t) => {
  const dir = t.testdir({});
  const home = join(dir, 'home');
  mkdirSync(join(home, '.kube'), { recursive: true });
  writeFileSync(join(home, '.kube', 'config'), kubeConfigYaml('http://127.0.0.1:1', { name: 'home' }));
  const envFile = join(dir, 'env.yaml');
  writeFileSync(envFile, kubeConfigYaml('http://127.0.0.1:2', { name: 'env' }));
  const extra = join(dir, 'extra.yaml');
  writeFileSync(extra, kubeConfigYaml('http://127.0.0.1:3', { name: 'extra' }));
  const sa = join(dir, 'root');
  mkdirSync(join(sa, serviceAccountDir), { recursive: true });
  writeFileSync(join(sa, serviceAccountDir, 'token'), 'tok');
  writeFileSync(join(sa, serviceAccountDir, 'ca.crt'), '');
  writeFileSync(join(sa, serviceAccountDir, 'namespace'), 'metallb-system');
  const inPod = { KUBERNETES_SERVICE_HOST: '2001:db8::1', KUBERNETES_SERVICE_PORT: '443', KUBECONFIG: envFile };

  const homeOnly = loadKubeConfig({ env: {}, homeDir: home, inClusterRoot: join(dir, 'none') });
  t.equal(homeOnly.source, 'home');
  t.equal(homeOnly.kubeConfig.getCurrentCluster()?.server, 'http://127.0.0.1:1');

  const fromEnv = loadKubeConfig({ env: { KUBECONFIG: `${envFile}:${extra}` }, homeDir: home, inClusterRoot: join(dir, 'none') });
  t.equal(fromEnv.source, 'env');
  t.equal(fromEnv.kubeConfig.getCurrentCluster()?.server, 'http://127.0.0.1:2', 'the first file keeps the current context');
  t.ok(fromEnv.kubeConfig.getContextObject('extra'), 'later files are merged');

  const pod = loadKubeConfig({ env: inPod, homeDir: home, inClusterRoot: sa });
  t.equal(pod.source, 'in-cluster');
  t.equal(pod.kubeConfig.getCurrentCluster()?.server, 'https://[2001:db8::1]:443');
  t.equal(pod.kubeConfig.getContextObject(pod.kubeConfig.getCurrentContext())?.namespace, 'metallb-system');
  t.equal(process.env['KUBERNETES_SERVICE_HOST'], undefined, 'process.env left as it was');

  const file = loadKubeConfig({ env: inPod, kubeconfigPath: extra, homeDir: home, inClusterRoot: sa });
  t.equal(file.source, 'file', 'an explicit --kubeconfig beats the service account');
  t.equal(file.kubeConfig.getCurrentCluster()?.server, 'http://127.0.0.1:3');

  const opts = loadKubeConfig({
    env: inPod,
    options: { clusters: [{ name: 'c', server: 'http://127.0.0.1:4', skipTLSVerify: true }], users: [{ name: 'u' }], contexts: [{ name: 'x', cluster: 'c', user: 'u' }], currentContext: 'x' },
  });
  t.equal(opts.source, 'options');
  t.equal(opts.kubeConfig.getCurrentCluster()?.server, 'http://127.0.0.1:4');

  t.equal(loadKubeConfig({ env: { KUBECONFIG: `${envFile}:${extra}` }, context: 'extra', homeDir: home }).kubeConfig.getCurrentCluster()?.server, 'http://127.0.0.1:3');
  t.throws(() => loadKubeConfig({ env: { KUBECONFIG: envFile }, context: 'nope' }), /no context "nope"/);
});

t.test('nothing found is an error naming what was tried', async (t) => {
  const dir = t.testdir({});
  t.throws(
    () => loadKubeConfig({ env: { KUBERNETES_SERVICE_HOST: '192.0.2.1', KUBERNETES_SERVICE_PORT: '443' }, homeDir: dir, inClusterRoot: dir }),
    /no Kubernetes configuration found; tried in-cluster \(no token at .*\), \$KUBECONFIG \(not set\), .*\.kube\/config \(missing\)/,
  );
});

t.test("a server's trailing slashes are dropped; a cluster without a server is refused", async (t) => {
  const dir = t.testdir({});
  const file = join(dir, 'slash.yaml');
  writeFileSync(file, kubeConfigYaml('https://192.0.2.10:6443/k8s//', { name: 'slash' }));
  const { kubeConfig } = loadKubeConfig({ kubeconfigPath: file, env: {} });
  t.equal(kubeConfig.getCurrentCluster()?.server, 'https://192.0.2.10:6443/k8s', 'requests and watches append "/api/..." to it');
  t.equal(kubeConfig.getCurrentUser()?.name, 'slash', 'users and contexts kept');
  const noServer = { clusters: [{ name: 'c', server: '', skipTLSVerify: false }], users: [{ name: 'u' }], contexts: [{ name: 'x', cluster: 'c', user: 'u' }], currentContext: 'x' };
  t.throws(() => loadKubeConfig({ options: noServer }), /cluster "c" has no server/);
});
