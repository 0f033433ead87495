// Where a V8 heap snapshot's memory goes, by kind of object: count and
// self size per constructor (objects), per node type otherwise (arrays,
// strings, numbers, bigints, closures, code...). Given a second snapshot,
// prints the difference, largest first: run the speaker-memory bench with
// --heap-snapshot, then compare its 1-VIP and N-VIP snapshots to see what
// each address costs.
//
//   node dist/bench/speaker-memory/heap-classes.js A.heapsnapshot [B.heapsnapshot] [--top 40] [--by-retainer]
//
// --by-retainer splits each kind by what first holds it ("IpState.plan"),
// which names the owner of plain objects and arrays.

import { readFileSync } from 'node:fs';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]]; edge_fields: string[]; edge_types: [string[], ...unknown[]] } };
  nodes: number[];
  edges: number[];
  strings: string[];
}

interface Kind {
  count: number;
  bytes: number;
}

/** Node types whose name says what the object is (a constructor, a closure's function). */
const NAMED = new Set(['object', 'closure', 'native', 'hidden']);

/**
 * Per node, what first holds it: "Owner.property" (or "Owner[]" for an
 * element), so that arrays and plain objects say whose they are.
 */
function retainers(snap: Snapshot, kindOf: (node: number) => string): string[] {
  const { node_fields: nf, edge_fields: ef, edge_types: et } = snap.snapshot.meta;
  const width = nf.length;
  const edgeWidth = ef.length;
  const countAt = nf.indexOf('edge_count');
  const typeAt = ef.indexOf('type');
  const nameAt = ef.indexOf('name_or_index');
  const toAt = ef.indexOf('to_node');
  const out: string[] = [];
  let e = 0;
  for (let n = 0; n < snap.nodes.length; n += width) {
    const count = snap.nodes[n + countAt]!;
    for (let k = 0; k < count; k++, e += edgeWidth) {
      const to = snap.edges[e + toAt]! / width;
      if (out[to] !== undefined) continue;
      const type = et[0][snap.edges[e + typeAt]!]!;
      if (type === 'weak' || type === 'shortcut') continue;
      const name = type === 'element' || type === 'hidden' ? '[]' : `.${String(snap.strings[snap.edges[e + nameAt]!]).slice(0, 40)}`;
      out[to] = `${kindOf(n)}${name}`;
    }
  }
  return out;
}

function classes(path: string, byRetainer: boolean): Map<string, Kind> {
  const snap = JSON.parse(readFileSync(path, 'utf8')) as Snapshot;
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const kindOf = (i: number): string => {
    const type = types[snap.nodes[i + typeAt]!]!;
    return NAMED.has(type) ? `${type} ${snap.strings[snap.nodes[i + nameAt]!]!.slice(0, 60)}` : type;
  };
  const held = byRetainer ? retainers(snap, kindOf) : [];
  const out = new Map<string, Kind>();
  for (let i = 0; i < snap.nodes.length; i += width) {
    const key = byRetainer ? `${kindOf(i)} <- ${held[i / width] ?? '(root)'}` : kindOf(i);
    let k = out.get(key);
    if (!k) out.set(key, (k = { count: 0, bytes: 0 }));
    k.count++;
    k.bytes += snap.nodes[i + sizeAt]!;
  }
  return out;
}

function main(): void {
  const files = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && all[i - 1] !== '--top');
  const byRetainer = process.argv.includes('--by-retainer');
  const topAt = process.argv.indexOf('--top');
  const top = topAt >= 0 ? Number(process.argv[topAt + 1]) : 40;
  if (files.length < 1 || files.length > 2) throw new Error('usage: heap-classes A.heapsnapshot [B.heapsnapshot] [--top N]');
  const a = classes(files[0]!, byRetainer);
  const b = files[1] ? classes(files[1], byRetainer) : undefined;
  const rows = [...new Set([...a.keys(), ...(b?.keys() ?? [])])].map((key) => {
    const x = a.get(key) ?? { count: 0, bytes: 0 };
    const y = b?.get(key);
    return y ? { key, count: y.count - x.count, bytes: y.bytes - x.bytes } : { key, ...x };
  });
  rows.sort((p, q) => Math.abs(q.bytes) - Math.abs(p.bytes));
  const total = rows.reduce((s, r) => s + r.bytes, 0);
  console.log(`${b ? 'difference B - A' : 'snapshot'}: ${(total / 1048576).toFixed(1)} MiB in all`);
  console.log('       count        KiB  kind');
  for (const r of rows.slice(0, top)) console.log(`${String(r.count).padStart(12)} ${(r.bytes / 1024).toFixed(0).padStart(10)}  ${r.key}`);
}

main();
