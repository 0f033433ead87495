import t from 'tap';
import { AnnounceFailures } from '../../src/speaker/announce-failures.js';

t.test('announceFailed: once when an address finds no interface, again only after it recovered and failed anew', async (t) => {
  const f = new AnnounceFailures();
  const ok = { ip: '192.0.2.1', requested: 'default' as const, announcedOn: ['eth0'] };
  const none = { ip: '192.0.2.2', requested: 'default' as const, announcedOn: [] };
  const named = { ip: '192.0.2.3', requested: ['eth9'], announcedOn: [] };
  const first = f.update('node-a', [ok, none, named]);
  t.same(first.map((x) => x.ip), ['192.0.2.2', '192.0.2.3']);
  t.match(first[0]!.message, /^cannot announce 192\.0\.2\.2 from node "node-a" with protocol "layer2": no interface qualifies/);
  t.match(first[1]!.message, /names \(eth9\)/);
  t.same(f.update('node-a', [ok, none, named]), [], 'still failing: not repeated');
  t.same(f.update('node-a', [ok, { ...none, announcedOn: ['eth1'] }, named]), [], 'recovered');
  t.same(f.update('node-a', [ok, none]).map((x) => x.ip), ['192.0.2.2'], 'failed anew');
});
