import t from 'tap';
import { DEFAULT_EXCLUDED_INTERFACES } from '../../src/announce/l2/interfaces.js';
import { ExcludeL2List, parseExcludeL2 } from '../../src/speaker/exclude-l2.js';

const where = 'ConfigMap metallb-system/metallb-excludel2';
const cm = (yaml: string) => ({ 'excludel2.yaml': yaml });

t.test("the default list is MetalLB's, Cilium's lxc interfaces included", async (t) => {
  t.ok(DEFAULT_EXCLUDED_INTERFACES.some((re) => re.test('lxc12ab')), 'lxc*');
  t.ok(DEFAULT_EXCLUDED_INTERFACES.some((re) => re.test('lxcbr0')));
  t.notOk(DEFAULT_EXCLUDED_INTERFACES.some((re) => re.test('eth0')));
  t.same(parseExcludeL2(undefined, where), { ok: true, patterns: DEFAULT_EXCLUDED_INTERFACES }, 'no ConfigMap: the default');
});

t.test('a list in MetalLB format applies; an empty one excludes nothing', async (t) => {
  const r = parseExcludeL2(cm('announcedInterfacesToExclude: ["^docker.*", "^lo$", "^lxc.*"]'), where);
  t.ok(r.ok);
  t.same(r.ok && r.patterns.map((p) => p.source), ['^docker.*', '^lo$', '^lxc.*']);
  t.same(parseExcludeL2(cm('announcedInterfacesToExclude: []'), where), { ok: true, patterns: [] });
});

t.test('bad entries are refused with their paths; the last good list stays', async (t) => {
  const r = parseExcludeL2(cm('announcedInterfacesToExclude: ["^eth[", "^ok$", 7]'), where);
  t.same(r.ok ? [] : r.errors.map((e) => e.path), [
    'ConfigMap metallb-system/metallb-excludel2 data["excludel2.yaml"].announcedInterfacesToExclude[0]',
    'ConfigMap metallb-system/metallb-excludel2 data["excludel2.yaml"].announcedInterfacesToExclude[2]',
  ]);
  t.match(r.ok ? '' : r.errors[0]!.message, /bad regular expression "\^eth\["/);
  t.match(parseExcludeL2(cm('announcedInterfacesToExclude: "^eth0"'), where), { ok: false, errors: [{ message: /list of regular expressions/ }] });
  t.match(parseExcludeL2(cm(': : :'), where), { ok: false, errors: [{ path: /data\["excludel2\.yaml"\]$/, message: /not YAML/ }] });

  const list = new ExcludeL2List();
  t.same(list.offer(cm('announcedInterfacesToExclude: ["^cali.*"]'), where), { kind: 'applied', patterns: [/^cali.*/] });
  t.match(list.offer(cm('announcedInterfacesToExclude: ["("]'), where), { kind: 'refused' });
  t.same(list.patterns.map((p) => p.source), ['^cali.*'], 'kept');
  t.same(list.offer(cm('announcedInterfacesToExclude: ["("]'), where), { kind: 'unchanged' }, 'the same refusal is reported once');
  t.same(list.offer(cm('announcedInterfacesToExclude: ["^cali.*"]'), where), { kind: 'unchanged' });
  t.match(list.offer(undefined, where), { kind: 'applied', patterns: DEFAULT_EXCLUDED_INTERFACES }, 'ConfigMap deleted: the default');
});
