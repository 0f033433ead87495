import t from 'tap';
import { MAX_U32 } from '../../src/cluster/codec.js';
import type { MemberState } from '../../src/cluster/messages.js';
import { decideAlive, decideDead, decideSuspect, type KnownMember, type NewsContext } from '../../src/cluster/precedence.js';

const rules = { maxJump: 1024, reclaimMs: 1000 };
/** News passed on by a live member, at time 10 000 (the default); `over` changes the setting. */
const news = (over: Partial<NewsContext> = {}): NewsContext => ({ isSelf: false, firstHand: false, trusted: true, stream: false, now: 10_000, ...over });
const show = (d: { action: string; why?: string; state?: string }): string => (d.action === 'ignore' ? `ignore:${d.why}` : d.action === 'dead' ? `dead:${d.state}` : d.action);

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
    ['a member dead long enough may come back at a new address', known('dead', 3), alive(0, { host: '192.0.2.99' }), 'update'],
  ];
  for (const [what, cur, msg, want] of rows) {
    t.equal(show(decideAlive(cur, msg, news(), rules)), want, what);
  }
});

t.test('alive about ourselves: echoes ignored, anything newer or different refuted', async (t) => {
  const self = news({ isSelf: true });
  t.match(decideAlive(known('alive', 3), alive(3), self, rules), { action: 'ignore', why: 'own-echo' });
  t.match(decideAlive(known('alive', 3), alive(2), self, rules), { action: 'ignore', why: 'stale' });
  t.match(decideAlive(known('alive', 3), alive(4), self, rules), { action: 'refute', why: 'newer' });
  t.match(decideAlive(known('alive', 3), alive(3, { meta: { v: '2' } }), self, rules), { action: 'refute', why: 'other-data' });
  t.match(decideAlive(known('alive', 3), alive(1, { host: '192.0.2.99' }), self, rules), { action: 'refute', why: 'other-address' }, 'our name elsewhere, however old');
  t.match(decideAlive(known('alive', 3), alive(3 + 1024), news({ isSelf: true, trusted: false }), rules), { action: 'refute' }, 'from anyone');
  t.match(decideAlive(known('alive', 3), alive(MAX_U32), news({ isSelf: true }), rules), { action: 'ignore', why: 'implausible' }, 'but not one datagram far above our incarnation');
  t.match(decideAlive(known('alive', 3), alive(MAX_U32), news({ isSelf: true, stream: true }), rules), { action: 'refute' }, 'which a whole state may say (our previous life)');
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
    t.equal(show(decideSuspect(cur, suspect(inc), news({ isSelf: self }), rules)), want, what);
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
    t.equal(show(decideDead(cur, msg, { ...news({ isSelf: self }), leaving, credible: true }, rules)), want, what);
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
    t.equal(show(decideDead(cur, msg, { ...news(), leaving: false, credible }, rules)), want, what);
  }
});

t.test('who may say what: strangers speak only for themselves, names move only from a gone address', async (t) => {
  const stranger = news({ trusted: false });
  const recentlyLeft = known('left', 3, { stateChangedAt: 9_500 });
  const rows: Array<[string, string, string]> = [
    ['a stranger introduces a new name (limited by the caller)', show(decideAlive(undefined, alive(0), stranger, rules)), 'add'],
    ['a stranger passes on a refutation of a known member', show(decideAlive(known('suspect', 3), alive(4), stranger, rules)), 'update'],
    ['a stranger moves a name that died long ago', show(decideAlive(known('dead', 3), alive(4, { host: '192.0.2.99' }), stranger, rules)), 'ignore:stranger'],
    ['the member itself moves it, from its new address', show(decideAlive(known('dead', 3), alive(4, { host: '192.0.2.99' }), news({ trusted: false, firstHand: true }), rules)), 'update'],
    ['a name that left half a second ago stays where it was', show(decideAlive(recentlyLeft, alive(4, { host: '192.0.2.99' }), news(), rules)), 'ignore:address-conflict'],
    ['a stranger suspects', show(decideSuspect(known('alive', 3), suspect(3), stranger, rules)), 'ignore:stranger'],
    ['a stranger declares dead', show(decideDead(known('alive', 3), dead(3), { ...stranger, leaving: false, credible: true }, rules)), 'ignore:stranger'],
    ['a stranger announces a leave', show(decideDead(known('alive', 3), dead(3, 'b'), { ...stranger, leaving: false, credible: true }, rules)), 'ignore:stranger'],
    ['the member announces its own leave', show(decideDead(known('alive', 3), dead(3, 'b'), { ...news({ trusted: false, firstHand: true }), leaving: false, credible: true }, rules)), 'dead:left'],
    ['a member passes a leave on', show(decideDead(known('alive', 3), dead(3, 'b'), { ...news(), leaving: false, credible: true }, rules)), 'dead:left'],
    ['stale news is stale whoever sends it', show(decideDead(known('alive', 4), dead(3), { ...stranger, leaving: false, credible: true }, rules)), 'ignore:stale'],
  ];
  for (const [what, got, want] of rows) t.equal(got, want, what);
});

t.test('incarnations: second-hand news may not jump far, the top of the range stays the member\'s own', async (t) => {
  const dc = (over: Partial<NewsContext> = {}) => ({ ...news(over), leaving: false, credible: true });
  const rows: Array<[string, string, string]> = [
    ['suspect at held + maxJump', show(decideSuspect(known('alive', 3), suspect(3 + 1024), news(), rules)), 'suspect'],
    ['suspect one past it', show(decideSuspect(known('alive', 3), suspect(3 + 1025), news(), rules)), 'ignore:implausible'],
    ['suspect at 0xFFFFFFFF', show(decideSuspect(known('alive', 3), suspect(MAX_U32), news(), rules)), 'ignore:implausible'],
    ['dead at 0xFFFFFFFF', show(decideDead(known('alive', 3), dead(MAX_U32), dc(), rules)), 'ignore:implausible'],
    ['a leave at 0xFFFFFFFF, even passed on by a member', show(decideDead(known('alive', 0), dead(MAX_U32, 'b'), dc(), rules)), 'ignore:implausible'],
    ['alive at 0xFFFFFFFF second-hand', show(decideAlive(known('alive', 3), alive(MAX_U32), news(), rules)), 'ignore:implausible'],
    ['alive at 0xFFFFFFFF from the member itself', show(decideAlive(known('alive', 3), alive(MAX_U32), news({ firstHand: true }), rules)), 'update'],
    ['a datagram suspecting us at 0xFFFFFFFF is refused: nobody in step with us took it', show(decideSuspect(known('alive', 3), suspect(MAX_U32), news({ isSelf: true }), rules)), 'ignore:implausible'],
    ['so is one declaring us dead', show(decideDead(known('alive', 3), dead(MAX_U32), dc({ isSelf: true }), rules)), 'ignore:implausible'],
    ['a whole state holding us dead at 0xFFFFFFFF is ours to answer (a previous life)', show(decideDead(known('alive', 3), dead(MAX_U32), dc({ isSelf: true, stream: true }), rules)), 'refute'],
    ['a datagram within reach of our incarnation is answered', show(decideSuspect(known('alive', 3), suspect(3 + 1024), news({ isSelf: true }), rules)), 'refute'],
    ['at the top, the member\'s own word ends a suspicion', show(decideAlive(known('suspect', MAX_U32), alive(MAX_U32), news({ firstHand: true }), rules)), 'update'],
    ['and a death', show(decideAlive(known('dead', MAX_U32), alive(MAX_U32), news({ firstHand: true }), rules)), 'update'],
    ['and sets its data', show(decideAlive(known('alive', MAX_U32), alive(MAX_U32, { meta: { v: '2' } }), news({ firstHand: true }), rules)), 'update'],
    ['but not second-hand', show(decideAlive(known('suspect', MAX_U32), alive(MAX_U32), news(), rules)), 'ignore:duplicate'],
    ['below the top, equal is a duplicate even first-hand', show(decideAlive(known('suspect', 7), alive(7), news({ firstHand: true }), rules)), 'ignore:duplicate'],
    ['the same data at the top is a duplicate', show(decideAlive(known('alive', MAX_U32), alive(MAX_U32), news({ firstHand: true }), rules)), 'ignore:duplicate'],
  ];
  for (const [what, got, want] of rows) t.equal(got, want, what);
});
