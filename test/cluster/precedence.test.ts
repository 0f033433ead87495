import t from 'tap';
import type { MemberState } from '../../src/cluster/messages.js';
import { decideAlive, decideDead, decideSuspect, type KnownMember } from '../../src/cluster/precedence.js';

const known = (state: MemberState, incarnation: number, over: Partial<KnownMember> = {}): KnownMember => ({
  host: '192.0.2.2',
  port: 7946,
  incarnation,
  state,
  meta: { v: '1' },
  stateChangedAt: 0,
  ...over,
});
const alive = (incarnation: number, over: Partial<{ host: string; port: number; meta: Record<string, string> }> = {}) => ({
  type: 'alive' as const,
  incarnation,
  node: 'b',
  host: over.host ?? '192.0.2.2',
  port: over.port ?? 7946,
  meta: over.meta ?? { v: '1' },
});
const suspect = (incarnation: number) => ({ type: 'suspect' as const, incarnation, node: 'b', from: 'c' });
const dead = (incarnation: number, from = 'c') => ({ type: 'dead' as const, incarnation, node: 'b', from });

t.test('alive: higher incarnation wins, stale changes nothing', async (t) => {
  const rows: Array<[string, KnownMember | undefined, ReturnType<typeof alive>, string]> = [
    ['unknown member is added', undefined, alive(0), 'add'],
    ['same incarnation is a duplicate', known('alive', 3), alive(3), 'ignore:duplicate'],
    ['older incarnation is stale', known('alive', 3), alive(2), 'ignore:stale'],
    ['newer incarnation updates', known('alive', 3), alive(4), 'update'],
    ['alive at the same incarnation does not clear a suspicion', known('suspect', 3), alive(3), 'ignore:duplicate'],
    ['alive with a newer incarnation refutes a suspicion', known('suspect', 3), alive(4), 'update'],
    ['alive at the same incarnation does not revive the dead', known('dead', 3), alive(3), 'ignore:duplicate'],
    ['alive with a newer incarnation revives the dead', known('dead', 3), alive(4), 'update'],
    ['another address for a live member is a conflict', known('alive', 3), alive(9, { host: '192.0.2.99' }), 'ignore:address-conflict'],
    ['a dead member may come back at a new address', known('dead', 3), alive(0, { host: '192.0.2.99' }), 'update'],
  ];
  for (const [what, cur, msg, want] of rows) {
    const d = decideAlive(cur, msg, false, 10, 0);
    t.equal(d.action === 'ignore' ? `ignore:${d.why}` : d.action, want, what);
  }
});

t.test('alive about ourselves: echoes ignored, anything newer or different refuted', async (t) => {
  t.match(decideAlive(known('alive', 3), alive(3), true, 0, 0), { action: 'ignore', why: 'own-echo' });
  t.match(decideAlive(known('alive', 3), alive(2), true, 0, 0), { action: 'ignore', why: 'stale' });
  t.match(decideAlive(known('alive', 3), alive(4), true, 0, 0), { action: 'refute' });
  t.match(decideAlive(known('alive', 3), alive(3, { meta: { v: '2' } }), true, 0, 0), { action: 'refute' });
});

t.test('suspect: applies at equal or newer incarnation, confirms an existing suspicion', async (t) => {
  const rows: Array<[string, KnownMember | undefined, number, boolean, string]> = [
    ['unknown member', undefined, 1, false, 'ignore:unknown'],
    ['older incarnation', known('alive', 3), 2, false, 'ignore:stale'],
    ['same incarnation suspects', known('alive', 3), 3, false, 'suspect'],
    ['newer incarnation suspects', known('alive', 3), 5, false, 'suspect'],
    ['already suspect: confirmation', known('suspect', 3), 3, false, 'confirm'],
    ['suspect of a newer incarnation: a new suspicion', known('suspect', 3), 4, false, 'suspect'],
    ['already dead', known('dead', 3), 3, false, 'ignore:already-dead'],
    ['already left', known('left', 3), 4, false, 'ignore:already-dead'],
    ['about ourselves: refute', known('alive', 3), 3, true, 'refute'],
    ['about ourselves, stale', known('alive', 3), 2, true, 'ignore:stale'],
  ];
  for (const [what, cur, inc, self, want] of rows) {
    const d = decideSuspect(cur, suspect(inc), self);
    t.equal(d.action === 'ignore' ? `ignore:${d.why}` : d.action, want, what);
  }
});

t.test('dead: beats alive and suspect at equal incarnation; from itself means left', async (t) => {
  const rows: Array<[string, KnownMember | undefined, ReturnType<typeof dead>, boolean, boolean, string]> = [
    ['unknown member', undefined, dead(1), false, false, 'ignore:unknown'],
    ['older incarnation', known('alive', 3), dead(2), false, false, 'ignore:stale'],
    ['alive at same incarnation dies', known('alive', 3), dead(3), false, false, 'dead:dead'],
    ['suspect dies', known('suspect', 3), dead(3), false, false, 'dead:dead'],
    ['a member announcing its own death has left', known('alive', 3), dead(3, 'b'), false, false, 'dead:left'],
    ['dead twice', known('dead', 3), dead(4), false, false, 'ignore:already-dead'],
    ['about ourselves: refute', known('alive', 3), dead(3), true, false, 'refute'],
    ['about ourselves while leaving: accept', known('alive', 3), dead(3, 'b'), true, true, 'dead:left'],
  ];
  for (const [what, cur, msg, self, leaving, want] of rows) {
    const d = decideDead(cur, msg, self, leaving);
    t.equal(d.action === 'ignore' ? `ignore:${d.why}` : d.action === 'dead' ? `dead:${d.state}` : d.action, want, what);
  }
});

t.test('dead: a verdict from a member we do not count as live only makes us suspect', async (t) => {
  const rows: Array<[string, KnownMember | undefined, ReturnType<typeof dead>, boolean, string]> = [
    ['alive, accused by a dead or unknown member', known('alive', 3), dead(3), false, 'suspect'],
    ['already suspect, same', known('suspect', 3), dead(3), false, 'suspect'],
    ['accused by a live member', known('alive', 3), dead(3), true, 'dead:dead'],
    ['leaving needs no witness', known('alive', 3), dead(3, 'b'), false, 'dead:left'],
    ['stale stays stale', known('alive', 4), dead(3), false, 'ignore:stale'],
    ['already dead stays dead', known('dead', 3), dead(3), false, 'ignore:already-dead'],
  ];
  for (const [what, cur, msg, credible, want] of rows) {
    const d = decideDead(cur, msg, false, false, credible);
    t.equal(d.action === 'ignore' ? `ignore:${d.why}` : d.action === 'dead' ? `dead:${d.state}` : d.action, want, what);
  }
});
