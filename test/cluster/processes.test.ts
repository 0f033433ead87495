// Five real member processes on loopback UDP/TCP: they form a cluster, detect
// a SIGKILL, and see a SIGTERM as a graceful leave.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { cliPath, distMissing } from '../support/dist.js';
import { freePorts } from '../support/ports.js';

interface Proc {
  name: string;
  gossip: number;
  status: number;
  child: ChildProcess;
  exited: Promise<void>;
  log: string;
}

interface StatusDoc {
  gossip: { members: Array<{ name: string; state: string; verified: boolean }>; counters: { dropped: Record<string, number> } };
}

async function statusOf(p: Proc): Promise<StatusDoc | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${p.status}/status`);
    return (await res.json()) as StatusDoc;
  } catch {
    return undefined;
  }
}

async function until(cond: () => Promise<boolean>, ms: number): Promise<number | undefined> {
  const start = Date.now();
  while (Date.now() - start < ms) {
    if (await cond()) return Date.now() - start;
    await new Promise((r) => setTimeout(r, 50));
  }
  return undefined;
}

const stateSeen = async (observer: Proc, name: string): Promise<string | undefined> => (await statusOf(observer))?.gossip.members.find((m) => m.name === name)?.state;

t.test('five processes on loopback form a cluster and detect a SIGKILL', { skip: distMissing() ?? false }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'shoal-gossip-'));
  const keyFile = join(dir, 'key');
  writeFileSync(keyFile, randomBytes(32).toString('base64') + '\n');
  const ports = await freePorts(10);
  const procs: Proc[] = [];
  t.teardown(async () => {
    for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await Promise.all(procs.map((p) => p.exited));
    rmSync(dir, { recursive: true, force: true });
  });
  for (let i = 0; i < 5; i++) {
    const name = `p${i}`;
    const gossip = ports[i]!;
    const status = ports[5 + i]!;
    const child = spawn(
      process.execPath,
      [cliPath, 'gossip', '--name', name, '--bind', `127.0.0.1:${gossip}`, '--status', `127.0.0.1:${status}`, '--join', `127.0.0.1:${ports[0]}`, '--key-file', keyFile],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const p: Proc = { name, gossip, status, child, log: '', exited: new Promise((r) => child.on('exit', () => r())) };
    child.stderr?.on('data', (b: Buffer) => (p.log += b.toString()));
    procs.push(p);
  }
  const formed = await until(async () => {
    const docs = await Promise.all(procs.map(statusOf));
    // Members it has heard from itself: the others it was only told of are not members yet.
    return docs.every((d) => d?.gossip.members.filter((m) => m.state === 'alive' && m.verified).length === 5);
  }, 45_000);
  t.ok(formed !== undefined, `all five see five alive members after ${formed} ms`);
  if (formed === undefined) t.comment(procs.map((p) => p.log).join('\n'));

  const victim = procs[3]!;
  victim.child.kill('SIGKILL');
  await victim.exited;
  const detected = await until(async () => {
    const seen = await Promise.all(procs.filter((p) => p !== victim).map((p) => stateSeen(p, victim.name)));
    return seen.every((s) => s === 'dead');
  }, 45_000);
  t.ok(detected !== undefined, `the four others declared ${victim.name} dead (${detected} ms after the kill, including polling)`);

  const leaver = procs[4]!;
  leaver.child.kill('SIGTERM');
  await leaver.exited;
  t.equal(leaver.child.exitCode, 0, 'SIGTERM exits cleanly after leaving');
  const left = await until(async () => {
    const seen = await Promise.all(procs.slice(0, 3).map((p) => stateSeen(p, leaver.name)));
    return seen.every((s) => s === 'left');
  }, 45_000);
  t.ok(left !== undefined, `a SIGTERM is seen as a graceful leave`);

  const drops = (await statusOf(procs[0]!))!.gossip.counters.dropped;
  t.equal(drops['decrypt-failed'], 0, 'every packet opened with the shared key');
  const text = await (await fetch(`http://127.0.0.1:${procs[0]!.status}/status?format=text`)).text();
  t.match(text, /p3\s+127\.0\.0\.1:\d+\s+dead/, 'the text table shows the dead member');
  const metrics = await (await fetch(`http://127.0.0.1:${procs[0]!.status}/metrics`)).text();
  t.match(metrics, /shoal_gossip_members\{state="dead"\} 1/, 'metrics count the dead member');
  t.match(metrics, /shoal_gossip_pushpull_inbound_total\{outcome="answered"\} [1-9]/, 'and the push-pulls served, by outcome');
  t.match(metrics, /shoal_gossip_udp_receive_buffer_bytes [1-9]/, 'and the UDP receive buffer granted');
  t.match(metrics, /shoal_gossip_udp_kernel_drops_total \d+/, "and the kernel's drops on the socket");
  t.match(text, /push-pull slots: \d+\/16 in use; served [1-9]/, 'the text status shows the push-pull slots');
  const health = await fetch(`http://127.0.0.1:${procs[0]!.status}/healthz`);
  t.equal(health.status, 200);
});
