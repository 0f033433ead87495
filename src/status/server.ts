// The status endpoint every shoal process serves (default port 7473):
//   GET /status            JSON, or an aligned text table when the client asks
//                          for text (Accept: text/plain, or ?format=text)
//   GET /status/<path>     sub-resources registered by sections (e.g. /status/ip/ADDR)
//   GET /metrics           Prometheus text format
//   GET /healthz           200 "ok", or 503 with the reason
//
// Anyone who reaches it may send anything: a malformed request is a 400
// and a count, never a log line; sources outside the allow list are closed
// on accept; the request rate, the size of an answer and the bytes held for
// slow readers are bounded (limits.ts). Only a failure of shoal's own code
// logs, at most once every ten seconds.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { Counter, Gauge, type Registry } from 'prom-client';
import { formatAddress, type Address } from '../net/index.js';
import { RealClock, type Clock } from '../util/clock.js';
import { limitedLog, type LimitedLog } from '../util/log-limit.js';
import { metricsText } from '../util/series-family.js';
import { quote } from '../util/text.js';
import { silentLogger, type Logger } from '../util/log.js';
import { parseAllowList, type AllowList } from './access.js';
import { DEFAULT_STATUS_LIMITS, ResponseBudget, TokenBucket, type StatusLimits } from './limits.js';
import { parseRequest, type Format } from './request.js';

export interface StatusSection {
  /** Key of this section in the JSON document. */
  readonly name: string;
  json(): unknown;
  text(): string;
}

export type SubResourceAnswer = { json: unknown; text: string } | { badRequest: string };

export interface SubResource {
  /** e.g. "ip" serves /status/ip/<rest>. */
  readonly prefix: string;
  /** Returns undefined for 404, `badRequest` for 400. */
  handle(rest: string): SubResourceAnswer | undefined;
}

export interface StatusServerOptions {
  /** One server per address, one handler for all (e.g. the node's address and loopback). */
  listen: readonly Address[];
  registry: Registry;
  sections: StatusSection[];
  subResources?: SubResource[];
  /** Liveness: undefined when healthy, else the reason. */
  unhealthy?: () => string | undefined;
  /** Sources served besides the host itself; default every source. */
  allow?: AllowList;
  limits?: Partial<StatusLimits>;
  clock?: Clock;
  logger?: Logger;
}

const TEXT = 'text/plain; charset=utf-8';
const JSON_TYPE = 'application/json';
const FAILURE_LOG_INTERVAL_MS = 10_000;

export class StatusServer {
  private servers: Server[] = [];
  private readonly log: Logger;
  private readonly limits: StatusLimits;
  private readonly allow: AllowList;
  private readonly bucket: TokenBucket;
  private readonly budget: ResponseBudget;
  private readonly logFailure: LimitedLog;
  private readonly requests: Counter<'code'>;
  private readonly refused: Counter<'reason'>;

  constructor(private readonly opts: StatusServerOptions) {
    if (opts.listen.length === 0) throw new Error('status endpoint: no address to listen on');
    this.log = (opts.logger ?? silentLogger).child({ component: 'status' });
    this.limits = { ...DEFAULT_STATUS_LIMITS, ...opts.limits };
    this.allow = opts.allow ?? parseAllowList([]);
    const clock = opts.clock ?? new RealClock();
    this.bucket = new TokenBucket(clock, this.limits.requestsPerSecond, this.limits.burst);
    this.budget = new ResponseBudget(this.limits.maxBufferedBytes);
    this.logFailure = limitedLog(this.log, 'error', clock, FAILURE_LOG_INTERVAL_MS);
    const registers = [opts.registry];
    this.requests = new Counter({ name: 'shoal_status_requests_total', help: 'Requests to the status endpoint by HTTP status code', labelNames: ['code'], registers });
    this.refused = new Counter({
      name: 'shoal_status_connections_refused_total',
      help: 'Connections to the status endpoint closed on arrival: source not allowed, or too many open',
      labelNames: ['reason'],
      registers,
    });
    const budget = this.budget;
    new Gauge({ name: 'shoal_status_buffered_bytes', help: 'Bytes of answers not yet taken by slow clients', registers, collect() { this.set(budget.bytes); } });
  }

  /** Port of the first listen address (the one chosen by the system when 0 was asked for). */
  get port(): number {
    return this.ports[0] ?? 0;
  }

  get ports(): number[] {
    return this.servers.map((s) => {
      const a = s.address();
      return typeof a === 'object' && a ? a.port : 0;
    });
  }

  /** The URLs served, for the log. */
  urls(): string[] {
    return this.opts.listen.map((a, i) => `http://${formatAddress({ host: a.host, port: this.ports[i] ?? a.port })}/status`);
  }

  get bufferedBytes(): number {
    return this.budget.bytes;
  }

  async start(): Promise<void> {
    try {
      for (const a of this.opts.listen) this.servers.push(await this.listenOn(a));
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  async close(): Promise<void> {
    const servers = this.servers;
    this.servers = [];
    await Promise.all(
      servers.map((s) => {
        s.closeAllConnections();
        return new Promise<void>((r) => s.close(() => r()));
      }),
    );
  }

  private async listenOn(a: Address): Promise<Server> {
    const l = this.limits;
    const server = createServer(
      { headersTimeout: l.headersTimeoutMs, requestTimeout: l.headersTimeoutMs, connectionsCheckingInterval: Math.min(1000, l.headersTimeoutMs) },
      (req, res) => this.serve(req, res),
    );
    server.maxConnections = l.maxConnections;
    // No 'timeout' listener: Node destroys a socket idle this long.
    server.setTimeout(l.idleTimeoutMs);
    server.on('connection', (socket: Socket) => {
      if (this.allow.admits(socket.remoteAddress, socket.localAddress)) return;
      this.refused.inc({ reason: 'not-allowed' });
      socket.destroy();
    });
    server.on('drop', () => this.refused.inc({ reason: 'too-many' }));
    // What the HTTP parser refuses (garbage, oversized headers) is a 400 without a log line; a reset needs no answer.
    server.on('clientError', (_err, socket: Socket) => {
      if (!socket.writable) {
        socket.destroy();
        return;
      }
      this.requests.inc({ code: '400' });
      socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) => reject(new Error(`status endpoint: cannot listen on ${formatAddress(a)}: ${err.message}`, { cause: err })));
      server.listen({ host: a.host, port: a.port }, () => resolve());
    });
    server.removeAllListeners('error');
    server.on('error', (err) => this.logFailure('status server error', { error: err }));
    return server;
  }

  private serve(req: IncomingMessage, res: ServerResponse): void {
    this.route(req, res).catch((err: unknown) => {
      this.logFailure('status request failed', { path: req.url?.slice(0, 200), error: err });
      if (!res.headersSent) this.answer(res, 500, TEXT, 'internal error\n');
      else res.destroy();
    });
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const parsed = parseRequest(req.method, req.url, req.headers.accept ?? '');
    if (!parsed.ok) return this.answer(res, parsed.code, TEXT, `${parsed.message}\n`);
    const route = parsed.route;
    if (route.kind === 'healthz') {
      const why = this.opts.unhealthy?.();
      return why ? this.answer(res, 503, TEXT, `${why}\n`) : this.answer(res, 200, TEXT, 'ok\n');
    }
    if (!this.bucket.take()) return this.answer(res, 429, TEXT, 'too many requests; try again in a second\n', { 'retry-after': '1' });
    switch (route.kind) {
      case 'metrics':
        return this.answer(res, 200, this.opts.registry.contentType, await metricsText(this.opts.registry));
      case 'status':
        if (route.format === 'text') return this.answer(res, 200, TEXT, this.opts.sections.map((s) => s.text()).join('\n\n') + '\n');
        return this.answer(res, 200, JSON_TYPE, jsonBody(Object.fromEntries(this.opts.sections.map((s) => [s.name, s.json()]))));
      case 'sub': {
        const found = this.opts.subResources?.find((r) => r.prefix === route.prefix)?.handle(route.rest);
        if (!found) return this.answer(res, 404, TEXT, `no status at ${quote(parsed.path)}\n`);
        if ('badRequest' in found) return this.answer(res, 400, TEXT, `${found.badRequest}\n`);
        return this.sendFormatted(res, route.format, found);
      }
    }
  }

  private sendFormatted(res: ServerResponse, format: Format, found: { json: unknown; text: string }): void {
    if (format === 'text') this.answer(res, 200, TEXT, found.text + '\n');
    else this.answer(res, 200, JSON_TYPE, jsonBody(found.json));
  }

  /**
   * Sends a whole answer; every answer goes through here, so every one is
   * counted. Only answers with content (200) are large enough to need the
   * size limit and the budget; refusals are a line of text.
   */
  private answer(res: ServerResponse, code: number, type: string, body: string, headers: Record<string, string> = {}): void {
    const bytes = Buffer.byteLength(body);
    if (code === 200) {
      if (bytes > this.limits.maxResponseBytes) {
        return this.answer(res, 503, TEXT, `the answer is ${bytes} bytes, more than the limit of ${this.limits.maxResponseBytes}; ask for one address with /status/ip/ADDRESS\n`);
      }
      const release = this.budget.reserve(bytes);
      if (!release) return this.answer(res, 503, TEXT, 'busy: other answers are waiting for their clients; try again shortly\n', { 'retry-after': '1' });
      res.once('finish', release);
      res.once('close', release);
    }
    this.requests.inc({ code: String(code) });
    res.writeHead(code, { 'content-type': type, 'content-length': bytes, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', ...headers });
    res.end(body);
  }
}

function jsonBody(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n';
}
