// YAML for configuration files that may be large or hostile. The yaml
// library checks map keys for duplicates by comparing each key with every
// earlier key of its map, so the time grows with the square of the keys,
// and a map that fills a file of a few MiB blocks the event loop (and so
// the gossip of a speaker reloading its file) for minutes. Here that check
// is off and duplicates are found with one set per map; each is reported
// as a DUPLICATE_KEY error with its line, as the library would.
import { isScalar, LineCounter, parseAllDocuments, visit, YAMLParseError, type Document } from 'yaml';

export function parseYamlDocuments(text: string): Document.Parsed[] {
  const lineCounter = new LineCounter();
  const parsed = parseAllDocuments(text, { uniqueKeys: false, lineCounter });
  const docs = Array.isArray(parsed) ? parsed : [];
  for (const doc of docs) {
    visit(doc, {
      Map(_, map) {
        const seen = new Set<unknown>();
        for (const pair of map.items) {
          // Complex keys (maps or lists as keys) are left to the consumers, which expect strings.
          if (!isScalar(pair.key)) continue;
          const k = pair.key.value;
          if (!seen.has(k)) {
            seen.add(k);
            continue;
          }
          const at = pair.key.range?.[0] ?? 0;
          const { line, col } = lineCounter.linePos(at);
          doc.errors.push(new YAMLParseError([at, at + 1], 'DUPLICATE_KEY', `Map keys must be unique: ${JSON.stringify(String(k)).slice(0, 80)} at line ${line}, column ${col}`));
        }
      },
    });
  }
  return docs;
}
