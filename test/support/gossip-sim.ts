// Helpers for gossip tests on the simulator: a formed cluster, and packets
// built from messages the way an attacker would forge them.
import { encodeMessage, encodePacket } from '../../src/cluster/codec.js';
import type { Message } from '../../src/cluster/messages.js';
import { Simulation, type SimulationOptions } from '../../dev/gossip-sim/simulation.js';

/** A plain (unsealed) packet carrying these messages. */
export const packet = (...msgs: Message[]): Buffer => encodePacket(msgs.map(encodeMessage));

/** A simulated cluster, started and joined until every member sees every other alive. */
export async function formed(size: number, opts: Partial<SimulationOptions> = {}): Promise<Simulation> {
  const sim = new Simulation({ size, seed: 11, ...opts });
  await sim.start();
  const took = await sim.runUntil(() => sim.members.every((m) => m.cluster.liveMembers().length === size), 30_000);
  if (took === undefined) throw new Error(`cluster of ${size} did not form`);
  return sim;
}
