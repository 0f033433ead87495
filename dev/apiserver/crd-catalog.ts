// What the double learns from CustomResourceDefinition manifests (k8s/crds):
// per kind its short names and categories (for discovery), and per served
// version its printer columns (for server-side Table output) and its
// OpenAPI v3 schema (for /openapi/v3 and field validation). The CRDs stay
// the one source: the double serves what a real API server would after
// `kubectl apply -f k8s/crds`.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { OpenApiSchema } from './openapi-schema.js';

/** One additionalPrinterColumns entry, as the CRD spells it. */
export interface PrinterColumn {
  name: string;
  type: string;
  format?: string;
  description?: string;
  priority?: number;
  jsonPath: string;
}

export interface CrdVersion {
  columns: readonly PrinterColumn[];
  schema: OpenApiSchema | undefined;
}

export interface CrdInfo {
  group: string;
  plural: string;
  kind: string;
  shortNames: readonly string[];
  categories: readonly string[];
  versions: ReadonlyMap<string, CrdVersion>;
}

interface CrdDoc {
  kind?: string;
  spec?: {
    group?: string;
    names?: { kind?: string; plural?: string; shortNames?: string[]; categories?: string[] };
    versions?: { name?: string; served?: boolean; additionalPrinterColumns?: PrinterColumn[]; schema?: { openAPIV3Schema?: OpenApiSchema } }[];
  };
}

/** The CRDs in the YAML text of one file; `where` names the file in errors. */
export function crdsFromYaml(text: string, where: string): CrdInfo[] {
  const out: CrdInfo[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`${where}: ${doc.errors[0]!.message}`);
    const crd = doc.toJS() as CrdDoc | null;
    if (crd?.kind !== 'CustomResourceDefinition') continue;
    const spec = crd.spec;
    const names = spec?.names;
    if (!spec?.group || !names?.plural || !names.kind) throw new Error(`${where}: a CustomResourceDefinition without spec.group, spec.names.plural or spec.names.kind`);
    const versions = new Map<string, CrdVersion>();
    for (const v of spec.versions ?? []) {
      if (!v.name || v.served === false) continue;
      versions.set(v.name, { columns: v.additionalPrinterColumns ?? [], schema: v.schema?.openAPIV3Schema });
    }
    out.push({ group: spec.group, plural: names.plural, kind: names.kind, shortNames: names.shortNames ?? [], categories: names.categories ?? [], versions });
  }
  return out;
}

/** Every CRD in the .yaml files of a directory. */
export function loadCrdDirectory(dir: string): CrdInfo[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
    .sort()
    .flatMap((f) => crdsFromYaml(readFileSync(join(dir, f), 'utf8'), join(dir, f)));
}
