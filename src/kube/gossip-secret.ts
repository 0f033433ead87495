// The speakers' gossip key in Kubernetes: the Secret "memberlist" with the
// key "secretkey", as MetalLB names them, mounted into every speaker pod.
// The controller creates it when it is missing, as MetalLB's does, so a
// fresh install gossips encrypted without a manual step; an existing one
// (MetalLB's, or an operator's) is used as it is and never rewritten: a new
// key would cut the running speakers off from the restarted ones.
//
// Unlike MetalLB, the Secret gets no owner reference to the controller's
// Deployment: deleting and re-applying the Deployment would have the
// garbage collector delete the Secret and the controller create another
// key, which restarted speakers would take while running ones keep the
// old. Deleting the namespace still removes it.
//
// The controller checks once at start, retrying with backoff until the API
// answers, and reports the outcome in its /status.
import type { KubeConfig, V1Secret } from '@kubernetes/client-node';
import { newGossipKey } from '../cluster/new-key.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import type { BackoffPolicy } from '../util/backoff.js';
import { sleep } from '../util/clock.js';
import { GOSSIP_SECRET_KEY, GOSSIP_SECRET_NAME } from './defaults.js';
import { describeApiError, isAlreadyExists, isNotFound, retryDelayMs } from './errors.js';
import { resourcePath, secrets } from './resources.js';
import { KubeRest } from './rest.js';
import type { Wire } from './wire.js';

export type GossipSecretState =
  /** Not checked yet, or the API has not answered yet. */
  | 'pending'
  | 'created'
  | 'exists'
  /** It exists without a usable "secretkey": the speakers cannot start; an operator must fix it. */
  | 'invalid'
  | 'failing';

export interface GossipSecretStatus {
  readonly name: string;
  readonly state: GossipSecretState;
  readonly message: string | null;
}

export interface GossipSecretOptions {
  namespace: string;
  name?: string;
  clock: Clock;
  random?: () => number;
  /** Default 1 s doubling to 1 min. */
  backoff?: BackoffPolicy;
  logger: Logger;
}

const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 1000, maxMs: 60_000 };

/** Whether a Secret's data holds a key the speakers can use (base64 in the API, non-empty once decoded). */
export function usableKey(data: Record<string, string> | undefined): boolean {
  const v = data?.[GOSSIP_SECRET_KEY];
  return v !== undefined && Buffer.from(v, 'base64').toString('utf8').trim() !== '';
}

export class GossipSecretKeeper {
  private readonly rest: KubeRest;
  private readonly name: string;
  private readonly abort = new AbortController();
  private running: Promise<void> | undefined;
  private current: GossipSecretStatus;

  constructor(
    kc: KubeConfig,
    private readonly opts: GossipSecretOptions,
  ) {
    this.rest = new KubeRest(kc);
    this.name = opts.name ?? GOSSIP_SECRET_NAME;
    this.current = { name: this.name, state: 'pending', message: null };
  }

  get status(): GossipSecretStatus {
    return this.current;
  }

  /** Starts the check in the background; `settled()` resolves when it is done or stopped. */
  start(): void {
    this.running ??= this.run();
  }

  settled(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.settled();
  }

  private async run(): Promise<void> {
    const where = `${this.opts.namespace}/${this.name}`;
    for (let attempt = 0; !this.abort.signal.aborted; attempt++) {
      try {
        this.current = await this.ensure();
        if (this.current.state === 'invalid') this.opts.logger.error(this.current.message ?? 'gossip key Secret unusable', { secret: where });
        else this.opts.logger.info(this.current.state === 'created' ? 'gossip key Secret created' : 'gossip key Secret present', { secret: where });
        return;
      } catch (err) {
        const f = describeApiError(err);
        const message = `cannot ensure the gossip key Secret ${where}: ${f.status !== undefined ? `HTTP ${f.status}: ` : ''}${f.message}`;
        // One line per distinct failure, not one per retry.
        if (message !== this.current.message) this.opts.logger.warn(`${message}; retrying`, { secret: where });
        this.current = { name: this.name, state: 'failing', message };
        await sleep(this.opts.clock, retryDelayMs(f, attempt, this.opts.backoff ?? DEFAULT_BACKOFF, this.opts.random ?? Math.random), this.abort.signal);
      }
    }
  }

  private async ensure(): Promise<GossipSecretStatus> {
    const { namespace } = this.opts;
    try {
      const s = await this.rest.request<Wire<V1Secret>>({ method: 'GET', path: resourcePath(secrets, { namespace, name: this.name }) });
      if (usableKey(s.data)) return { name: this.name, state: 'exists', message: null };
      return {
        name: this.name,
        state: 'invalid',
        message: `the Secret ${namespace}/${this.name} has no usable "${GOSSIP_SECRET_KEY}": the speakers cannot start; delete it and restart the controller, or put a key in it`,
      };
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    try {
      await this.rest.request({
        method: 'POST',
        path: resourcePath(secrets, { namespace }),
        body: {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: this.name, namespace, labels: { 'app.kubernetes.io/name': 'shoal', 'app.kubernetes.io/component': 'gossip-key' } },
          type: 'Opaque',
          data: { [GOSSIP_SECRET_KEY]: Buffer.from(newGossipKey()).toString('base64') },
        },
      });
      return { name: this.name, state: 'created', message: null };
    } catch (err) {
      // Created by someone else between our read and our create: theirs stands.
      if (isAlreadyExists(err)) return this.ensure();
      throw err;
    }
  }
}
