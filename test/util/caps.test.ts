import t from 'tap';
import { CAP_NET_ADMIN, CAP_NET_RAW, hasCapability } from '../../src/util/caps.js';

t.test('capabilities are read from the effective set', async (t) => {
  const status = (capEff: string): string => `Name:\tnode\nCapInh:\t0000000000000000\nCapEff:\t${capEff}\nCapBnd:\t000001ffffffffff\n`;
  t.ok(hasCapability(CAP_NET_RAW, status('0000000000002000')), 'bit 13 set');
  t.notOk(hasCapability(CAP_NET_ADMIN, status('0000000000002000')), 'bit 12 clear');
  t.ok(hasCapability(CAP_NET_ADMIN, status('000001ffffffffff')), 'root has all');
  t.notOk(hasCapability(CAP_NET_RAW, status('0000000000000000')), 'none');
  t.notOk(hasCapability(CAP_NET_RAW, 'garbage'), 'unreadable: false');
});
