// Kubernetes mode's fencing flags: --failback-delay takes whole milliseconds
// in range and names itself when it refuses one.
import t from 'tap';
import { failbackDelayMs } from '../../src/cli/speaker.js';

t.test('--failback-delay', async (t) => {
  t.equal(failbackDelayMs('10000'), 10_000);
  t.equal(failbackDelayMs('0'), 0, '0: ready at once');
  for (const bad of ['', ' ', '-1', '1.5', 'ten', '3600001', 'Infinity']) {
    t.throws(() => failbackDelayMs(bad), { message: /^--failback-delay .*: expected whole milliseconds from 0 to 3600000$/ }, JSON.stringify(bad));
  }
});
