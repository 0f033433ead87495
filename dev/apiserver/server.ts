// Starts the in-memory Kubernetes API server double on loopback: the server
// tests drive the real client-node against, and the stand-in API of
// `shoal-dev demo`.

import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { loadCrdDirectory } from './crd-catalog.js';
import { FaultInjector } from './faults.js';
import { handleRequest, type AuditRecord } from './handler.js';
import { kubeConfigFor } from './kubeconfig.js';
import { ResourceCatalog } from './resource-catalog.js';
import { ObjectStore, type StoreOptions } from './store.js';
import { WatchHub } from './watch-stream.js';
import { familyFromName } from '../../src/net/index.js';
import { RealClock, type Clock } from '../../src/util/clock.js';
import { packageRoot } from '../../src/util/package-root.js';
import { silentLogger, type Logger } from '../../src/util/log.js';

export interface ApiServerDoubleOptions extends StoreOptions {
  /** Default 0: any free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /**
   * Also serve on this unix socket. A socket is a file, not bound to a
   * network namespace: tests reach a double that runs inside a namespace
   * through it without any traffic outside the namespace.
   */
  socketPath?: string;
  /** Times watch bookmarks, watch timeouts and injected delays. */
  clock?: Clock;
  /** Default 60000, as the real watch cache. */
  bookmarkIntervalMs?: number;
  /** Server-side watch timeout when the client sets none; default 1800 s (real: --min-request-timeout). */
  defaultWatchTimeoutSeconds?: number;
  /** Unsent bytes at which a slow watcher is cut off; default 16 MiB. */
  maxWatchBufferBytes?: number;
  /**
   * CustomResourceDefinition manifests whose short names, printer columns
   * and schemas the double serves; default the package's k8s/crds. Without
   * them custom resources print Name and Age and no field is checked.
   */
  crdDirectory?: string;
  /** Requests remembered in `requests`; default 10000. */
  auditLimit?: number;
  logger?: Logger;
}

export interface ApiServerDouble {
  /** http://host:port, the server URL for a kubeconfig. */
  readonly url: string;
  readonly store: ObjectStore;
  readonly faults: FaultInjector;
  /** The most recent requests, oldest first: what verb hit which resource with which answer. */
  readonly requests: readonly AuditRecord[];
  /** A KubeConfig for client-node pointing here. */
  kubeConfig(): KubeConfig;
  /** Ends open watches ('close': clean end of stream; 'reset': connection cut). Returns how many. */
  dropWatches(filter?: { resource?: string; mode?: 'close' | 'reset' }): number;
  /** Open watches, optionally of one resource ("services", "ipaddresspools.metallb.io"). */
  watchCount(resource?: string): number;
  /** Sends a bookmark now to every watch that allowed them. */
  sendBookmarks(): void;
  close(): Promise<void>;
}

export async function startApiServerDouble(opts: ApiServerDoubleOptions = {}): Promise<ApiServerDouble> {
  const store = new ObjectStore(opts);
  const faults = new FaultInjector();
  const clock = opts.clock ?? new RealClock();
  const logger = opts.logger ?? silentLogger;
  const watches = new WatchHub({
    clock,
    bookmarkIntervalMs: opts.bookmarkIntervalMs ?? 60_000,
    maxBufferBytes: opts.maxWatchBufferBytes ?? 16 * 1024 * 1024,
  });
  const auditLimit = opts.auditLimit ?? 10_000;
  const requests: AuditRecord[] = [];
  const root = packageRoot();
  const crdDirectory = opts.crdDirectory ?? (root && join(root, 'k8s', 'crds'));
  const catalog = new ResourceCatalog(crdDirectory && existsSync(crdDirectory) ? loadCrdDirectory(crdDirectory) : []);
  const now = opts.now ?? ((): Date => new Date());
  const host = opts.host ?? '127.0.0.1';
  let address = '';
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    void handleRequest(
      {
        store,
        faults,
        watches,
        clock,
        logger,
        random: opts.random ?? Math.random,
        defaultWatchTimeoutSeconds: opts.defaultWatchTimeoutSeconds ?? 1800,
        serverAddress: () => address,
        catalog,
        now,
        audit: (rec) => {
          requests.push(rec);
          if (requests.length > auditLimit) requests.splice(0, requests.length - auditLimit);
        },
      },
      req,
      res,
    );
  };
  const listen = (srv: Server, where: { port: number; host: string } | { path: string }): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(where, () => {
        srv.off('error', reject);
        resolve();
      });
    });
  const server: Server = createServer(handler);
  await listen(server, { port: opts.port ?? 0, host });
  const unixServer = opts.socketPath !== undefined ? createServer(handler) : undefined;
  if (unixServer) await listen(unixServer, { path: opts.socketPath! });
  const a = server.address() as AddressInfo;
  address = familyFromName(a.family) === 6 ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
  const url = `http://${address}`;
  logger.info('apiserver double listening', { url });
  return {
    url,
    store,
    faults,
    requests,
    kubeConfig: () => kubeConfigFor(url),
    dropWatches: (filter) => watches.drop(filter),
    watchCount: (resource) => watches.count(resource),
    sendBookmarks: () => watches.bookmarkAll(),
    close: async () => {
      watches.closeAll();
      await Promise.all(
        [server, unixServer].map(
          (srv) =>
            srv &&
            new Promise<void>((resolve) => {
              srv.close(() => resolve());
              srv.closeAllConnections();
            }),
        ),
      );
    },
  };
}
