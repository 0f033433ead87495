// The status endpoint every shoal process serves (default port 7473):
//   GET /status            JSON, or an aligned text table when the client asks
//                          for text (Accept: text/plain, or ?format=text)
//   GET /status/<path>     sub-resources registered by sections (e.g. /status/ip/ADDR)
//   GET /metrics           Prometheus text format
//   GET /healthz           200 "ok", or 503 with the reason
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import { silentLogger, type Logger } from '../util/log.js';

export interface StatusSection {
  /** Key of this section in the JSON document. */
  readonly name: string;
  json(): unknown;
  text(): string;
}

export interface SubResource {
  /** e.g. "ip" serves /status/ip/<rest>. */
  readonly prefix: string;
  /** Returns undefined for 404. */
  handle(rest: string): { json: unknown; text: string } | undefined;
}

export interface StatusServerOptions {
  host: string;
  port: number;
  registry: Registry;
  sections: StatusSection[];
  subResources?: SubResource[];
  /** Liveness: undefined when healthy, else the reason. */
  unhealthy?: () => string | undefined;
  logger?: Logger;
}

export function wantsText(req: IncomingMessage, url: URL): boolean {
  const format = url.searchParams.get('format');
  if (format) return format === 'text';
  const accept = req.headers.accept ?? '';
  // curl sends "*/*"; only an explicit text/plain preference gets text.
  return /text\/plain/.test(accept) && !/application\/json/.test(accept);
}

export class StatusServer {
  private server: Server | undefined;
  private boundPort = 0;
  private readonly log: Logger;

  constructor(private readonly opts: StatusServerOptions) {
    this.log = (opts.logger ?? silentLogger).child({ component: 'status' });
  }

  get port(): number {
    return this.boundPort;
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      this.route(req, res).catch((err: unknown) => {
        this.log.error('status request failed', { url: req.url, error: err });
        if (!res.headersSent) send(res, 500, 'text/plain', 'internal error\n');
        else res.destroy();
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: this.opts.host, port: this.opts.port }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const addr = server.address();
    this.boundPort = typeof addr === 'object' && addr ? addr.port : this.opts.port;
    this.server = server;
  }

  async close(): Promise<void> {
    const s = this.server;
    if (!s) return;
    this.server = undefined;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://status.invalid');
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'only GET\n');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const text = wantsText(req, url);
    if (path === '/status') {
      if (text) return send(res, 200, 'text/plain; charset=utf-8', this.opts.sections.map((s) => s.text()).join('\n\n') + '\n');
      const doc: Record<string, unknown> = {};
      for (const s of this.opts.sections) doc[s.name] = s.json();
      return send(res, 200, 'application/json', JSON.stringify(doc, null, 2) + '\n');
    }
    if (path.startsWith('/status/')) {
      const rest = path.slice('/status/'.length);
      const slash = rest.indexOf('/');
      const prefix = slash < 0 ? rest : rest.slice(0, slash);
      const sub = this.opts.subResources?.find((r) => r.prefix === prefix);
      const found = sub?.handle(slash < 0 ? '' : decodeURIComponent(rest.slice(slash + 1)));
      if (!found) return send(res, 404, 'text/plain', `no status at ${path}\n`);
      if (text) return send(res, 200, 'text/plain; charset=utf-8', found.text + '\n');
      return send(res, 200, 'application/json', JSON.stringify(found.json, null, 2) + '\n');
    }
    if (path === '/metrics') {
      return send(res, 200, this.opts.registry.contentType, await this.opts.registry.metrics());
    }
    if (path === '/healthz') {
      const why = this.opts.unhealthy?.();
      return why ? send(res, 503, 'text/plain', `${why}\n`) : send(res, 200, 'text/plain', 'ok\n');
    }
    return send(res, 404, 'text/plain', 'try /status, /metrics or /healthz\n');
  }
}

function send(res: ServerResponse, code: number, type: string, body: string): void {
  res.writeHead(code, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(body);
}
