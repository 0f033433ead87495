// The fencing section of /status: the ready flag with its warm-up, and the
// quorum when it is on.
import t from 'tap';
import { fencingSection, fencingText } from '../../src/speaker/status.js';

t.test('the fencing section in text and JSON', async (t) => {
  t.equal(fencingText({ ready: true, failbackDelayMs: 0 }, undefined), 'fencing: ready (no failback delay)\nquorum: off');
  t.equal(fencingText({ ready: false, failbackDelayMs: 10_000, readyInMs: 4200 }, 'not counted yet'), 'fencing: not ready: warming up, ready in 5 s\nquorum: on, not counted yet');
  t.equal(
    fencingText({ ready: false, failbackDelayMs: 10_000 }, { live: 1, known: 3, majority: false, nextForget: undefined }),
    'fencing: not ready: waiting for a fresh view of the cluster, then a warm-up\nquorum: on, 1 of 3 known members alive: NO majority: taking over nothing new',
  );
  t.equal(fencingText({ ready: true, failbackDelayMs: 10_000 }, { live: 2, known: 3, majority: true, nextForget: 5 }), 'fencing: ready (failback delay 10000 ms)\nquorum: on, 2 of 3 known members alive: majority');
  const section = fencingSection(
    () => ({ ready: true, failbackDelayMs: 10_000 }),
    () => ({ live: 2, known: 3, majority: true, nextForget: undefined }),
  );
  t.equal(section.name, 'fencing');
  t.same(section.json(), { ready: true, failbackDelayMs: 10_000, quorum: { enabled: true, live: 2, known: 3, majority: true, nextForget: undefined } });
  t.same(fencingSection(() => ({ ready: true, failbackDelayMs: 0 }), () => undefined).json(), { ready: true, failbackDelayMs: 0, quorum: { enabled: false } });
});
