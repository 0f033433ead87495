import fc from 'fast-check';
import t from 'tap';

import { formatMac, parseMac } from '../../../src/announce/l2/mac.js';

t.test('MAC text round trip and refusal of malformed text', async (t) => {
  t.equal(formatMac(parseMac('02:AB:cd:00:00:ff')), '02:ab:cd:00:00:ff');
  for (const bad of ['02:ab:cd:00:00', '02-ab-cd-00-00-ff', '02:ab:cd:00:00:ff:00', 'zz:ab:cd:00:00:ff', '02:ab:cd:00:00:fg', '02:ab:cd:00:00f:f', '']) {
    t.throws(() => parseMac(bad), { name: 'TypeError', message: /not a MAC address/ }, bad);
  }
  fc.assert(fc.property(fc.uint8Array({ minLength: 6, maxLength: 6 }), (b) => parseMac(formatMac(Buffer.from(b))).equals(Buffer.from(b))));
});
