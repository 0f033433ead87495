// Pieces of lab topology the BGP tests share: a client network behind the
// router, and HTTP servers on a service address.

import { run, type LabProcess, type NetLab } from '../../support/netlab.js';

/**
 * Puts host `client` behind `router` on a point-to-point link (router eth1,
 * client eth0), the client's default route through the router, and lets
 * the router forward with per-flow multipath hashing.
 */
export async function clientBehind(lab: NetLab, router: string, client: string, routerAddr: string, clientAddr: string): Promise<void> {
  const cns = lab.ns(client);
  const rns = lab.ns(router);
  await lab.addNamespace(cns);
  await run('ip', ['link', 'add', 'eth1', 'netns', rns, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', cns]);
  await lab.ip(rns, 'addr', 'add', routerAddr, 'dev', 'eth1');
  await lab.ip(cns, 'addr', 'add', clientAddr, 'dev', 'eth0');
  await lab.ip(rns, 'link', 'set', 'eth1', 'up');
  await lab.ip(cns, 'link', 'set', 'eth0', 'up');
  await lab.ip(cns, 'route', 'add', 'default', 'via', routerAddr.split('/')[0]!);
  await lab.sysctl(router, 'net.ipv4.ip_forward', '1');
  await lab.sysctl(router, 'net.ipv6.conf.all.forwarding', '1');
  await lab.sysctl(router, 'net.ipv4.fib_multipath_hash_policy', '1');
}

/** The service address on the node's lo and an HTTP server on it answering with the node's name. */
export async function serveVip(lab: NetLab, host: string, vip: string, clientNet: string, via: string): Promise<LabProcess> {
  const ns = lab.ns(host);
  await lab.ip(ns, 'addr', 'add', `${vip}/32`, 'dev', 'lo');
  await lab.ip(ns, 'route', 'add', clientNet, 'via', via);
  const code = `require('http').createServer((q, s) => s.end(process.argv[1])).listen(80, process.argv[2])`;
  return lab.spawn(host, process.execPath, ['-e', code, host, vip]);
}
