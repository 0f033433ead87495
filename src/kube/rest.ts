// One JSON request to the API server, with the server, credentials, CA and
// proxy of a KubeConfig: every call shoal makes besides watches. It stands
// in for client-node's generated API classes, which carry every method of
// their API group and, through the model deserializer, all of its model
// classes (wire.ts); the connection is made the way client-node's own Watch
// makes it (KubeConfig.applyToHTTPSOptions), so both read a kubeconfig alike.
//
// A failure is thrown in the shape errors.ts reads: an ApiError with the
// HTTP status as `code`, the body as text and the headers, or node's own
// connection error (ECONNREFUSED, ECONNRESET, ...).

import http from 'node:http';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface KubeRequest {
  method: Method;
  /** The REST path (resources.ts `resourcePath`). */
  path: string;
  /** Query parameters; undefined ones are left out. */
  query?: Readonly<Record<string, string | number | undefined>>;
  /** Sent as JSON. */
  body?: unknown;
  /** Content-Type of the body; default application/json (a PATCH names its patch type). */
  contentType?: string;
}

/** An answer from the API server other than 2xx. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    /** The HTTP status. */
    readonly code: number,
    /** The response body as sent, usually a Status in JSON. */
    readonly body: string,
    readonly headers: Readonly<Record<string, string>>,
    what: string,
  ) {
    super(`${what}: HTTP ${code}${statusMessage(body)}`);
  }
}

function statusMessage(body: string): string {
  try {
    const s = JSON.parse(body) as { message?: unknown };
    return typeof s.message === 'string' && s.message !== '' ? `: ${s.message}` : '';
  } catch {
    return '';
  }
}

export class KubeRest {
  constructor(private readonly kc: KubeConfig) {}

  /** The answer's JSON body (undefined when it has none). */
  async request<T>(req: KubeRequest): Promise<T> {
    const server = this.kc.getCurrentCluster()?.server;
    if (!server) throw new Error('kubeconfig: no current cluster, or it has no server');
    const url = new URL(server.replace(/\/+$/, '') + req.path);
    for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const opts: https.RequestOptions = { method: req.method, headers: { Accept: 'application/json' } };
    // Adds the agent (CA, client certificate, proxy) and the Authorization header, refreshing tokens as needed.
    await this.kc.applyToHTTPSOptions(opts);
    const payload = req.body === undefined ? undefined : Buffer.from(JSON.stringify(req.body));
    if (payload !== undefined) {
      opts.headers = { ...opts.headers, 'Content-Type': req.contentType ?? 'application/json', 'Content-Length': payload.length };
    }
    const what = `${req.method} ${req.path}`;
    const { status, headers, text } = await send(url, opts, payload);
    if (status < 200 || status > 299) throw new ApiError(status, text, headers, what);
    if (text === '') return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      throw new Error(`${what}: the answer (HTTP ${status}) is not JSON: ${(err as Error).message}`, { cause: err });
    }
  }
}

interface Answer {
  status: number;
  headers: Record<string, string>;
  text: string;
}

function send(url: URL, opts: https.RequestOptions, payload: Buffer | undefined): Promise<Answer> {
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.request(url, opts, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
        resolve({ status: res.statusCode ?? 0, headers, text: Buffer.concat(chunks).toString('utf8') });
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}
