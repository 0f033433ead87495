import t from 'tap';
import { MemberTable, newMember } from '../../src/cluster/members.js';
import type { MemberState } from '../../src/cluster/messages.js';
import { seededRandom } from '../../dev/gossip-sim/simulation.js';

const member = (i: number, state: MemberState = 'alive') =>
  newMember({ name: `m${i}`, host: `192.0.2.${i + 1}`, port: 7946, incarnation: 0, state, meta: {}, stateChangedAt: 0, verified: true });

/** What reaping used to visit: a pass over all(), keeping the dead and left. */
const downByScan = (table: MemberTable): string[] =>
  table
    .all()
    .filter((m) => m.state === 'dead' || m.state === 'left')
    .map((m) => m.name);

t.test('downMembers: the dead and left, in all() order, through adds, state changes and removals', async (t) => {
  const table = new MemberTable(seededRandom(7));
  for (let i = 0; i < 8; i++) table.add(member(i, i === 5 ? 'dead' : 'alive'));
  t.same(
    table.downMembers().map((m) => m.name),
    ['m5'],
    'a member added dead is down',
  );
  table.setState(table.get('m6')!, 'left', 1);
  table.setState(table.get('m1')!, 'suspect', 1);
  table.setState(table.get('m2')!, 'dead', 1);
  t.same(
    table.downMembers().map((m) => m.name),
    ['m2', 'm5', 'm6'],
    'suspect is not down; dead and left are, in table order',
  );
  // remove() moves the last member into the hole: the order follows all().
  table.remove('m0');
  table.setState(table.get('m5')!, 'alive', 2);
  t.same(
    table.downMembers().map((m) => m.name),
    downByScan(table),
    'after a removal and a revival',
  );

  // Random sequences of changes: always what a scan of all() finds.
  const rand = seededRandom(11);
  const states: MemberState[] = ['alive', 'suspect', 'dead', 'left'];
  let next = 100;
  for (let step = 0; step < 2000; step++) {
    const all = table.all();
    const r = rand();
    if (r < 0.2 || all.length < 3) table.add(member(next++, states[Math.floor(rand() * 4)]!));
    else if (r < 0.35) table.remove(all[Math.floor(rand() * all.length)]!.name);
    else table.setState(all[Math.floor(rand() * all.length)]!, states[Math.floor(rand() * 4)]!, step);
    if (step % 50 === 0 || step === 1999) {
      t.same(
        table.downMembers().map((m) => m.name),
        downByScan(table),
        `step ${step}`,
      );
    }
  }
});
