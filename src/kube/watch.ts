// client-node's Watch with what a long-running informer needs and 1.4 does
// not do: ask for bookmarks and a server-side timeout (as client-go's
// reflector does), give up on a connection that outlives that timeout (a
// dead peer otherwise hangs the watch forever: client-node drops its own
// timeout signal), slow down when the server keeps ending watches at once,
// trim watch objects as the informer trims what it lists, and go quiet
// after stop() instead of reporting the abort as an error.

import type { KubeConfig } from '@kubernetes/client-node';
import { Watch } from '@kubernetes/client-node/dist/watch.js';
import { backoffDelay, type BackoffPolicy } from '../util/backoff.js';
import type { Clock, TimerHandle } from '../util/clock.js';

export interface InformerWatchOptions {
  clock: Clock;
  random: () => number;
  /** Server-side timeout asked for each watch. */
  timeoutSeconds: () => number;
  /** Extra time past the server timeout before the connection is declared dead. */
  deadlineGraceMs: number;
  /** Pause before re-watching after watches that end at once with no events. */
  backoff: BackoffPolicy;
  /** Applied to ADDED / MODIFIED / DELETED objects. */
  transform: (obj: unknown) => unknown;
  /** Called as each watch starts, before connecting. */
  onStart?: () => void;
  /** Called for every event received. */
  onEvent?: (phase: string) => void;
}

/** A watch ending within this time without a single event counts as a failed one. */
const shortWatchMs = 1000;

export class InformerWatch extends Watch {
  private stopped = false;
  private shortInARow = 0;
  private readonly opts: InformerWatchOptions;

  constructor(config: KubeConfig, opts: InformerWatchOptions) {
    super(config);
    this.opts = opts;
  }

  /** After this, no watch starts and no completion is reported. */
  stop(): void {
    this.stopped = true;
  }

  override async watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    callback: (phase: string, apiObj: any, watchObj?: any) => void,
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    done: (err: any) => void,
  ): Promise<AbortController> {
    const { clock } = this.opts;
    if (this.stopped) {
      const c = new AbortController();
      c.abort();
      return c;
    }
    this.opts.onStart?.();
    const timeout = this.opts.timeoutSeconds();
    const started = clock.now();
    let events = 0;
    let finished = false;
    const conn: { controller?: AbortController; deadline?: TimerHandle; retry?: TimerHandle } = {};
    const finish = (err: unknown): void => {
      if (finished) return;
      finished = true;
      clock.clearTimeout(conn.deadline);
      if (this.stopped) return;
      if (err === null && events === 0 && clock.now() - started < shortWatchMs) {
        const delay = backoffDelay(this.shortInARow++, this.opts.backoff, this.opts.random);
        conn.retry = clock.setTimeout(() => { if (!this.stopped) done(null); }, delay);
        return;
      }
      if (events > 0) this.shortInARow = 0;
      done(err);
    };
    conn.deadline = clock.setTimeout(() => {
      conn.controller?.abort();
      finish(new Error(`watch ${path} outlived its ${timeout}s server timeout: connection presumed dead`));
    }, timeout * 1000 + this.opts.deadlineGraceMs);
    const params = { ...queryParams, allowWatchBookmarks: true, timeoutSeconds: timeout };
    const controller = await super.watch(
      path,
      params,
      (phase, obj, raw) => {
        events++;
        this.opts.onEvent?.(phase);
        callback(phase, phase === 'ADDED' || phase === 'MODIFIED' || phase === 'DELETED' ? this.opts.transform(obj) : obj, raw);
      },
      finish,
    );
    conn.controller = controller;
    if (finished || this.stopped) {
      // Timed out or stopped while connecting: this connection is not wanted.
      controller.abort();
    }
    if (this.stopped) clock.clearTimeout(conn.retry);
    return controller;
  }
}
