// The last known membership and the majority, as tables: who counts, who is
// forgotten and when, and the floor the seeds give a member that has just
// started.
import t from 'tap';
import type { MemberState } from '../../src/cluster/messages.js';
import { emptyQuorumMemory, observeQuorum, QUORUM_FORGET_MS, type QuorumCount, type QuorumMemory } from '../../src/speaker/quorum.js';

type View = Record<string, MemberState>;

/** Feeds views in order at the given times; returns the count after each. */
function run(steps: { at: number; view: View; expected?: number; forget?: number }[]): QuorumCount[] {
  let memory: QuorumMemory = emptyQuorumMemory;
  const out: QuorumCount[] = [];
  for (const s of steps) {
    const members = Object.entries({ me: 'alive' as MemberState, ...s.view }).map(([name, state]) => ({ name, state }));
    const r = observeQuorum(memory, { members, self: 'me', now: s.at, expected: s.expected ?? 0, ...(s.forget !== undefined ? { forgetAfterMs: s.forget } : {}) });
    memory = r.memory;
    out.push(r.count);
  }
  return out;
}

const brief = (c: QuorumCount): string => `${c.live}/${c.known} ${c.majority ? 'majority' : 'minority'}`;

t.test('who counts in the last known membership', async (t) => {
  const cases: [string, { at: number; view: View; expected?: number }[], string[]][] = [
    ['alone by configuration', [{ at: 0, view: {} }], ['1/1 majority']],
    ['three alive', [{ at: 0, view: { b: 'alive', c: 'alive' } }], ['3/3 majority']],
    ['a suspect counts as alive', [{ at: 0, view: { b: 'suspect', c: 'alive' } }], ['3/3 majority']],
    [
      'one of three dead: still a majority',
      [
        { at: 0, view: { b: 'alive', c: 'alive' } },
        { at: 10, view: { b: 'alive', c: 'dead' } },
      ],
      ['3/3 majority', '2/3 majority'],
    ],
    [
      'two of three dead (or this one cut off): a minority',
      [
        { at: 0, view: { b: 'alive', c: 'alive' } },
        { at: 10, view: { b: 'dead', c: 'dead' } },
      ],
      ['3/3 majority', '1/3 minority'],
    ],
    [
      'a member gone from the gossip table still counts',
      [
        { at: 0, view: { b: 'alive', c: 'alive' } },
        { at: 10, view: {} },
      ],
      ['3/3 majority', '1/3 minority'],
    ],
    [
      'a graceful leave shrinks the membership at once',
      [
        { at: 0, view: { b: 'alive', c: 'alive' } },
        { at: 10, view: { b: 'left', c: 'left' } },
      ],
      ['3/3 majority', '1/1 majority'],
    ],
    [
      'left, then gone from the table: stays forgotten',
      [
        { at: 0, view: { b: 'alive', c: 'alive' } },
        { at: 10, view: { b: 'left', c: 'alive' } },
        { at: 20, view: { c: 'alive' } },
      ],
      ['3/3 majority', '2/2 majority', '2/2 majority'],
    ],
    ['a member only ever heard of as dead never counts', [{ at: 0, view: { b: 'alive', c: 'dead', d: 'dead' } }], ['2/2 majority']],
    [
      'two of four: not a majority',
      [
        { at: 0, view: { b: 'alive', c: 'alive', d: 'alive' } },
        { at: 10, view: { b: 'alive', c: 'dead', d: 'dead' } },
      ],
      ['4/4 majority', '2/4 minority'],
    ],
    [
      'one of two: not a majority either',
      [
        { at: 0, view: { b: 'alive' } },
        { at: 10, view: { b: 'dead' } },
      ],
      ['2/2 majority', '1/2 minority'],
    ],
    [
      'back alive: counted live again',
      [
        { at: 0, view: { b: 'alive', c: 'alive' } },
        { at: 10, view: { b: 'dead', c: 'dead' } },
        { at: 20, view: { b: 'alive', c: 'dead' } },
      ],
      ['3/3 majority', '1/3 minority', '2/3 majority'],
    ],
    ['just started, seeds but nobody heard: the seeds are the floor', [{ at: 0, view: {}, expected: 2 }], ['1/3 minority']],
    ['just started, one seed answered', [{ at: 0, view: { b: 'alive' }, expected: 2 }], ['2/3 majority']],
    ['more members than seeds: the members count', [{ at: 0, view: { b: 'alive', c: 'alive', d: 'alive', e: 'dead' }, expected: 1 }], ['4/4 majority']],
  ];
  for (const [name, steps, want] of cases) t.same(run(steps).map(brief), want, name);
});

t.test('a lost member is forgotten after the bound, and the count says when', async (t) => {
  const counts = run([
    { at: 0, view: { b: 'alive', c: 'alive' } },
    { at: 1000, view: { b: 'dead', c: 'alive' } },
    { at: 2000, view: { b: 'dead', c: 'dead' } },
    { at: 1000 + QUORUM_FORGET_MS - 1, view: { b: 'dead', c: 'dead' } },
    { at: 1000 + QUORUM_FORGET_MS, view: { c: 'dead' } },
    { at: 2000 + QUORUM_FORGET_MS, view: { c: 'dead' } },
  ]);
  t.same(counts.map(brief), ['3/3 majority', '2/3 majority', '1/3 minority', '1/3 minority', '1/2 minority', '1/1 majority']);
  t.same(
    counts.map((c) => c.nextForget),
    [undefined, 1000 + QUORUM_FORGET_MS, 1000 + QUORUM_FORGET_MS, 1000 + QUORUM_FORGET_MS, 2000 + QUORUM_FORGET_MS, undefined],
    'the loss time is when it was first seen lost, not refreshed by later views',
  );
  const short = run([
    { at: 0, view: { b: 'alive' } },
    { at: 10, view: { b: 'dead' }, forget: 100 },
    { at: 110, view: { b: 'dead' }, forget: 100 },
  ]);
  t.same(short.map(brief), ['2/2 majority', '1/2 minority', '1/1 majority'], 'the bound is a parameter');
});

t.test('the seed floor lapses after the forget bound, as a lost member would', async (t) => {
  const counts = run([
    { at: 0, view: {}, expected: 2, forget: 1000 },
    { at: 999, view: {}, expected: 2, forget: 1000 },
    { at: 1000, view: {}, expected: 2, forget: 1000 },
  ]);
  t.same(counts.map(brief), ['1/3 minority', '1/3 minority', '1/1 majority']);
  t.same(counts.map((c) => c.nextForget), [1000, 1000, undefined], 'the count says when it lapses');
});

t.test('a name listed twice counts once, by its liveliest state', async (t) => {
  const members = [
    { name: 'me', state: 'alive' as const },
    { name: 'b', state: 'dead' as const },
    { name: 'b', state: 'alive' as const },
    { name: 'c', state: 'alive' as const },
  ];
  const a = observeQuorum(emptyQuorumMemory, { members, self: 'me', now: 0, expected: 0 });
  const b = observeQuorum(emptyQuorumMemory, { members: [...members].reverse(), self: 'me', now: 0, expected: 0 });
  t.same(a.count, b.count);
  t.equal(brief(a.count), '3/3 majority');
});
