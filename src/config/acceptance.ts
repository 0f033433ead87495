// The bookkeeping around ConfigStore that the controller and the speaker
// both need: which configuration is in force, since when and from where,
// whether it is stale (the latest candidate was refused, or every
// configuration object went away), and what was last refused. A candidate
// that repeats the last refusal or absence is reported once, so a component
// that re-reads its sources on every watch event logs, counts and raises
// Events per distinct problem, not per event. What to say about each verdict
// is the caller's business; this module decides which verdict it is.

import { configToJSON } from './serialize.js';
import { ConfigStore } from './store.js';
import type { Config, ConfigError, ParseResult } from './model.js';

/** Metric hooks; prom-client's Gauge and Counter fit. */
export interface AcceptanceMetrics {
  /** 1 while an older configuration runs because the latest was refused or went away. */
  readonly stale?: { set(value: number): void };
  /** 1 once a configuration is in force. */
  readonly loaded?: { set(value: number): void };
  /** Distinct refusals. */
  readonly refused?: { inc(): void };
  /** Configurations that came into force (a changed one each time). */
  readonly applied?: { inc(): void };
}

export type Acceptance<Source extends string = string> =
  /** A configuration other than the one in force (or the first) is now in force. */
  | { readonly kind: 'applied'; readonly source: Source; readonly config: Config; readonly generation: number }
  /** The candidate equals the configuration in force; `recovered` when it had been refused or gone meanwhile. */
  | { readonly kind: 'unchanged'; readonly recovered: boolean }
  /** A new refusal; `current` is what stays in force. */
  | { readonly kind: 'refused'; readonly source: Source; readonly errors: readonly ConfigError[]; readonly current: Config | undefined }
  /** No configuration object exists (newly so, or for another reason); `current` is what stays in force. */
  | { readonly kind: 'absent'; readonly why: string; readonly current: Config | undefined }
  /** The same refusal or absence as last reported: nothing new. */
  | { readonly kind: 'repeated' };

export interface AcceptanceState<Source extends string = string> {
  /** Where the configuration in force came from. */
  readonly source: Source | undefined;
  /** Distinct configurations applied so far. */
  readonly generation: number;
  readonly loadedAt: Date | undefined;
  readonly stale: boolean;
  /** Why there is no candidate at all, while there is none. */
  readonly absent: string | undefined;
  readonly lastRefusal: { readonly at: Date; readonly source: Source; readonly errors: readonly ConfigError[] } | undefined;
}

export class ConfigAcceptance<Source extends string = string> {
  private readonly store = new ConfigStore();
  private readonly now: () => Date;
  private readonly metrics: AcceptanceMetrics;
  private st: { -readonly [K in keyof AcceptanceState<Source>]: AcceptanceState<Source>[K] } = {
    source: undefined, generation: 0, loadedAt: undefined, stale: false, absent: undefined, lastRefusal: undefined,
  };
  /** The configuration in force as JSON, to tell a changed candidate from a repeated one. */
  private json: string | undefined;
  /** The errors last refused as JSON; cleared by an acceptance. */
  private refusalKey: string | undefined;

  constructor(opts: { now?: () => Date; metrics?: AcceptanceMetrics } = {}) {
    this.now = opts.now ?? (() => new Date());
    this.metrics = opts.metrics ?? {};
  }

  /** The configuration in force, if any. */
  get current(): Config | undefined {
    return this.store.current;
  }

  /** Errors of the latest candidate when it was refused; empty once one is accepted. */
  get errors(): readonly ConfigError[] {
    return this.store.errors;
  }

  get state(): AcceptanceState<Source> {
    return { ...this.st };
  }

  /** A candidate read from `source`. */
  offer(source: Source, candidate: ParseResult): Acceptance<Source> {
    this.st.absent = undefined;
    const offer = this.store.offer(candidate);
    if (!offer.accepted) {
      const key = JSON.stringify(offer.errors);
      if (key === this.refusalKey) return { kind: 'repeated' };
      this.refusalKey = key;
      this.st.lastRefusal = { at: this.now(), source, errors: offer.errors };
      this.setStale(true);
      this.metrics.refused?.inc();
      return { kind: 'refused', source, errors: offer.errors, current: offer.current };
    }
    const wasStale = this.st.stale;
    this.refusalKey = undefined;
    this.setStale(false);
    this.metrics.loaded?.set(1);
    const json = JSON.stringify(configToJSON(offer.config));
    if (json === this.json && source === this.st.source) return { kind: 'unchanged', recovered: wasStale };
    this.json = json;
    this.st.source = source;
    this.st.generation++;
    this.st.loadedAt = this.now();
    this.metrics.applied?.inc();
    return { kind: 'applied', source, config: offer.config, generation: this.st.generation };
  }

  /** No configuration object exists; `why` says which were looked for. The one in force stays, now stale. */
  absent(why: string): Acceptance<Source> {
    if (this.st.absent === why) return { kind: 'repeated' };
    this.st.absent = why;
    if (this.store.current) this.setStale(true);
    return { kind: 'absent', why, current: this.store.current };
  }

  private setStale(stale: boolean): void {
    this.st.stale = stale;
    this.metrics.stale?.set(stale ? 1 : 0);
  }
}
