// The REST layer of the double: HTTP request in, verb on the store, JSON
// out, errors as Status objects with the codes a real API server uses.

import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  ApiError,
  badRequest,
  internalError,
  methodNotAllowed,
  pathNotFound,
  unsupportedMediaType,
} from './api-errors.js';
import { coreVersions, group, groupList, resourceList, versionInfo } from './discovery.js';
import { fieldValidationParam, validateFields, type FieldValidation } from './field-validation.js';
import type { FaultInjector, RequestTarget, Verb } from './faults.js';
import type { StoredObject } from './history.js';
import { groupVersionDocument, openApiIndex } from './openapi.js';
import { jsonPatch, mergePatch, strategicMergePatch, type Json } from './patch.js';
import type { ResourceCatalog } from './resource-catalog.js';
import { parseRoute } from './routes.js';
import { compileFieldSelector, fieldGetters, parseFieldSelector, parseLabelSelector } from './selectors.js';
import type { ListOptions, ObjectStore } from './store.js';
import { includeObjectParam, tableVersionAccepted, toTable, type TableOptions } from './table.js';
import type { WatchHub } from './watch-stream.js';
import { apiVersionOf, type ResourceType } from '../../src/kube/resources.js';
import { sleep, type Clock } from '../../src/util/clock.js';
import type { Logger } from '../../src/util/log.js';

/** The largest request body the real API server accepts (3 MiB). */
export const maxBodyBytes = 3 * 1024 * 1024;

export interface AuditRecord {
  verb: Verb;
  /** "services", "services/status", "ipaddresspools.metallb.io". */
  resource: string;
  namespace?: string;
  name?: string;
  code: number;
}

export interface HandlerContext {
  store: ObjectStore;
  faults: FaultInjector;
  watches: WatchHub;
  clock: Clock;
  logger: Logger;
  random: () => number;
  /** Server-side watch timeout when the client sets none; the real server picks in [t, 2t). */
  defaultWatchTimeoutSeconds: number;
  serverAddress(): string;
  audit(rec: AuditRecord): void;
  /** Short names, printer columns and schemas of the served types. */
  catalog: ResourceCatalog;
  /** Wall-clock time, for the ages in Table output. */
  now(): Date;
}

const patchTypes = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
];

function send(res: ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function sendError(res: ServerResponse, err: ApiError): void {
  const headers: Record<string, string> = {};
  if (err.details?.retryAfterSeconds !== undefined) headers['Retry-After'] = String(err.details.retryAfterSeconds);
  send(res, err.code, err.toStatus(), headers);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      // Past the limit the rest is read and dropped, so the client gets the 413 rather than a reset.
      if (size <= maxBodyBytes) chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > maxBodyBytes) reject(new ApiError(413, 'RequestEntityTooLarge', `the request body exceeds ${maxBodyBytes} bytes`));
      else resolve(Buffer.concat(chunks));
    });
    req.on('error', reject);
  });
}

function parseJson(buf: Buffer): unknown {
  try {
    return JSON.parse(buf.toString('utf8'));
  } catch (e) {
    throw badRequest(`the object provided is unrecognized or invalid JSON: ${(e as Error).message}`);
  }
}

function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

function boolParam(v: string | null): boolean {
  return v === 'true' || v === '1';
}

function intParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  if (!/^\d+$/.test(v)) throw badRequest(`${name}: Invalid value: "${v}": must be a non-negative integer`);
  return Number(v);
}

function isDryRun(q: URLSearchParams, fromBody?: unknown): boolean {
  const values = [...q.getAll('dryRun'), ...(Array.isArray(fromBody) ? fromBody.map(String) : [])];
  for (const v of values) {
    if (v !== 'All') throw badRequest(`dryRun: Unsupported value: "${v}": supported values: "All"`);
  }
  return values.length > 0;
}

function verbOf(method: string, hasName: boolean, watch: boolean): Verb | undefined {
  switch (method) {
    case 'GET': return hasName ? 'get' : watch ? 'watch' : 'list';
    case 'POST': return hasName ? undefined : 'create';
    case 'PUT': return hasName ? 'update' : undefined;
    case 'PATCH': return hasName ? 'patch' : undefined;
    case 'DELETE': return hasName ? 'delete' : 'deletecollection';
    default: return undefined;
  }
}

export async function handleRequest(ctx: HandlerContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    await route(ctx, req, res);
  } catch (err) {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (err instanceof ApiError) {
      sendError(res, err);
    } else {
      ctx.logger.error('apiserver double: request failed', { method: req.method, url: req.url, err });
      sendError(res, internalError((err as Error).message));
    }
  }
}

async function route(ctx: HandlerContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://double.invalid');
  const r = parseRoute(url.pathname);
  const method = req.method ?? 'GET';
  const installed = ctx.store.types.filter((t) => ctx.store.isInstalled(t));
  const readOnly = (body: object | undefined): void => {
    if (body === undefined) throw pathNotFound();
    if (method !== 'GET') throw methodNotAllowed(method, url.pathname);
    send(res, 200, body);
  };
  switch (r.kind) {
    case 'unknown': throw pathNotFound();
    case 'health':
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('ok');
      return;
    case 'version': return readOnly(versionInfo());
    case 'core-versions': return readOnly(coreVersions(ctx.serverAddress()));
    case 'group-list': return readOnly(groupList(installed));
    case 'group': return readOnly(group(installed, r.group));
    case 'group-version': return readOnly(resourceList(installed, r, ctx.catalog));
    case 'openapi-index': return readOnly(openApiIndex(installed, ctx.catalog));
    case 'openapi-group-version': return readOnly(groupVersionDocument(installed, ctx.catalog, r));
    case 'resource': break;
  }
  const type = installed.find((t) => t.group === r.group && t.plural === r.plural && (t.version === r.version || t.otherVersions.includes(r.version)));
  if (!type) throw pathNotFound();
  if (r.namespace !== undefined && !type.namespaced) throw pathNotFound();
  if (r.name !== undefined && type.namespaced && r.namespace === undefined) throw pathNotFound();
  if (r.subresource !== undefined && (r.subresource !== 'status' || !type.statusSubresource)) throw pathNotFound();
  const q = url.searchParams;
  const verb = verbOf(method, r.name !== undefined, boolParam(q.get('watch')));
  if (!verb) throw methodNotAllowed(method, url.pathname);
  if (r.subresource && !['get', 'update', 'patch'].includes(verb)) throw methodNotAllowed(method, url.pathname);
  if (r.namespace === undefined && type.namespaced && !['list', 'watch'].includes(verb)) throw methodNotAllowed(method, url.pathname);
  const resource = r.subresource ? `${type.plural}/${r.subresource}` : type.plural;
  const target: RequestTarget = { verb, resource, group: type.group };
  const qualified = type.group === '' ? type.plural : `${type.plural}.${type.group}`;
  const audit = (code: number): void => {
    const rec: AuditRecord = { verb, resource: type.group === '' ? resource : `${qualified}${r.subresource ? '/' + r.subresource : ''}`, code };
    if (r.namespace !== undefined) rec.namespace = r.namespace;
    if (r.name !== undefined) rec.name = r.name;
    ctx.audit(rec);
  };
  try {
    const delay = ctx.faults.takeDelay(target);
    if (delay > 0) await sleep(ctx.clock, delay);
    const fault = ctx.faults.takeFailure(target);
    if (fault) throw fault;
    const code = await serve(ctx, req, res, { type, version: r.version, verb, namespace: r.namespace, name: r.name, status: r.subresource === 'status', q, qualified });
    audit(code);
  } catch (err) {
    audit(err instanceof ApiError ? err.code : 500);
    throw err;
  }
}

interface Call {
  type: ResourceType;
  version: string;
  verb: Verb;
  namespace: string | undefined;
  name: string | undefined;
  status: boolean;
  q: URLSearchParams;
  qualified: string;
}

function listOptions(call: Call): ListOptions {
  const { q, type } = call;
  const opts: ListOptions = {};
  if (call.namespace !== undefined) opts.namespace = call.namespace;
  const ls = q.get('labelSelector');
  if (ls) opts.labelSelector = parseLabelSelector(ls);
  const fs = q.get('fieldSelector');
  if (fs) opts.fieldMatch = compileFieldSelector(parseFieldSelector(fs), fieldGetters(type.group, type.plural));
  const limit = intParam(q, 'limit');
  if (limit !== undefined) opts.limit = limit;
  const cont = q.get('continue');
  if (cont) opts.continue = cont;
  const rv = q.get('resourceVersion');
  if (rv !== null) opts.resourceVersion = rv;
  const rvm = q.get('resourceVersionMatch');
  if (rvm) opts.resourceVersionMatch = rvm;
  return opts;
}

/** Serves one verb; returns the HTTP code sent. */
async function serve(ctx: HandlerContext, req: IncomingMessage, res: ServerResponse, call: Call): Promise<number> {
  const { store } = ctx;
  const { type, namespace, q } = call;
  const apiVersion = apiVersionOf(type, call.version);
  const present = (obj: StoredObject): object => ({ ...obj, apiVersion });
  // Built-in list items carry no kind/apiVersion on the wire; custom resources' do.
  const presentItem = (obj: StoredObject): object => {
    if (!type.builtin) return present(obj);
    const { kind: _k, apiVersion: _a, ...rest } = obj;
    return rest;
  };
  const subresource = call.status ? { subresource: 'status' as const } : {};
  // kubectl get asks for server-side printing (a meta.k8s.io Table).
  const tableVersion = tableVersionAccepted(req.headers.accept);
  const description = ctx.catalog.describe(type, call.version);
  const tableOpts = (): TableOptions => ({ version: tableVersion!, includeObject: includeObjectParam(q.get('includeObject')), apiVersion, now: ctx.now() });
  const mode: FieldValidation = fieldValidationParam(q.get('fieldValidation'));
  // The real server checks fields against the kind's schema (and drops the undeclared ones) on every write.
  const checked = (obj: unknown): unknown => {
    const out = validateFields(obj, description.schema?.schema, mode);
    for (const w of out.warnings) res.appendHeader('Warning', `299 - ${JSON.stringify(w)}`);
    return out.object;
  };
  switch (call.verb) {
    case 'get': {
      const obj = store.get(type, namespace, call.name!);
      send(res, 200, tableVersion ? toTable(description.columns, [obj], tableOpts(), { resourceVersion: obj.metadata['resourceVersion'] }) : present(obj));
      return 200;
    }
    case 'list': {
      const list = store.list(type, listOptions(call));
      const metadata: Record<string, unknown> = { resourceVersion: list.resourceVersion };
      if (list.continue) metadata['continue'] = list.continue;
      if (list.remainingItemCount !== undefined) metadata['remainingItemCount'] = list.remainingItemCount;
      send(res, 200, tableVersion ? toTable(description.columns, list.items, tableOpts(), metadata) : { kind: `${type.kind}List`, apiVersion, metadata, items: list.items.map(presentItem) });
      return 200;
    }
    case 'watch': {
      const opts = listOptions(call);
      if (opts.limit !== undefined || opts.continue !== undefined) {
        // Watches ignore paging parameters on a real server too; dropping them keeps the semantics plain.
        delete opts.limit;
        delete opts.continue;
      }
      const sendInitial = q.get('sendInitialEvents');
      const allowBookmarks = boolParam(q.get('allowWatchBookmarks'));
      if (sendInitial !== null && (opts.resourceVersionMatch !== 'NotOlderThan' || !allowBookmarks)) {
        throw badRequest('sendInitialEvents requires resourceVersionMatch=NotOlderThan and allowWatchBookmarks=true');
      }
      if (sendInitial === 'false' && (opts.resourceVersion === undefined || opts.resourceVersion === '')) {
        // Without initial events and without a resourceVersion, start at the newest one.
        opts.resourceVersion = String(store.resourceVersion);
      }
      const timeout = intParam(q, 'timeoutSeconds');
      const t = ctx.defaultWatchTimeoutSeconds;
      const timeoutMs = timeout !== undefined && timeout > 0 ? timeout * 1000 : Math.floor(t * 1000 * (1 + ctx.random()));
      const watchOpts = { ...opts };
      delete watchOpts.resourceVersionMatch;
      ctx.watches.start(res, {
        store,
        type,
        apiVersion,
        resource: call.qualified,
        watch: watchOpts,
        allowBookmarks,
        initialEventsEndBookmark: boolParam(sendInitial),
        timeoutMs,
        present: tableVersion ? tableEvents(description.columns, tableOpts(), () => ctx.now()) : present,
      });
      return 200;
    }
    case 'create': {
      const body = checked(await readJsonBody(req));
      send(res, 201, present(store.create(type, namespace, body, { dryRun: isDryRun(q) })));
      return 201;
    }
    case 'update': {
      const body = checked(await readJsonBody(req));
      const out = store.update(type, namespace, call.name!, body, { ...subresource, dryRun: isDryRun(q) });
      const code = out.created ? 201 : 200;
      send(res, code, present(out.object));
      return code;
    }
    case 'patch': {
      const ct = mediaType(req);
      if (!patchTypes.includes(ct)) throw unsupportedMediaType(ct, patchTypes);
      const schema = ctx.store.patchSchema(type);
      if (ct === 'application/strategic-merge-patch+json' && !schema) {
        // Custom resources have no Go struct tags to merge by: the real server refuses.
        throw unsupportedMediaType(ct, patchTypes.filter((p) => !p.startsWith('application/strategic')));
      }
      const patch = parseJson(await readBody(req)) as Json;
      const apply = (cur: Record<string, unknown>): unknown => {
        const doc = cur as Json;
        if (ct === 'application/json-patch+json') return checked(jsonPatch(doc, patch));
        if (ct === 'application/merge-patch+json') return checked(mergePatch(doc, patch));
        return checked(strategicMergePatch(doc, patch, schema!));
      };
      send(res, 200, present(store.patch(type, namespace, call.name!, apply, { ...subresource, dryRun: isDryRun(q) })));
      return 200;
    }
    case 'delete': {
      const raw = await readBody(req);
      const opts = raw.length > 0 ? (parseJson(raw) as { preconditions?: { uid?: string; resourceVersion?: string }; dryRun?: unknown }) : {};
      const del = store.delete(type, namespace, call.name!, {
        ...(opts.preconditions && { preconditions: opts.preconditions }),
        dryRun: isDryRun(q, opts.dryRun),
      });
      if (del.finalizing || store.deleteReturnsObject(type)) {
        send(res, 200, present(del.object));
      } else {
        const details: Record<string, string> = { name: call.name!, kind: type.plural, uid: String(del.object.metadata['uid']) };
        if (type.group !== '') details['group'] = type.group;
        send(res, 200, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details });
      }
      return 200;
    }
    case 'deletecollection': {
      const dryRun = isDryRun(q);
      const list = store.list(type, listOptions(call));
      const deleted: object[] = [];
      for (const obj of list.items) {
        try {
          deleted.push(present(store.delete(type, obj.metadata.namespace, obj.metadata.name, { dryRun }).object));
        } catch (err) {
          if (!(err instanceof ApiError && err.code === 404)) throw err;
        }
      }
      send(res, 200, { kind: `${type.kind}List`, apiVersion, metadata: { resourceVersion: String(store.resourceVersion) }, items: deleted });
      return 200;
    }
  }
}

async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const ct = mediaType(req);
  if (ct !== '' && ct !== 'application/json') throw unsupportedMediaType(ct, ['application/json']);
  return parseJson(await readBody(req));
}

/**
 * Watch events as Tables of one row each. Only the first carries the column
 * definitions: the real server sends them once per watch, and kubectl
 * prints a header whenever they arrive.
 */
function tableEvents(columns: Parameters<typeof toTable>[0], opts: TableOptions, now: () => Date): (obj: StoredObject) => object {
  let first = true;
  return (obj) => {
    const table = toTable(columns, [obj], { ...opts, now: now(), withColumns: first }, { resourceVersion: obj.metadata['resourceVersion'] });
    first = false;
    return table;
  };
}
