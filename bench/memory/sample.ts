// What bench/memory reads from a running process (resident memory comes
// from ../proc.ts): V8's heap from the process's own /metrics (prom-client's default
// metrics), and a least-squares trend over time.

const MiB = 1048576;

/** An unlabelled sample of a Prometheus text exposition; undefined when absent. */
export function metricValue(text: string, name: string): number | undefined {
  const m = new RegExp(`^${name} ([0-9.e+-]+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}

/** The sample of `name` whose only label is `label="value"`; undefined when absent. */
export function labelledMetricValue(text: string, name: string, label: string, value: string): number | undefined {
  const m = new RegExp(`^${name}\\{${label}="${value}"\\} ([0-9.e+-]+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}

export interface HeapReading {
  /** nodejs_heap_size_used_bytes: live objects and garbage not yet collected, MiB. */
  usedMiB: number;
  /** nodejs_heap_size_total_bytes: what V8 has committed, MiB. */
  totalMiB: number;
  /** nodejs_external_memory_bytes: memory outside the heap held by JS objects (Buffers), MiB. */
  externalMiB: number | undefined;
  /** nodejs_heap_space_size_total_bytes{space="code"}: committed for compiled machine code, MiB. */
  codeSpaceMiB?: number | undefined;
  /** nodejs_heap_space_size_total_bytes{space="old"}: committed for old objects (bytecode and deoptimization data among them), MiB. */
  oldSpaceMiB?: number | undefined;
}

/** GETs a status endpoint path; the body, or undefined when it does not answer within 5 s. */
export async function scrape(hostPort: string, path: string): Promise<string | undefined> {
  try {
    const res = await fetch(`http://${hostPort}${path}`, { signal: AbortSignal.timeout(5000), headers: { accept: path === '/status' ? 'application/json' : 'text/plain' } });
    return res.ok ? await res.text() : undefined;
  } catch {
    return undefined;
  }
}

export async function heapOf(hostPort: string): Promise<HeapReading | undefined> {
  const text = await scrape(hostPort, '/metrics');
  if (text === undefined) return undefined;
  const used = metricValue(text, 'nodejs_heap_size_used_bytes');
  const total = metricValue(text, 'nodejs_heap_size_total_bytes');
  return used === undefined || total === undefined ? undefined : {
    usedMiB: used / MiB,
    totalMiB: total / MiB,
    externalMiB: inMiB(metricValue(text, 'nodejs_external_memory_bytes')),
    codeSpaceMiB: inMiB(labelledMetricValue(text, 'nodejs_heap_space_size_total_bytes', 'space', 'code')),
    oldSpaceMiB: inMiB(labelledMetricValue(text, 'nodejs_heap_space_size_total_bytes', 'space', 'old')),
  };
}

function inMiB(bytes: number | undefined): number | undefined {
  return bytes === undefined ? undefined : bytes / MiB;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * Heap used after collection, approximated without --expose-gc (not in the
 * images): the lowest reading of a window. Each reading is taken at a random
 * point of V8's allocate-collect sawtooth; the lowest is the one nearest
 * after a collection, an upper bound of the live heap.
 */
export function heapFloor(readings: readonly HeapReading[]): number {
  return readings.length ? Math.min(...readings.map((r) => r.usedMiB)) : NaN;
}

/** Least-squares slope of y over x (units of y per unit of x); NaN below two points. */
export function slope(points: readonly { x: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return NaN;
  const mx = points.reduce((a, p) => a + p.x, 0) / n;
  const my = points.reduce((a, p) => a + p.y, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.x - mx) * (p.y - my);
    den += (p.x - mx) ** 2;
  }
  return den === 0 ? NaN : num / den;
}

export interface FullGc {
  /** Heap used before and after the collection, MiB (V8 prints MB of 2^20 bytes). */
  beforeMiB: number;
  afterMiB: number;
  /** Heap committed after it, MiB. */
  committedMiB: number;
  /**
   * V8 ran it to reduce memory ("Mark-Compact (reduce)"): its memory
   * reducer's, or one asked for by memory pressure (the heap release);
   * otherwise V8 ran it on its own, nearing its old-generation limit.
   */
  reducing: boolean;
  /** Its atomic pause on the main thread, ms (the first of V8's "x / y ms"); incremental steps before it are not counted. */
  pauseMs: number;
}

/**
 * A full collection (Mark-Compact) from a --trace-gc line, else undefined
 * (scavenges, other output). What a full collection leaves is the live heap:
 * heap used after GC, exactly, where heapFloor is an upper bound.
 *   [pid:0x...]  1234 ms: Mark-Compact 18.2 (20.1) -> 15.3 (20.5) MB, 12.3 / 0.0 ms  (...)
 */
export function parseFullGc(line: string): FullGc | undefined {
  const m = /: Mark-Compact( \(reduce\))? ([0-9.]+) \(([0-9.]+)\) -> ([0-9.]+) \(([0-9.]+)\) MB, ([0-9.]+) \//.exec(line);
  return m ? { beforeMiB: Number(m[2]), afterMiB: Number(m[4]), committedMiB: Number(m[5]), reducing: m[1] !== undefined, pauseMs: Number(m[6]) } : undefined;
}

/**
 * The live heap in a V8 heap snapshot (the JSON --heapsnapshot-signal
 * writes, taken after a full collection): the sum of every node's self
 * size, MiB.
 */
export function snapshotLiveMiB(snapshot: { snapshot: { meta: { node_fields: string[] } }; nodes: number[] }): number {
  const fields = snapshot.snapshot.meta.node_fields;
  const at = fields.indexOf('self_size');
  if (at < 0) throw new Error('heap snapshot: no self_size field');
  let bytes = 0;
  for (let i = at; i < snapshot.nodes.length; i += fields.length) bytes += snapshot.nodes[i]!;
  return bytes / MiB;
}

/** A V8 heap snapshot's JSON, as far as snapshotComposition reads it. */
export interface HeapSnapshotJson {
  snapshot: { meta: { node_fields: string[]; node_types: unknown[] } };
  nodes: number[];
  strings: string[];
}

/** Nodes of one group of a heap snapshot: their node type, total self size and number. */
export interface SnapshotGroup {
  type: string;
  bytes: number;
  count: number;
}

/** Node types whose names say what a node is (a constructor, a V8 internal kind); strings and numbers are grouped by type alone. */
const NAMED_TYPES = new Set(['object', 'closure', 'native', 'hidden', 'code', 'array', 'object shape', 'synthetic']);

/**
 * What a heap snapshot holds, in bytes and nodes per group: a group is a
 * node type ("code", "string", ...) and, for the types in NAMED_TYPES, the
 * node's name ("object Timeout", "code (code deopt data)"). Comparing two
 * snapshots of one process by group tells V8's compiled code from the
 * program's own data.
 */
export function snapshotComposition(snapshot: HeapSnapshotJson): Map<string, SnapshotGroup> {
  const fields = snapshot.snapshot.meta.node_fields;
  const types = snapshot.snapshot.meta.node_types[0];
  const [ti, ni, si] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f));
  if (ti! < 0 || ni! < 0 || si! < 0 || !Array.isArray(types)) throw new Error('heap snapshot: expected type, name and self_size node fields and a list of node types');
  const out = new Map<string, SnapshotGroup>();
  for (let i = 0; i < snapshot.nodes.length; i += fields.length) {
    const type = String(types[snapshot.nodes[i + ti!]!]);
    const name = NAMED_TYPES.has(type) ? snapshot.strings[snapshot.nodes[i + ni!]!] ?? '' : '';
    // Compiled functions are named after their function: one group for all of them.
    const key = name === '' || (type === 'code' && name.startsWith('(code for ')) ? type : `${type} ${name.slice(0, 60)}`;
    const g = out.get(key) ?? { type, bytes: 0, count: 0 };
    g.bytes += snapshot.nodes[i + si!]!;
    g.count++;
    out.set(key, g);
  }
  return out;
}
