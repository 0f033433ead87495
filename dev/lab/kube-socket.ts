// A minimal Kubernetes client over the API double's unix socket, for tests
// whose double runs inside a network namespace (`shoal-dev apiserver --socket`):
// the socket is a file, so the test reaches the double without any traffic
// outside the namespaces it created.
import { request } from 'node:http';
import type { KubernetesObject } from '@kubernetes/client-node';
import { typeOf } from '../apiserver/apply.js';
import { resourcePath, type ResourceType } from '../../src/kube/resources.js';

export interface Reply {
  status: number;
  body: Record<string, unknown>;
}

export class SocketKube {
  constructor(readonly socketPath: string) {}

  request(method: string, path: string, body?: unknown): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const data = body === undefined ? undefined : JSON.stringify(body);
      const req = request(
        { socketPath: this.socketPath, method, path, headers: data ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } : {} },
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} }));
        },
      );
      req.on('error', reject);
      req.end(data);
    });
  }

  private where(obj: KubernetesObject): { type: ResourceType; ns: string | undefined; name: string } {
    const type = typeOf(obj);
    if (!type) throw new Error(`unknown kind ${String(obj.apiVersion)} ${String(obj.kind)}`);
    return { type, ns: type.namespaced ? (obj.metadata?.namespace ?? 'default') : undefined, name: obj.metadata!.name! };
  }

  /** Creates or replaces the object, then writes its status (if any) through /status. */
  async apply(obj: KubernetesObject & { status?: unknown }): Promise<void> {
    const { type, ns, name } = this.where(obj);
    const { status, ...rest } = obj;
    const current = await this.request('GET', resourcePath(type, { ...(ns ? { namespace: ns } : {}), name }));
    const res =
      current.status === 200
        ? await this.request('PUT', resourcePath(type, { ...(ns ? { namespace: ns } : {}), name }), {
            ...rest,
            metadata: { ...rest.metadata, resourceVersion: (current.body['metadata'] as { resourceVersion?: string }).resourceVersion },
          })
        : await this.request('POST', resourcePath(type, ns ? { namespace: ns } : {}), rest);
    if (res.status >= 300) throw new Error(`apply ${obj.kind} ${name}: ${res.status} ${JSON.stringify(res.body)}`);
    if (status !== undefined) {
      const stored = res.body;
      const put = await this.request('PUT', resourcePath(type, { ...(ns ? { namespace: ns } : {}), name, subresource: 'status' }), { ...stored, status });
      if (put.status >= 300) throw new Error(`status of ${obj.kind} ${name}: ${put.status} ${JSON.stringify(put.body)}`);
    }
  }

  async get(type: ResourceType, ns: string | undefined, name: string): Promise<Record<string, unknown> | undefined> {
    const r = await this.request('GET', resourcePath(type, { ...(ns ? { namespace: ns } : {}), name }));
    return r.status === 200 ? r.body : undefined;
  }

  async list(type: ResourceType, ns?: string): Promise<Record<string, unknown>[]> {
    const r = await this.request('GET', resourcePath(type, ns ? { namespace: ns } : {}));
    return (r.body['items'] as Record<string, unknown>[] | undefined) ?? [];
  }

  async delete(type: ResourceType, ns: string | undefined, name: string): Promise<void> {
    const r = await this.request('DELETE', resourcePath(type, { ...(ns ? { namespace: ns } : {}), name }));
    if (r.status >= 300 && r.status !== 404) throw new Error(`delete ${type.kind} ${name}: ${r.status}`);
  }
}
