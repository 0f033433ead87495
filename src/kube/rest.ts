// One JSON request to the API server: every call shoal makes besides
// watches. It goes through client-node's own request pipeline, the one its
// generated API classes use (a configuration from the KubeConfig, as
// makeApiClient builds it; its RequestContext; the KubeConfig's
// authentication; its HTTP library; its ApiException on an answer other
// than 2xx), and leaves out only what those classes add: a method per
// endpoint and the model deserializer, which loads all of client-node's
// ~700 model classes (wire.ts). The answer is the JSON as sent.
//
// client-node's modules are imported one by one, not through its index,
// which loads every generated class too (src/packaging/bundle.mjs).

import type { Configuration, KubeConfig } from '@kubernetes/client-node';
import { ApiException } from '@kubernetes/client-node/dist/gen/apis/exception.js';
import { createConfiguration } from '@kubernetes/client-node/dist/gen/configuration.js';
import { HttpMethod } from '@kubernetes/client-node/dist/gen/http/http.js';
import { ServerConfiguration } from '@kubernetes/client-node/dist/gen/servers.js';
import { RealClock, type Clock } from '../util/clock.js';
import { refusalBody, statusMessageIn } from './errors.js';

export interface KubeRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** The REST path (resources.ts `resourcePath`). */
  path: string;
  /** Query parameters; undefined ones are left out. */
  query?: Readonly<Record<string, string | number | undefined>>;
  /** Sent as JSON. */
  body?: unknown;
  /** Content-Type of the body; default application/json (a PATCH names its patch type). */
  contentType?: string;
}

export interface KubeRestOptions {
  /**
   * Give up on a request with no complete answer after this long (default
   * 60 s): a server that stopped answering would otherwise hold the caller
   * (an informer's list, the event writer) for good. It fails as a network
   * error (ETIMEDOUT), which callers retry.
   */
  timeoutMs?: number;
  /** Times the timeout (tests run it on a VirtualClock); default the real one. */
  clock?: Clock;
}

export class KubeRest {
  private readonly config: Configuration;
  private readonly timeoutMs: number;
  private readonly clock: Clock;

  /** Throws, as client-node's makeApiClient does, when the kubeconfig names no current cluster. */
  constructor(kc: KubeConfig, opts: KubeRestOptions = {}) {
    const cluster = kc.getCurrentCluster();
    if (!cluster?.server) throw new Error('kubeconfig: no current cluster, or it names no server');
    this.timeoutMs = opts.timeoutMs ?? 60_000;
    this.clock = opts.clock ?? new RealClock();
    if (!(this.timeoutMs > 0)) throw new Error(`KubeRest: timeoutMs must be > 0, got ${this.timeoutMs}`);
    this.config = createConfiguration({ baseServer: new ServerConfiguration(cluster.server, {}), authMethods: { default: kc } });
  }

  /**
   * The answer's JSON body. A refusal throws client-node's ApiException, an
   * empty answer too, except to a DELETE (whose answer callers ignore).
   */
  async request<T>(req: KubeRequest): Promise<T> {
    const ctx = this.config.baseServer.makeRequestContext(req.path, HttpMethod[req.method]);
    ctx.setHeaderParam('Accept', 'application/json');
    for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) ctx.setQueryParam(k, String(v));
    if (req.body !== undefined) {
      ctx.setHeaderParam('Content-Type', req.contentType ?? 'application/json');
      ctx.setBody(JSON.stringify(req.body));
    }
    // The KubeConfig adds its agent (CA, client certificate, proxy) and credentials, refreshing tokens as needed.
    await this.config.authMethods.default?.applySecurityAuthentication(ctx);
    // A timer cleared with the answer, not AbortSignal.timeout: node keeps
    // that signal, its timer and a finalizer cell for the whole timeout
    // once the HTTP library listens on it, so a burst of requests (a peer
    // restarting hands this speaker 50 Services to write) held a minute's
    // worth of them (docs/speaker.md, "Growth").
    const abort = new AbortController();
    const timer = this.clock.setTimeout(() => abort.abort(), this.timeoutMs);
    ctx.setSignal(abort.signal);
    const what = `${req.method} ${req.path}`;
    let status: number;
    let text: string;
    let headers: Record<string, string>;
    try {
      const res = await this.config.httpApi.send(ctx).toPromise();
      status = res.httpStatusCode;
      headers = res.headers;
      text = await res.body.text();
    } catch (err) {
      if ((err as { name?: unknown }).name !== 'AbortError') throw err;
      throw Object.assign(new Error(`${what}: no complete answer within ${this.timeoutMs / 1000} s`, { cause: err }), { code: 'ETIMEDOUT' });
    } finally {
      this.clock.clearTimeout(timer);
    }
    if (status < 200 || status > 299) {
      const body = refusalBody(text);
      const refusal = new ApiException(status, what, body, headers);
      // One line that names the request, not client-node's dump of body and headers.
      const said = statusMessageIn(body);
      refusal.message = `${what}: HTTP ${status}${said !== undefined ? `: ${said}` : ''}`;
      throw refusal;
    }
    if (text === '') {
      if (req.method === 'DELETE') return undefined as T;
      throw new Error(`${what}: empty answer (HTTP ${status})`);
    }
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      throw new Error(`${what}: the answer (HTTP ${status}) is not JSON: ${(err as Error).message}`, { cause: err });
    }
  }
}
