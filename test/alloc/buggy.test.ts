import t from 'tap';
import { buggyCount, isBuggyIPv4 } from '../../src/alloc/buggy.js';
import { parseIP, parseRange, type IP, type IPRange } from '../../src/net/index.js';

const r = (text: string): IPRange => {
  const p = parseRange(text);
  if (!p.ok) throw new Error(p.message);
  return p.range;
};

t.test('buggy .0/.255 counting is arithmetic', async (t) => {
  t.equal(buggyCount(r('198.51.100.0/24')), 2n);
  t.equal(buggyCount(r('198.51.100.1-198.51.100.254')), 0n);
  t.equal(buggyCount(r('198.51.100.255-198.51.101.0')), 2n);
  t.equal(buggyCount(r('10.0.0.0/8')), 2n * 65536n);
  t.equal(buggyCount(r('0.0.0.0/0')), 1n << 25n);
  t.equal(buggyCount(r('2001:db8::/120')), 0n, 'IPv6 has no buggy addresses');
});

t.test('buggy addresses are the IPv4 .0 and .255 ones', async (t) => {
  const buggy = (s: string): boolean => isBuggyIPv4(parseIP(s) as IP);
  t.same(['198.51.100.0', '198.51.100.255', '198.51.100.1', '198.51.100.254', '2001:db8::', '2001:db8::ff'].map(buggy), [true, true, false, false, false, false]);
});
