import t from 'tap';
import { decodeNotificationBody, decodeShutdownCommunication, describeNotification, encodeNotification, shutdownCommunication } from '../../../src/bgp/messages/notification.js';
import { decodeRouteRefreshBody, encodeRouteRefresh } from '../../../src/bgp/messages/route-refresh.js';
import { describeError } from '../../../src/bgp/messages/notification-codes.js';
import { encodeKeepalive } from '../../../src/bgp/messages/keepalive.js';
import { unwrap } from '../../support/decoded.js';

const MARKER = 'ffffffffffffffffffffffffffffffff';

t.test('NOTIFICATION with an RFC 9003 shutdown communication', async (t) => {
  const data = shutdownCommunication('node drained');
  const wire = encodeNotification({ code: 6, subcode: 2, data });
  t.equal(wire.toString('hex'), `${MARKER}0022030602` + '0c' + Buffer.from('node drained').toString('hex'));
  const m = unwrap(decodeNotificationBody(wire.subarray(19)));
  t.same(m, { type: 'notification', code: 6, subcode: 2, data });
  t.equal(describeNotification(m), 'Cease / Administrative Shutdown: node drained');
  t.equal(decodeShutdownCommunication({ code: 6, subcode: 2, data: Buffer.from([5, 0x61]) }), undefined, 'length that does not match is not a communication');
  t.equal(decodeShutdownCommunication({ code: 6, subcode: 3, data }), undefined, 'only subcodes 2 and 4 carry one');
  const long = shutdownCommunication('é'.repeat(200));
  t.equal(long[0], 254, 'cut at 255 bytes on a character boundary');
  t.equal(decodeShutdownCommunication({ code: 6, subcode: 4, data: long }), 'é'.repeat(127));
});

t.test('error code and subcode names', async (t) => {
  t.equal(describeError(4, 0), 'Hold Timer Expired / Unspecific');
  t.equal(describeError(2, 6), 'OPEN Message Error / Unacceptable Hold Time');
  t.equal(describeError(3, 11), 'UPDATE Message Error / Malformed AS_PATH');
  t.equal(describeError(6, 10), 'Cease / BFD Down');
  t.equal(describeError(9, 1), 'Unknown error code 9 / Unknown subcode 1');
});

t.test('ROUTE-REFRESH and KEEPALIVE bytes', async (t) => {
  t.equal(encodeKeepalive().toString('hex'), `${MARKER}001304`);
  const rr = encodeRouteRefresh({ afi: 2, safi: 1 });
  t.equal(rr.toString('hex'), `${MARKER}00170500020001`);
  t.same(unwrap(decodeRouteRefreshBody(rr.subarray(19), rr)), { type: 'route-refresh', afi: 2, subtype: 0, safi: 1 });
});
