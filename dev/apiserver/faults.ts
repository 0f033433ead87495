// Fault injection for tests of retry and backoff paths: fail the next N
// requests that match a verb and resource with a given code, or hold them
// back for a while before they are served. Matching uses the names RBAC
// uses: verbs get/list/watch/create/update/patch/delete/deletecollection,
// resources "services", "services/status", "ipaddresspools.metallb.io".

import { ApiError, reasonForCode } from './api-errors.js';

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

export interface RequestTarget {
  verb: Verb;
  /** Plural, with "/status" for the status subresource. */
  resource: string;
  group: string;
}

export interface FailRule {
  verb?: Verb | '*';
  /** "services", "services/status", "ipaddresspools.metallb.io" or "*". */
  resource?: string;
  /** How many matching requests fail; default 1. */
  count?: number;
  code: number;
  reason?: string;
  message?: string;
  /** Sent as Retry-After and details.retryAfterSeconds (429 and 503 usually carry it). */
  retryAfterSeconds?: number;
}

export interface DelayRule {
  verb?: Verb | '*';
  resource?: string;
  ms: number;
  /** How many matching requests are delayed; default: all until cleared. */
  count?: number;
}

interface Counted<T> {
  rule: T;
  left: number;
}

function matches(rule: { verb?: string; resource?: string }, t: RequestTarget): boolean {
  if (rule.verb !== undefined && rule.verb !== '*' && rule.verb !== t.verb) return false;
  const r = rule.resource;
  if (r === undefined || r === '*') return true;
  const [plural, sub] = t.resource.split('/');
  const qualified = t.group === '' ? t.resource : `${plural}.${t.group}${sub ? '/' + sub : ''}`;
  return r === t.resource || r === qualified;
}

export class FaultInjector {
  private fails: Counted<FailRule>[] = [];
  private delays: Counted<DelayRule>[] = [];
  private failed = 0;

  /** Fail the next `count` matching requests with `code`; rules are consumed in the order added. */
  failNext(rule: FailRule): void {
    if (!Number.isInteger(rule.code) || rule.code < 400 || rule.code > 599) {
      throw new Error(`failNext: code must be an HTTP error code (400-599), got ${rule.code}`);
    }
    this.fails.push({ rule, left: rule.count ?? 1 });
  }

  /** Hold matching requests back `ms` before serving them. */
  delay(rule: DelayRule): void {
    if (!(rule.ms >= 0)) throw new Error(`delay: ms must be >= 0, got ${rule.ms}`);
    this.delays.push({ rule, left: rule.count ?? Infinity });
  }

  clear(): void {
    this.fails = [];
    this.delays = [];
  }

  /** How many requests were failed on purpose so far. */
  get injectedFailures(): number {
    return this.failed;
  }

  /** Rules still waiting to fire (tests assert a fault was really consumed). */
  get pendingFailures(): number {
    return this.fails.reduce((n, f) => n + f.left, 0);
  }

  /** The error to answer this request with, if a rule says so (consuming one count). */
  takeFailure(t: RequestTarget): ApiError | undefined {
    const f = this.fails.find((x) => x.left > 0 && matches(x.rule, t));
    if (!f) return undefined;
    f.left--;
    this.fails = this.fails.filter((x) => x.left > 0);
    this.failed++;
    const { rule } = f;
    const details = rule.retryAfterSeconds !== undefined ? { retryAfterSeconds: rule.retryAfterSeconds } : undefined;
    return new ApiError(
      rule.code,
      (rule.reason ?? reasonForCode(rule.code)) as ReturnType<typeof reasonForCode>,
      rule.message ?? `injected fault: ${t.verb} ${t.resource} answered ${rule.code}`,
      details,
    );
  }

  /** Milliseconds to hold this request back (consuming one count of the first matching rule). */
  takeDelay(t: RequestTarget): number {
    const d = this.delays.find((x) => x.left > 0 && matches(x.rule, t));
    if (!d) return 0;
    d.left--;
    this.delays = this.delays.filter((x) => x.left > 0);
    return d.rule.ms;
  }
}
