// "A bad new config never replaces a good running one": the one place that
// rule lives, shared by controller and speaker.

import type { Config, ConfigError, ParseResult } from './model.js';

export type Offer =
  | { readonly accepted: true; readonly config: Config; readonly previous: Config | undefined }
  | { readonly accepted: false; readonly errors: readonly ConfigError[]; readonly current: Config | undefined };

export class ConfigStore {
  private good: Config | undefined;
  private lastErrors: readonly ConfigError[] = [];

  constructor(initial?: Config) {
    this.good = initial;
  }

  /** The last accepted config, if any. */
  get current(): Config | undefined {
    return this.good;
  }

  /** Errors of the last rejected candidate; empty once a candidate is accepted. */
  get errors(): readonly ConfigError[] {
    return this.lastErrors;
  }

  /** Takes a parse result: a valid one replaces the current config, an invalid one leaves it in place. */
  offer(candidate: ParseResult): Offer {
    if (!candidate.ok) {
      this.lastErrors = candidate.errors;
      return { accepted: false, errors: candidate.errors, current: this.good };
    }
    const previous = this.good;
    this.good = candidate.config;
    this.lastErrors = [];
    return { accepted: true, config: candidate.config, previous };
  }
}
