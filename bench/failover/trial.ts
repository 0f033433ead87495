// One failover trial, the same for every system under test: wait until the
// system is steady and the client is served by the owner, fail the owner
// (SIGKILL of its daemon and HTTP server, or its link cut), wait until the
// client is served again and the system says it recovered, measure, and
// bring the victim back.
import { waitFor } from '../../test/support/netlab.js';
import { outageAfter, type Outage } from './probes.js';
import type { FailoverLab, NodeName } from './topology.js';

export type FailureMode = 'kill' | 'cut';

/** Wall-clock ms of each step of shoal's failover path (undefined: not seen). */
export interface Timeline {
  /** A survivor marks the victim suspect. */
  suspect: number | undefined;
  /** A survivor declares it dead. */
  dead: number | undefined;
  /** Every survivor has declared it dead. */
  allKnow: number | undefined;
  /** The new owner logs that it announces the VIP. */
  elected: number | undefined;
  /** The new owner logs its first gratuitous round. */
  garpLogged: number | undefined;
  /** The client's tcpdump sees the first gratuitous ARP from the new owner. */
  garpSeen: number | undefined;
  newOwner: NodeName | undefined;
}

export interface Death {
  observer: string;
  member: string;
  at: number;
}

export interface SystemUnderTest {
  readonly name: string;
  start(): Promise<void>;
  /** The owner of the VIP once the system is steady (all members see each other, one owner), else undefined. */
  settled(): NodeName | undefined;
  fail(victim: NodeName, mode: FailureMode): Promise<void>;
  /** The system has finished its failover (for the breakdown's log lines to be in). */
  recovered(victim: NodeName, since: number): boolean;
  restore(victim: NodeName, mode: FailureMode): Promise<void>;
  stop(): Promise<void>;
  timeline?(victim: NodeName, since: number, garpFrom: (mac: string, since: number) => number | undefined): Timeline;
  deaths?(): Death[];
}

export interface TrialResult {
  system: string;
  mode: FailureMode;
  trial: number;
  victim: NodeName;
  failedAt: number;
  /** Undefined when the client was not served again within the limit. */
  outage: Outage | undefined;
  timeline: Timeline | undefined;
  /**
   * After the victim came back, the client stayed with a node that no longer
   * announced the VIP and its neighbour entry had to be flushed.
   */
  repointed: boolean;
  /** When the victim was back and the system steady again (end of the trial's window for expected deaths). */
  settledAgainAt: number;
}

export interface TrialOptions {
  /** Give up on a trial after this long without a success. */
  maxOutageMs: number;
  /** The client's request timeout: a failed request is only on record this long after it started. */
  requestTimeoutMs: number;
  /** Requests in a row the owner must serve before a failure is caused. */
  steadyRequests: number;
  garpFrom: (mac: string, since: number) => number | undefined;
  random: () => number;
  log: (line: string) => void;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Waits until the system is steady and the client is served by its owner.
 * A client can be served by a node that no longer announces (the VIP is on
 * every node's lo) when nothing told it to move back: after waiting a while
 * for that, its neighbour entry is flushed, and the trial says so.
 */
async function steady(lab: FailoverLab, sys: SystemUnderTest, o: TrialOptions): Promise<{ owner: NodeName; repointed: boolean }> {
  const owner = await waitFor(() => sys.settled(), 60_000, `${sys.name} to settle`, 20);
  let repointed = false;
  const onOwner = (): boolean => sys.settled() === owner && lab.probes.steadyOn(owner, o.steadyRequests);
  try {
    await waitFor(onOwner, 3_000 + o.steadyRequests * 10, `the client to be served by ${owner}`, 20);
  } catch {
    repointed = true;
    await lab.flushClientNeighbour();
    await waitFor(onOwner, 10_000, `the client to be served by ${owner} after a neighbour flush`, 20);
  }
  return { owner, repointed };
}

export async function runTrial(lab: FailoverLab, sys: SystemUnderTest, mode: FailureMode, trial: number, o: TrialOptions): Promise<TrialResult> {
  let victim: NodeName;
  for (;;) {
    ({ owner: victim } = await steady(lab, sys, o));
    // A random phase against the protocols' periods.
    await sleep(o.random() * 200);
    // Ownership that moved meanwhile (a restarted member taking its VIPs
    // back) would make the failure hit a node the client has left.
    if (sys.settled() === victim && lab.probes.steadyOn(victim, 5)) break;
    o.log(`  ${sys.name} ${mode} #${trial}: ownership moved while waiting to fail ${victim}; waiting for steady state again`);
  }
  const failedAt = Date.now();
  await sys.fail(victim, mode);
  try {
    await waitFor(() => sys.recovered(victim, failedAt), o.maxOutageMs, `${sys.name} to recover from ${mode} of ${victim}`, 20);
    // The client is served again once a request started from now on succeeds.
    const now = Date.now();
    await waitFor(() => lab.probes.since(now).some((r) => r.servedBy !== undefined && r.start >= now), o.maxOutageMs, 'the client to be served again', 20);
  } catch (err) {
    o.log(`  ${sys.name} ${mode} #${trial}: ${(err as Error).message}`);
  }
  // Requests still in flight when the first success came in (a SYN to the
  // old owner's MAC after a link cut) only fail at their timeout: measure
  // once every request started before it has an outcome, and the capture
  // and the logs have caught up.
  await sleep(o.requestTimeoutMs + 100);
  const outage = outageAfter(lab.probes.since(failedAt - 1_000), failedAt);
  const timeline = sys.timeline?.(victim, failedAt, o.garpFrom);
  await sys.restore(victim, mode);
  const { repointed } = await steady(lab, sys, o);
  return { system: sys.name, mode, trial, victim, failedAt, outage, timeline, repointed, settledAgainAt: Date.now() };
}
