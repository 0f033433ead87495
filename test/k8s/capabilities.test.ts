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
import { chmod, copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { netlabUnavailable } from '../support/netlab.js';
import { REPO } from './support/manifests.js';

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

async function runAs(node: string, bounding: readonly string[]): Promise<Report | { execError: string }> {
  // A copy beside the node binaries: the checkout may sit below a directory
  // user 65532 cannot enter.
  const addon = join(node, '..', 'shoal_packet.node');
  const setpriv = [
    '--reuid=65532',
    '--regid=65532',
    '--clear-groups',
    '--inh-caps=-all',
    `--bounding-set=-all${bounding.map((c) => `,+${c}`).join('')}`,
    '--no-new-privs',
    node,
    '-e',
    PROBE,
    addon,
  ];
  try {
    const { stdout } = await execFileP('setpriv', setpriv, { timeout: 20_000 });
    return JSON.parse(stdout) as Report;
  } catch (err) {
    return { execError: (err as { stderr?: string }).stderr?.trim() || (err as Error).message };
  }
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
  const dir = await mkdtemp(join(tmpdir(), 'shoal-caps-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await chmod(dir, 0o755);
  const plain = join(dir, 'node-plain');
  const withCaps = join(dir, 'node-speaker');
  await copyFile(process.execPath, plain);
  await copyFile(process.execPath, withCaps);
  await copyFile(join(REPO, 'build/Release/shoal_packet.node'), join(dir, 'shoal_packet.node'));
  await execFileP('setcap', [`${SPEAKER_CAPS.map((c) => `cap_${c}`).join(',')}+ep`, withCaps]);

  const bare = await runAs(plain, SPEAKER_CAPS);
  t.same(bare, { capEff: mask([]), noNewPrivs: '1', uid: '65532', packet: 'EPERM', bind179: 'EACCES' }, 'capabilities.add alone: nothing effective for a non-root user');

  const speaker = await runAs(withCaps, SPEAKER_CAPS);
  t.same(speaker, { capEff: mask(SPEAKER_CAPS), noNewPrivs: '1', uid: '65532', packet: 'ok', bind179: 'ok' }, 'file capabilities: exactly the added ones, under no_new_privs');

  const noBind = await runAs(withCaps, ['net_raw', 'net_admin']);
  t.match(noBind, { execError: /Operation not permitted/ }, 'a file capability outside the bounding set: the binary does not start');

  const controller = await runAs(withCaps, []);
  t.match(controller, { execError: /Operation not permitted/ }, 'so the controller, which drops everything, must not run the speaker binary');

  const controllerPlain = await runAs(plain, []);
  t.same(controllerPlain, { capEff: mask([]), noNewPrivs: '1', uid: '65532', packet: 'EPERM', bind179: 'EACCES' }, 'the controller image: runs, holds nothing');

  const plainNetRaw = join(dir, 'node-l2');
  await copyFile(process.execPath, plainNetRaw);
  await execFileP('setcap', ['cap_net_raw,cap_net_admin+ep', plainNetRaw]);
  const l2only = await runAs(plainNetRaw, ['net_raw', 'net_admin']);
  t.same(l2only, { capEff: mask(['net_raw', 'net_admin']), noNewPrivs: '1', uid: '65532', packet: 'ok', bind179: 'EACCES' }, 'NET_RAW and NET_ADMIN alone: ARP/NDP work, the BGP port does not');
});
