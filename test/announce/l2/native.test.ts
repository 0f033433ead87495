// The shoal_packet addon on its own: argument and errno errors, interface
// queries, fd hygiene (close, garbage collection, exit) and the rtnetlink
// watcher. Anything that opens a socket runs in a child process inside a
// namespace the test creates.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import t from 'tap';

import { IFF_LOOPBACK, IFF_UP, loadPacketAddon } from '../../../src/announce/l2/native.js';
import { NetLab, netlabUnavailable } from '../../support/netlab.js';
import { NOBODY_UID, asUser, childJson, runnableNode, stageForUser, unreachableBy, type StagedTree } from '../../support/unprivileged.js';
import { REPO_ROOT } from './harness-client.js';

const why = netlabUnavailable();
const ADDON_REL = join('build', 'Release', 'shoal_packet.node');
const ADDON = join(REPO_ROOT, ADDON_REL);

t.test('a missing build gives an error that says how to build it', async (t) => {
  const empty = mkdtempSync(join(tmpdir(), 'shoal-no-addon-'));
  t.throws(() => loadPacketAddon(empty), { code: 'ERR_SHOAL_ADDON_NOT_BUILT', message: /not built.*npm install.*node-gyp rebuild/ });
});

t.test('argument and errno errors', async (t) => {
  const addon = loadPacketAddon();
  const noop = (): void => {};
  t.throws(() => new addon.PacketSocket('nope0', 0x0806, null, noop, noop), { code: 'ENODEV', errno: -19, message: 'interface nope0 does not exist' });
  t.throws(() => addon.interfaceInfo('nope0'), { code: 'ENODEV', message: 'interface nope0 does not exist' });
  t.throws(() => new addon.PacketSocket('x'.repeat(16), 0x0806, null, noop, noop), { code: 'EINVAL', message: /1 to 15 characters/ });
  t.throws(() => addon.interfaceInfo('a/b'), { code: 'EINVAL' });
  t.throws(() => new addon.PacketSocket('lo', 0x0100, null, noop, noop), RangeError, 'an 802.3 length is no EtherType');
  t.throws(() => new addon.PacketSocket('lo', 0x0806, Buffer.alloc(7), noop, noop), RangeError, 'filter not a whole number of instructions');
  t.throws(() => new addon.PacketSocket('lo', 0x0806, null, noop, 'x' as unknown as () => void), TypeError);
  t.throws(() => (addon.PacketSocket as unknown as (...a: unknown[]) => unknown)('lo'), TypeError, 'a class, not a function');
});

t.test('interface queries', async (t) => {
  const addon = loadPacketAddon();
  const lo = addon.interfaceInfo('lo');
  t.equal(lo.name, 'lo');
  t.ok(lo.index > 0);
  t.ok((lo.flags & IFF_LOOPBACK) !== 0 && (lo.flags & IFF_UP) !== 0, 'up and loopback');
  t.equal(lo.hwType, 772, 'ARPHRD_LOOPBACK');
  t.equal(lo.mac.length, 0, 'no Ethernet address');
  const all = addon.listInterfaces();
  t.ok(all.some((i) => i.name === 'lo' && i.index === lo.index));
  t.same(
    all.map((i) => i.index),
    [...all.map((i) => i.index)].sort((a, b) => a - b),
    'in index order',
  );
});

/**
 * Runs a CommonJS snippet with the addon as `addon` inside a namespace of the
 * lab; returns its stdout. As another user it loads the addon from `addon`
 * (a copy that user can read) and runs from that copy's directory.
 */
async function inNamespace(lab: NetLab, host: string, code: string, as?: { uid: number; stage: StagedTree }): Promise<{ stdout: string; code: number; stderr: string }> {
  if (as === undefined) return lab.exec(host, process.execPath, ['--expose-gc', '-e', `const addon = require(${JSON.stringify(ADDON)});\n${code}`], { allowFail: true });
  const addon = as.stage.path(ADDON_REL);
  const unreachable = unreachableBy(as.uid, addon);
  if (unreachable) throw new Error(unreachable);
  const [cmd, args] = asUser(as.uid, [await runnableNode(as.uid, as.stage), '--expose-gc', '-e', `const addon = require(${JSON.stringify(addon)});\n${code}`]);
  return lab.exec(host, cmd, args, { allowFail: true, cwd: as.stage.root });
}

t.test('sockets: EPERM without CAP_NET_RAW, no fd leaked by close, GC or exit, link events', { skip: why ?? false }, async (t) => {
  const lab = await NetLab.create('nat');
  t.teardown(() => lab.destroy());
  await lab.host({ name: 'a', addrs: ['192.0.2.1/24'] });

  // The checkout may sit below a directory nobody cannot enter: a readable copy of the addon.
  const stage = await stageForUser(NOBODY_UID, { paths: [ADDON_REL] });
  t.teardown(() => stage.remove());
  const perm = await inNamespace(lab, 'a', `
    try { new addon.PacketSocket('eth0', 0x0806, null, () => {}, () => {}); console.log('opened?!'); }
    catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message, syscall: e.syscall })); }`, { uid: NOBODY_UID, stage });
  t.same(childJson(`the addon as user ${NOBODY_UID}`, perm), { code: 'EPERM', message: 'AF_PACKET socket on eth0 needs CAP_NET_RAW (run as root or grant the capability)', syscall: 'socket' });

  const fds = await inNamespace(lab, 'a', `
    const fs = require('fs');
    const count = () => fs.readdirSync('/proc/self/fd').length;
    const base = count();
    const noop = () => {};
    for (let i = 0; i < 200; i++) { const s = new addon.PacketSocket('eth0', 0x0806, null, noop, noop); s.close(); s.close(); }
    const afterClose = count();
    (() => { for (let i = 0; i < 200; i++) new addon.PacketSocket('eth0', 0x0806, null, noop, noop); })();
    const whileOpen = count();
    let errCode;
    try { const s = new addon.PacketSocket('eth0', 0x0806, null, noop, noop); s.close(); s.send(Buffer.alloc(42)); } catch (e) { errCode = e.code; }
    (async () => {
      for (let i = 0; i < 5; i++) { global.gc(); await new Promise((r) => setImmediate(r)); }
      console.log(JSON.stringify({ base, afterClose, whileOpen, afterGc: count(), errCode }));
      process.exit(0);
    })();`);
  const f = JSON.parse(fds.stdout) as { base: number; afterClose: number; whileOpen: number; afterGc: number; errCode: string };
  t.equal(f.afterClose, f.base, 'close() releases the fd (and a second close is harmless)');
  t.ok(f.whileOpen >= f.base + 200, 'unclosed sockets hold their fds');
  t.equal(f.afterGc, f.base, 'garbage collection closes what was dropped');
  t.equal(f.errCode, 'EBADF', 'send after close is an error, not a crash');

  const exit = await inNamespace(lab, 'a', `
    const s = new addon.PacketSocket('eth0', 0x0806, null, () => {}, () => {});
    const w = new addon.LinkWatcher(() => {}, () => {});
    setTimeout(() => process.exit(7), 10);`);
  t.equal(exit.code, 7, 'exiting with sockets and a watcher open is clean (cleanup hooks close them)');
  t.equal(exit.stderr, '');

  const watch = await inNamespace(lab, 'a', `
    const { execFileSync } = require('child_process');
    let changes = 0;
    const w = new addon.LinkWatcher(() => { changes++; }, (e) => console.log('error', e.message));
    execFileSync('ip', ['link', 'add', 'br7', 'type', 'bridge']);
    // Until the watcher reports (10 s at most): a fixed 200 ms could pass
    // before a paused process had read the notification.
    const until = Date.now() + 10000;
    const report = () => {
      if (changes === 0 && Date.now() < until) return void setTimeout(report, 50);
      const seen = addon.listInterfaces().some((i) => i.name === 'br7');
      execFileSync('ip', ['link', 'del', 'br7']);
      w.close();
      console.log(JSON.stringify({ changes, seen }));
    };
    setTimeout(report, 50);`);
  const w = JSON.parse(watch.stdout) as { changes: number; seen: boolean };
  t.ok(w.changes >= 1, `rtnetlink reported the new link (${w.changes} batch(es))`);
  t.ok(w.seen, 'and a rescan finds it');
});
