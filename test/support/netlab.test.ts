import t from 'tap';
import { NetLab, netlabUnavailable, run } from './netlab.js';

const why = netlabUnavailable();

t.test('lab hosts on one bridge reach each other and teardown leaves nothing', { skip: why ?? false }, async (t) => {
  const lab = await NetLab.create('lab');
  try {
    await lab.host({ name: 'a', addrs: ['192.0.2.1/24', '2001:db8::1/64'], mac: '02:00:00:00:00:01' });
    await lab.host({ name: 'b', addrs: ['192.0.2.2/24', '2001:db8::2/64'] });
    const arp = await lab.exec('b', 'arping', ['-c', '1', '-w', '2', '-I', 'eth0', '192.0.2.1']);
    t.match(arp.stdout, /02:00:00:00:00:01/i, 'arping from b sees a\'s MAC');
    const nd = await lab.exec('b', 'ndisc6', ['-1', '-r', '3', '2001:db8::1', 'eth0']);
    t.match(nd.stdout, /02:00:00:00:00:01/i, 'ndisc6 from b sees a\'s MAC');
    const sleeper = lab.spawn('a', 'sleep', ['60']);
    await lab.kill(sleeper);
    t.not(sleeper.child.signalCode, null, 'killed by signal');
  } finally {
    await lab.destroy();
  }
  const { stdout } = await run('ip', ['netns', 'list']);
  t.notMatch(stdout, new RegExp(lab.prefix), 'no namespace of the lab is left');
});
