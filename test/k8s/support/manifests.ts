// Reading the manifests under k8s/ for the tests: every YAML document of a
// file, the kustomization's resource list, and lookups by kind and name.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

export const REPO = fileURLToPath(new URL('../../..', import.meta.url));
export const K8S = join(REPO, 'k8s');

/** A Kubernetes object as read from YAML: plain JSON. */
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

/** Every document of a YAML file (under the repository), failing on YAML errors and empty documents. */
export function readYaml(path: string): Manifest[] {
  const text = readFileSync(join(REPO, path), 'utf8');
  return parseAllDocuments(text).map((doc, i) => {
    if (doc.errors.length > 0) throw new Error(`${path} document ${i + 1}: ${doc.errors.map((e) => e.message).join('; ')}`);
    const obj = doc.toJS() as unknown;
    if (typeof obj !== 'object' || obj === null) throw new Error(`${path} document ${i + 1} is empty or not a mapping`);
    return obj as Manifest;
  });
}

/** YAML files below dir (relative to the repository), recursively, sorted. */
export function yamlFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (abs: string): void => {
    for (const name of readdirSync(abs).sort()) {
      const p = join(abs, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.ya?ml$/.test(name)) out.push(relative(REPO, p));
    }
  };
  walk(join(REPO, dir));
  return out;
}

export interface Kustomization {
  apiVersion: string;
  kind: string;
  resources: string[];
  images?: { name: string; newName?: string; newTag?: string }[];
  [field: string]: unknown;
}

export function kustomization(): Kustomization {
  const [k] = readYaml('k8s/kustomization.yaml');
  return k as unknown as Kustomization;
}

/** The manifests the kustomization installs, each with the file it came from. */
export function installed(): { file: string; obj: Manifest }[] {
  return kustomization().resources.flatMap((r) => readYaml(join('k8s', r)).map((obj) => ({ file: join('k8s', r), obj })));
}

export function find<T = Manifest>(objs: readonly Manifest[], kind: string, name: string): T {
  const hit = objs.filter((o) => o.kind === kind && o.metadata.name === name);
  if (hit.length !== 1) throw new Error(`expected one ${kind} ${name}, found ${hit.length}`);
  return hit[0] as T;
}

export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;
}
