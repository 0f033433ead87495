// Go duration strings ("90s", "1m30s", "1.5h", "300ms"), the format of
// metav1.Duration fields and of the legacy hold-time/keepalive-time keys.
// Parsed exactly as Go's time.ParseDuration accepts them, no more: a bare
// number other than "0" has no unit and is refused, as are spaces and
// unknown units. Results are milliseconds (fractions kept).

const UNIT_NS: Readonly<Record<string, bigint>> = {
  ns: 1n,
  us: 1_000n,
  'µs': 1_000n, // U+00B5 micro sign
  'μs': 1_000n, // U+03BC Greek mu
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

const MAX_NS = (1n << 63n) - 1n;
const COMPONENT = /^([0-9]*)(?:\.([0-9]*))?([^0-9.]+)/;

export type DurationParse = { ok: true; ms: number } | { ok: false; reason: string };

export function parseGoDuration(text: string): DurationParse {
  const bad = (why: string): DurationParse => ({ ok: false, reason: `${JSON.stringify(text)} is not a duration: ${why}` });
  let s = text;
  let negative = false;
  if (s.startsWith('-') || s.startsWith('+')) {
    negative = s.startsWith('-');
    s = s.slice(1);
  }
  if (s === '0') return { ok: true, ms: 0 };
  if (s === '') return bad('empty (write e.g. "90s" or "1m30s")');
  // Work in nanoseconds scaled by 10^9 so fractional digits stay exact.
  let totalNs = 0n;
  while (s !== '') {
    const m = COMPONENT.exec(s);
    if (!m) return bad('expected a number followed by a unit (ns, us, ms, s, m, h)');
    const whole = m[1] ?? '';
    const frac = m[2] ?? '';
    const unit = m[3] ?? '';
    if (whole === '' && frac === '') return bad('a unit without a number');
    const scale = UNIT_NS[unit];
    if (scale === undefined) return bad(`unknown unit ${JSON.stringify(unit)} (use ns, us, ms, s, m, h)`);
    const fracScale = 10n ** BigInt(frac.length);
    const fracNs = frac === '' ? 0n : (BigInt(frac) * scale) / fracScale;
    totalNs += BigInt(whole === '' ? '0' : whole) * scale + fracNs;
    if (totalNs > MAX_NS) return bad('out of range');
    s = s.slice(m[0].length);
  }
  const ms = Number(totalNs) / 1e6;
  return { ok: true, ms: negative ? -ms : ms };
}

/** Milliseconds as the shortest Go duration string ("1m30s", "500ms"); integral ms only. */
export function formatGoDuration(ms: number): string {
  if (ms === 0) return '0s';
  const sign = ms < 0 ? '-' : '';
  let rest = Math.abs(Math.round(ms));
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const m = Math.floor(rest / 60_000);
  rest -= m * 60_000;
  const s = Math.floor(rest / 1000);
  const milli = rest - s * 1000;
  let out = '';
  if (h) out += `${h}h`;
  if (m) out += `${m}m`;
  if (s) out += `${s}s`;
  if (milli) out += `${milli}ms`;
  return sign + out;
}
