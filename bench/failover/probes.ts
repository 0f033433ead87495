// The client's requests as records, and the client-visible outage of one
// failure computed from them.

export interface ProbeRecord {
  /** Wall-clock ms when the request was started. */
  start: number;
  /** Wall-clock ms when it was answered or given up. */
  end: number;
  /** The node that answered, or undefined when the request failed. */
  servedBy: string | undefined;
  /** Why it failed ("timeout", "ECONNREFUSED", ...). */
  error: string | undefined;
}

/** Parses one line of client.ts output; undefined for anything else. */
export function parseProbeLine(line: string): ProbeRecord | undefined {
  const m = /^(\d+) (\d+) (\S+)$/.exec(line.trim());
  if (!m) return undefined;
  const result = m[3]!;
  const failed = result.startsWith('!');
  return { start: Number(m[1]), end: Number(m[2]), servedBy: failed ? undefined : result, error: failed ? result.slice(1) : undefined };
}

/** Collects records from a stream of client output chunks. */
export class ProbeLog {
  readonly records: ProbeRecord[] = [];
  private partial = '';

  push(chunk: string): void {
    const lines = (this.partial + chunk).split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) {
      const r = parseProbeLine(line);
      if (r) this.records.push(r);
    }
  }

  /** Records that ended at or after `since`. */
  since(since: number): ProbeRecord[] {
    // Records arrive in end order per request, near enough in time order to
    // search back from the tail.
    let i = this.records.length;
    while (i > 0 && this.records[i - 1]!.end >= since - 1_000) i--;
    return this.records.slice(i).filter((r) => r.end >= since);
  }

  /** True when the last `count` requests all succeeded and were all served by `node`. */
  steadyOn(node: string, count: number): boolean {
    if (this.records.length < count) return false;
    return this.records.slice(-count).every((r) => r.servedBy === node);
  }
}

export interface Outage {
  /** End of the last successful request before the failure (the outage starts there). */
  lastOkBefore: number;
  /** End of the first successful request after it. */
  firstOkAfter: number;
  /** firstOkAfter - lastOkBefore, ms. */
  ms: number;
  /** Requests that failed in between. */
  failed: number;
  /** Who served the first successful request after the failure. */
  servedBy: string;
}

/**
 * The outage of a failure caused at `failedAt`. Requests are taken in the
 * order they were started, from `slackMs` before the failure (a request in
 * flight at the failure may be the first to fail); the longest run of
 * consecutive failed requests is the outage (a lone request lost to a
 * hiccup elsewhere is not). It lasts from the end of the last success
 * started before the run to the end of the first success started after it.
 * Undefined while no success follows the run. A failure that no request
 * noticed is an outage of 0. Call it once every request started before the
 * first success has an outcome (their timeout has passed).
 */
export function outageAfter(records: readonly ProbeRecord[], failedAt: number, slackMs = 250): Outage | undefined {
  const window = records.filter((r) => r.start >= failedAt - slackMs).sort((a, b) => a.start - b.start);
  let run: ProbeRecord[] = [];
  let current: ProbeRecord[] = [];
  for (const r of window) {
    if (r.servedBy === undefined) {
      current.push(r);
      if (current.length > run.length) run = current;
    } else current = [];
  }
  if (run.length === 0) {
    const next = window.find((r) => r.servedBy !== undefined && r.end >= failedAt);
    return next ? { lastOkBefore: next.end, firstOkAfter: next.end, ms: 0, failed: 0, servedBy: next.servedBy! } : undefined;
  }
  const runStart = run[0]!.start;
  const runEnd = run[run.length - 1]!.start;
  let lastOkBefore = -Infinity;
  for (const r of records) if (r.servedBy !== undefined && r.start < runStart && r.end > lastOkBefore) lastOkBefore = r.end;
  let first: ProbeRecord | undefined;
  for (const r of window) if (r.servedBy !== undefined && r.start > runEnd && (!first || r.end < first.end)) first = r;
  if (!first || !Number.isFinite(lastOkBefore)) return undefined;
  return { lastOkBefore, firstOkAfter: first.end, ms: first.end - lastOkBefore, failed: run.length, servedBy: first.servedBy! };
}
