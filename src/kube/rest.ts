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

export class KubeRest {
  private readonly config: Configuration;

  /** Throws, as client-node's makeApiClient does, when the kubeconfig names no current cluster. */
  constructor(kc: KubeConfig) {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig: no current cluster');
    // A server written with a trailing slash would otherwise give "//api/v1/...".
    this.config = createConfiguration({ baseServer: new ServerConfiguration(cluster.server.replace(/\/+$/, ''), {}), authMethods: { default: kc } });
  }

  /** The answer's JSON body, undefined when it has none. A refusal throws client-node's ApiException. */
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
    const res = await this.config.httpApi.send(ctx).toPromise();
    const text = await res.body.text();
    const what = `${req.method} ${req.path}`;
    if (res.httpStatusCode < 200 || res.httpStatusCode > 299) {
      throw new ApiException(res.httpStatusCode, `${what}: HTTP ${res.httpStatusCode}${statusMessage(text)}`, text, res.headers);
    }
    if (text === '') return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      throw new Error(`${what}: the answer (HTTP ${res.httpStatusCode}) is not JSON: ${(err as Error).message}`, { cause: err });
    }
  }
}

/** The message of a Status body, for the exception's own message. */
function statusMessage(body: string): string {
  try {
    const s = JSON.parse(body) as { message?: unknown };
    return typeof s.message === 'string' && s.message !== '' ? `: ${s.message}` : '';
  } catch {
    return '';
  }
}
