import t from 'tap';

import { Simulation } from '../../dev/gossip-sim/simulation.js';
import { MemberTable } from '../../src/cluster/members.js';
import { Cluster } from '../../src/cluster/cluster.js';
import { VirtualClock } from '../../src/util/clock.js';
import { MemoryNetwork } from '../../dev/gossip-sim/memory-transport.js';

t.test('startConverged: every member knows every other one at once, verified, without join news', async (t) => {
  const events: string[] = [];
  const sim = new Simulation({ size: 20, seed: 3, onEvent: (_observer, e) => events.push(e.kind) });
  sim.startConverged();
  for (const m of sim.members) {
    t.equal(m.cluster.liveMembers().length, 20, `${m.name} sees all 20 live`);
    t.ok(
      m.cluster.members().every((v) => v.verified && v.state === 'alive'),
      `${m.name} holds them verified and alive`,
    );
  }
  t.same(events, [], 'members taken in this way are no news');
  await sim.run(2_000);
  t.ok(sim.members.every((m) => m.cluster.liveMembers().length === 20), 'the converged cluster stays whole');
  t.same(events, [], 'and quiet');
  await sim.shutdown();
});

t.test('a member refuses a member table that is not empty', async (t) => {
  const clock = new VirtualClock(0);
  const net = new MemoryNetwork(clock, {});
  const table = new MemberTable(() => 0.5);
  const address = { host: '198.51.100.1', port: 7946 };
  new Cluster({ name: 'a', advertiseHost: address.host, advertisePort: address.port }, { transport: net.attach(address), clock, table });
  t.throws(
    () => new Cluster({ name: 'b', advertiseHost: '198.51.100.2', advertisePort: 7946 }, { transport: net.attach({ host: '198.51.100.2', port: 7946 }), clock, table }),
    /must be empty/,
  );
});
