import t from 'tap';
import { parseYamlDocuments } from '../../src/config/yaml.js';

t.test('duplicate keys are errors with their line, found in one pass per map', async (t) => {
  const [doc] = parseYamlDocuments('a: 1\nb:\n  x: 1\n  x: 2\na: 3\n');
  t.same(doc?.errors.map((e) => [e.code, e.message]), [
    ['DUPLICATE_KEY', 'Map keys must be unique: "a" at line 5, column 1'],
    ['DUPLICATE_KEY', 'Map keys must be unique: "x" at line 4, column 3'],
  ]);
  t.same(parseYamlDocuments('{1: a, "1": b}')[0]?.errors, [], 'the number 1 and the string "1" are different keys');
  t.same(parseYamlDocuments('a: 1\n---\na: 2\n').map((d) => d.errors.length), [0, 0], 'each document on its own');
  t.same(parseYamlDocuments(''), [], 'nothing: no document');
  t.match(parseYamlDocuments('a: [1\n')[0]?.errors[0]?.message, /Flow sequence .* at line 2, column 1/, 'syntax errors as the library reports them');
});

t.test('a map of 50,000 keys parses (the quadratic check took minutes at this size)', async (t) => {
  const [doc] = parseYamlDocuments(Array.from({ length: 50_000 }, (_, i) => `k${i}: v`).join('\n') + '\nk7: again\n');
  t.equal(doc?.errors.length, 1);
  t.match(doc?.errors[0]?.message, /"k7" at line 50001/);
  t.equal(Object.keys(doc?.toJS() as object).length, 50_000);
});
