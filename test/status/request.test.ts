import t from 'tap';
import { parseAllowList, socketIP } from '../../src/status/access.js';
import { parseListen, statusListen } from '../../src/status/listen.js';
import { parseRequest } from '../../src/status/request.js';

t.test('requests: routes, formats, and every malformed one a 400 with the reason', async (t) => {
  const ok = (target: string, accept = ''): unknown => {
    const r = parseRequest('GET', target, accept);
    return r.ok ? r.route : r;
  };
  t.same(ok('/status'), { kind: 'status', format: 'json' });
  t.same(ok('/status/'), { kind: 'status', format: 'json' }, 'a trailing slash is the same path');
  t.same(ok('/status?format=text'), { kind: 'status', format: 'text' });
  t.same(ok('/status', 'text/plain'), { kind: 'status', format: 'text' });
  t.same(ok('/status', '*/*'), { kind: 'status', format: 'json' }, "curl's default gets JSON");
  t.same(ok('/status?format=json', 'text/plain'), { kind: 'status', format: 'json' }, 'the parameter wins over Accept');
  t.same(ok('/status/ip/2001%3Adb8%3A%3A1'), { kind: 'sub', prefix: 'ip', rest: '2001:db8::1', format: 'json' });
  t.same(ok('/status/ip/'), { kind: 'sub', prefix: 'ip', rest: '', format: 'json' });
  t.same(ok('/metrics'), { kind: 'metrics' });
  t.same(ok('/healthz'), { kind: 'healthz' });

  const refused: [string, string, number, RegExp][] = [
    ['GET', '/status/ip/%E0%A4%A', 400, /malformed %-escape/],
    ['GET', '/status/ip/%zz', 400, /malformed %-escape/],
    ['GET', '/%', 400, /malformed %-escape/],
    ['GET', '/status?format=xml', 400, /format="xml": expected json or text/],
    ['GET', '/status?format=text&format=json', 400, /more than once/],
    ['GET', '/status?verbose=1', 400, /unknown query parameter "verbose"/],
    ['GET', `/status?${'a'.repeat(5000)}=1`, 400, /unknown query parameter "a{80}"\.\.\. \(5000 characters\)/],
    ['GET', '//status', 400, /expected a path/],
    ['GET', 'http://example.com/status', 400, /expected a path/],
    ['GET', '*', 400, /expected a path/],
    ['GET', '/nope', 404, /try \/status/],
    ['GET', '/metrics/x', 404, /try \/status/],
    ['POST', '/status', 405, /only GET and HEAD/],
  ];
  for (const [method, target, code, message] of refused) {
    t.match(parseRequest(method, target), { ok: false, code, message }, `${method} ${target.slice(0, 40)}`);
  }
  t.ok(parseRequest('HEAD', '/status').ok, 'HEAD is served');
});

t.test('allow list: CIDRs, loopback and the host itself always pass', async (t) => {
  const allow = parseAllowList(['198.51.100.0/24', '2001:db8::/32']);
  t.ok(allow.admits('198.51.100.7', '192.0.2.11'));
  t.ok(allow.admits('::ffff:198.51.100.7', '::ffff:192.0.2.11'), 'an IPv4 peer of a dual-stack socket');
  t.ok(allow.admits('2001:db8::5', '2001:db8:1::1'));
  t.notOk(allow.admits('203.0.113.9', '192.0.2.11'));
  t.ok(allow.admits('127.0.0.1', '127.0.0.1'), 'loopback');
  t.ok(allow.admits('::1', '::1'), 'IPv6 loopback');
  t.ok(allow.admits('192.0.2.11', '192.0.2.11'), 'the kubelet probing the pod IP from the node');
  t.notOk(allow.admits(undefined, '192.0.2.11'), 'a socket already gone');
  t.ok(parseAllowList([]).admits('203.0.113.9', '192.0.2.11'), 'no list: every source');
  t.throws(() => parseAllowList(['192.0.2.1']), /--status-allow: "192.0.2.1" is not a CIDR/);
  t.throws(() => parseAllowList(['192.0.2.0/33'], 'statusAllow'), /statusAllow: .*prefix length "33"/);
  t.same(socketIP('::ffff:192.0.2.1'), { family: 4, value: 0xc0000201n });
});

t.test('listen addresses: the node address and loopback by default', async (t) => {
  t.same(statusListen(undefined, '192.0.2.11'), [{ host: '192.0.2.11', port: 7473 }, { host: '127.0.0.1', port: 7473 }]);
  t.same(statusListen(undefined, '127.0.0.1'), [{ host: '127.0.0.1', port: 7473 }], 'once when the node address is loopback');
  t.same(statusListen([{ host: '0.0.0.0', port: 9000 }], '192.0.2.11'), [{ host: '0.0.0.0', port: 9000 }], 'what was asked for');
  t.same(parseListen(['192.0.2.1', '[2001:db8::1]:9000', '192.0.2.1:7473'], '--status'), [{ host: '192.0.2.1', port: 7473 }, { host: '2001:db8::1', port: 9000 }]);
  t.throws(() => parseListen(['192.0.2.1:99999'], '--status'), /--status: .*out of range/);
});
