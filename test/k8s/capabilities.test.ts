// The capability arithmetic the speaker's image and pod spec rely on
// (docs/install.md, "Security"), shown on this kernel. Each case starts node
// the way runc starts a container's process: user 65532, the bounding set
// the pod spec leaves (drop ALL, add what the DaemonSet adds), the added
// capabilities still permitted when the process executes its entrypoint,
// no_new_privs (allowPrivilegeEscalation: false). setpriv does exactly these
// steps. The node binary is a copy in a temporary directory, with or without
// file capabilities. Nothing is sent on any network: the AF_PACKET socket is
// opened on loopback and closed, the bind to port 179 is on 127.0.0.1.
import { execFile } from 'node:child_process';
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { netlabUnavailable } from '../support/netlab.js';
import { IMAGE_UID, asUser, childJson, stageForUser, unreachableBy } from '../support/unprivileged.js';

const execFileP = promisify(execFile);
const skip = netlabUnavailable();
const SPEAKER_CAPS = ['net_raw', 'net_admin', 'net_bind_service'];

/** What the child reports: its effective set and what it could do. */
interface Report {
  capEff: string;
  noNewPrivs: string;
  uid: string;
  packet: string;
  bind179: string;
}

const PROBE = `
const fs = require('fs');
const status = fs.readFileSync('/proc/self/status', 'utf8');
const field = (k) => (new RegExp('^' + k + ':\\\\s*(\\\\S+)', 'm').exec(status) || [])[1];
let packet = 'ok';
try { new (require(process.argv[1]).PacketSocket)('lo', 0x0806, null, () => {}, () => {}).close(); } catch (e) { packet = e.code || e.message; }
const server = require('net').createServer();
server.on('error', (e) => done(e.code));
server.listen({ port: 179, host: '127.0.0.1' }, () => server.close(() => done('ok')));
function done(bind179) { process.stdout.write(JSON.stringify({ capEff: field('CapEff'), noNewPrivs: field('NoNewPrivs'), uid: field('Uid'), packet, bind179 })); }
`;

async function runAs(node: string, addon: string, bounding: readonly string[]): Promise<Report | { execError: string }> {
  const unreachable = unreachableBy(IMAGE_UID, addon);
  if (unreachable) throw new Error(unreachable);
  const [cmd, args] = asUser(IMAGE_UID, [node, '-e', PROBE, addon], [`--bounding-set=-all${bounding.map((c) => `,+${c}`).join('')}`, '--no-new-privs']);
  let result;
  try {
    const { stdout, stderr } = await execFileP(cmd, args, { timeout: 60_000, cwd: join(addon, '..') });
    result = { stdout, stderr, code: 0 };
  } catch (err) {
    // setpriv's exec of a binary whose file capabilities exceed the bounding set fails here, by design.
    return { execError: (err as { stderr?: string }).stderr?.trim() || (err as Error).message };
  }
  return childJson<Report>(`node as user ${IMAGE_UID}`, result);
}

/** CAP_NET_ADMIN (12), CAP_NET_RAW (13), CAP_NET_BIND_SERVICE (10) as /proc's hex mask. */
const mask = (caps: readonly string[]): string => {
  const bit: Record<string, number> = { net_bind_service: 10, net_admin: 12, net_raw: 13 };
  return caps.reduce((m, c) => m | (1n << BigInt(bit[c] ?? 0)), 0n).toString(16).padStart(16, '0');
};

t.test('what a non-root speaker gets, with and without file capabilities', { skip }, async (t) => {
  for (const tool of ['setpriv', 'setcap']) {
    await execFileP('sh', ['-c', `command -v ${tool}`]).catch(() => t.fail(`${tool} is missing (util-linux, libcap2-bin)`));
  }
  // The addon and the node binaries in a directory user 65532 can read: the
  // checkout may sit below one it cannot enter.
  const stage = await stageForUser(IMAGE_UID, { paths: ['build/Release/shoal_packet.node'] });
  t.teardown(() => stage.remove());
  const addon = stage.path('build/Release/shoal_packet.node');
  const plain = join(stage.root, 'node-plain');
  const withCaps = join(stage.root, 'node-speaker');
  await copyFile(process.execPath, plain);
  await copyFile(process.execPath, withCaps);
  await execFileP('setcap', [`${SPEAKER_CAPS.map((c) => `cap_${c}`).join(',')}+ep`, withCaps]);

  const bare = await runAs(plain, addon, SPEAKER_CAPS);
  t.same(bare, { capEff: mask([]), noNewPrivs: '1', uid: '65532', packet: 'EPERM', bind179: 'EACCES' }, 'capabilities.add alone: nothing effective for a non-root user');

  const speaker = await runAs(withCaps, addon, SPEAKER_CAPS);
  t.same(speaker, { capEff: mask(SPEAKER_CAPS), noNewPrivs: '1', uid: '65532', packet: 'ok', bind179: 'ok' }, 'file capabilities: exactly the added ones, under no_new_privs');

  const noBind = await runAs(withCaps, addon, ['net_raw', 'net_admin']);
  t.match(noBind, { execError: /Operation not permitted/ }, 'a file capability outside the bounding set: the binary does not start');

  const controller = await runAs(withCaps, addon, []);
  t.match(controller, { execError: /Operation not permitted/ }, 'so the controller, which drops everything, must not run the speaker binary');

  const controllerPlain = await runAs(plain, addon, []);
  t.same(controllerPlain, { capEff: mask([]), noNewPrivs: '1', uid: '65532', packet: 'EPERM', bind179: 'EACCES' }, 'the controller image: runs, holds nothing');

  const plainNetRaw = join(stage.root, 'node-l2');
  await copyFile(process.execPath, plainNetRaw);
  await execFileP('setcap', ['cap_net_raw,cap_net_admin+ep', plainNetRaw]);
  const l2only = await runAs(plainNetRaw, addon, ['net_raw', 'net_admin']);
  t.same(l2only, { capEff: mask(['net_raw', 'net_admin']), noNewPrivs: '1', uid: '65532', packet: 'ok', bind179: 'EACCES' }, 'NET_RAW and NET_ADMIN alone: ARP/NDP work, the BGP port does not');
});
