// Watch responses as the real API server streams them: HTTP 200, then one
// JSON event per line. Errors found while starting (resourceVersion too old
// or too new) arrive as an ERROR event on a 200 response, as the watch
// cache sends them; bookmarks come every interval and just before the
// server-side timeout; a client that stops reading is cut off rather than
// buffered without bound.

import type { ServerResponse } from 'node:http';
import { ApiError } from './api-errors.js';
import type { StoredObject } from './history.js';
import type { ObjectStore, Subscription, WatchOptions } from './store.js';
import type { Clock, TimerHandle } from '../../src/util/clock.js';
import type { ResourceType } from '../../src/kube/resources.js';

export interface WatchHubOptions {
  clock: Clock;
  /** How often a watch that asked for bookmarks gets one. */
  bookmarkIntervalMs: number;
  /** Unsent bytes at which a slow watcher is disconnected. */
  maxBufferBytes: number;
}

export interface WatchRequest {
  store: ObjectStore;
  type: ResourceType;
  /** The apiVersion the client asked for, set on every object sent. */
  apiVersion: string;
  /** "services", "ipaddresspools.metallb.io": what dropWatches() matches. */
  resource: string;
  watch: WatchOptions;
  allowBookmarks: boolean;
  /** Whether synthetic initial events end with the "k8s.io/initial-events-end" bookmark. */
  initialEventsEndBookmark: boolean;
  timeoutMs: number;
  present: (obj: StoredObject) => object;
}

interface ActiveWatch {
  resource: string;
  bookmark(): void;
  /** Ends the stream cleanly. */
  end(): void;
  /** Cuts the connection mid-stream. */
  kill(): void;
}

export class WatchHub {
  private readonly active = new Set<ActiveWatch>();

  constructor(private readonly opts: WatchHubOptions) {}

  /** Starts streaming; throws ApiError for failures that are answered with an HTTP error instead. */
  start(res: ServerResponse, w: WatchRequest): void {
    const { clock } = this.opts;
    const pending: string[] = [];
    let streaming = false;
    let finished = false;
    let sub: Subscription | undefined;
    const timers: { bookmark?: TimerHandle; timeout?: TimerHandle } = {};
    const write = (line: string): void => {
      if (finished) return;
      if (!streaming) { pending.push(line); return; }
      if (res.destroyed) { finish(); return; }
      res.write(line);
      if (res.writableLength > this.opts.maxBufferBytes) {
        // The real server drops watchers that cannot keep up; they re-list.
        active.kill();
      }
    };
    const eventLine = (type: string, object: object): string => JSON.stringify({ type, object }) + '\n';
    const bookmarkObject = (annotations?: Record<string, string>): object => ({
      kind: w.type.kind,
      apiVersion: w.apiVersion,
      metadata: { resourceVersion: String(w.store.resourceVersion), ...(annotations && { annotations }) },
    });
    const active: ActiveWatch = {
      resource: w.resource,
      bookmark: () => { if (w.allowBookmarks) write(eventLine('BOOKMARK', bookmarkObject())); },
      end: () => { finish(); res.end(); },
      kill: () => { finish(); res.destroy(); },
    };
    const finish = (): void => {
      if (finished) return;
      finished = true;
      sub?.close();
      clock.clearTimeout(timers.bookmark);
      clock.clearTimeout(timers.timeout);
      this.active.delete(active);
    };
    try {
      sub = w.store.watch(w.type, w.watch, {
        event: (type, obj) => write(eventLine(type, w.present(obj))),
        end: () => active.end(),
      });
    } catch (err) {
      if (err instanceof ApiError && (err.code === 410 || err.code === 504)) {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(eventLine('ERROR', err.toStatus()));
        return;
      }
      throw err;
    }
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
    res.flushHeaders();
    streaming = true;
    res.on('close', finish);
    for (const line of pending.splice(0)) write(line);
    if (w.initialEventsEndBookmark) write(eventLine('BOOKMARK', bookmarkObject({ 'k8s.io/initial-events-end': 'true' })));
    // Cut off while sending the initial state, or the client already left.
    if (finished || res.destroyed) {
      finish();
      return;
    }
    this.active.add(active);
    const scheduleBookmark = (): void => {
      timers.bookmark = clock.setTimeout(() => {
        active.bookmark();
        if (!finished) scheduleBookmark();
      }, this.opts.bookmarkIntervalMs);
    };
    if (w.allowBookmarks) scheduleBookmark();
    timers.timeout = clock.setTimeout(() => {
      // A last bookmark lets the client resume from the newest resourceVersion.
      active.bookmark();
      active.end();
    }, w.timeoutMs);
  }

  /** Ends matching watches: 'close' ends the stream cleanly, 'reset' cuts the connection. Returns how many. */
  drop(filter: { resource?: string; mode?: 'close' | 'reset' } = {}): number {
    let n = 0;
    for (const a of [...this.active]) {
      if (filter.resource !== undefined && filter.resource !== a.resource && filter.resource !== a.resource.split('.')[0]) continue;
      n++;
      if (filter.mode === 'reset') a.kill();
      else a.end();
    }
    return n;
  }

  /** Sends a bookmark now to every watch that asked for them. */
  bookmarkAll(): void {
    for (const a of this.active) a.bookmark();
  }

  count(resource?: string): number {
    let n = 0;
    for (const a of this.active) if (resource === undefined || a.resource === resource || a.resource.split('.')[0] === resource) n++;
    return n;
  }

  closeAll(): void {
    for (const a of [...this.active]) a.end();
  }
}
