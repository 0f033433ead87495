import t from 'tap';
import { VirtualClock } from '../../src/util/clock.js';
import { createLogger } from '../../src/util/log.js';
import { BATCH_LOG_FIRST } from '../../src/util/log-batch.js';
import { SpellLog } from '../../src/util/log-spell.js';

function capture(level: 'debug' | 'info'): { lines: Record<string, unknown>[]; clock: VirtualClock; spell: SpellLog } {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({ level, sink: (l) => lines.push(JSON.parse(l) as Record<string, unknown>), now: () => new Date(0) });
  const clock = new VirtualClock();
  return { lines, clock, spell: new SpellLog(log, 'warn', 'claimed', clock, 1000) };
}

const ip = (i: number): string => `2001:db8::${i.toString(16)}`;

t.test('a flood of 5,000 logs the first at once and one summary a window, not a line each', async (t) => {
  const { lines, clock, spell } = capture('info');
  for (let i = 0; i < 3000; i++) spell.add(ip(i), { ip: ip(i), mac: '02:00:00:00:00:02' });
  t.equal(lines.length, 1, 'the first at once');
  t.match(lines[0], { level: 'warn', msg: 'claimed', ip: ip(0), mac: '02:00:00:00:00:02' });
  clock.advance(1000);
  t.equal(lines.length, 2);
  t.match(lines[1], { level: 'warn', msg: 'claimed', more: 2999, windowMs: 1000 });
  t.same(lines[1]!['addresses'], [1, 2, 3, 4, 5].slice(0, BATCH_LOG_FIRST).map(ip));
  for (let i = 3000; i < 5000; i++) spell.add(ip(i), { ip: ip(i) });
  t.equal(lines.length, 2, 'the flood goes on inside the next window');
  clock.advance(1000);
  t.match(lines[2], { more: 2000, addresses: [ip(3000)] });
  clock.advance(1000);
  t.equal(lines.length, 3, 'a quiet window ends the spell without a line');
  spell.add(ip(9), { ip: ip(9) });
  t.match(lines[3], { level: 'warn', ip: ip(9) }, 'the next spell starts with a full line');
  t.equal(clock.pending, 1);
  spell.close();
  t.equal(clock.pending, 0, 'close stops the timer');
});

t.test('each item after the first is at debug; close logs what the window gathered', async (t) => {
  const { lines, clock, spell } = capture('debug');
  spell.add(ip(1), { ip: ip(1) });
  spell.add(ip(2), { ip: ip(2) });
  t.match(lines, [{ level: 'warn', ip: ip(1) }, { level: 'debug', ip: ip(2) }]);
  spell.close();
  t.match(lines[2], { level: 'warn', more: 1, addresses: [ip(2)] });
  clock.advance(5000);
  t.equal(lines.length, 3);
});
