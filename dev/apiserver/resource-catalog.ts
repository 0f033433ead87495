// What clients such as kubectl need to know about each served type beyond
// its path: short names and categories (discovery), printer columns (Table
// output) and the OpenAPI schema (/openapi/v3, field validation). Built-in
// kinds from this file and builtin-*.ts; custom resources from their CRDs.

import { builtinColumns, crdColumns, defaultColumns } from './builtin-columns.js';
import { builtinSchemas, crdSchemaWithMeta } from './builtin-schemas.js';
import type { CrdInfo } from './crd-catalog.js';
import type { OpenApiSchema } from './openapi-schema.js';
import type { TableColumn } from './table.js';
import type { ResourceType } from '../../src/kube/resources.js';

/**
 * Short names and categories of the real API server's built-in resources.
 * (events.k8s.io's events share "ev" on a real server; kubectl 1.32 then
 * warns on every `get ev`, so the double leaves it to the core group's.)
 */
const builtinNames: ReadonlyMap<string, { shortNames: string[]; categories: string[] }> = new Map([
  ['/services', { shortNames: ['svc'], categories: ['all'] }],
  ['/pods', { shortNames: ['po'], categories: ['all'] }],
  ['/nodes', { shortNames: ['no'], categories: [] }],
  ['/namespaces', { shortNames: ['ns'], categories: [] }],
  ['/configmaps', { shortNames: ['cm'], categories: [] }],
  ['/endpoints', { shortNames: ['ep'], categories: [] }],
  ['/events', { shortNames: ['ev'], categories: [] }],
]);

export interface NamedSchema {
  /** The key under components.schemas ("io.k8s.api.core.v1.Service"). */
  name: string;
  schema: OpenApiSchema;
}

export interface TypeDescription {
  shortNames: readonly string[];
  categories: readonly string[];
  columns: readonly TableColumn[];
  /** Undefined when the double has no schema for the type (then it checks no fields). */
  schema: NamedSchema | undefined;
}

/** "metallb.io" -> "io.metallb", the prefix the real server gives CRD schemas. */
function reversedGroup(group: string): string {
  return group.split('.').reverse().join('.');
}

export class ResourceCatalog {
  private readonly crds: ReadonlyMap<string, CrdInfo>;

  constructor(crds: readonly CrdInfo[] = []) {
    this.crds = new Map(crds.map((c) => [`${c.group}/${c.plural}`, c]));
  }

  describe(type: ResourceType, version = type.version): TypeDescription {
    if (type.builtin) {
      const names = builtinNames.get(`${type.group}/${type.plural}`);
      return {
        shortNames: names?.shortNames ?? [],
        categories: names?.categories ?? [],
        columns: builtinColumns.get(`${type.group}/${type.kind}`) ?? defaultColumns,
        schema: builtinSchemas.get(`${type.group}/${type.kind}`),
      };
    }
    const crd = this.crds.get(`${type.group}/${type.plural}`);
    const v = crd?.versions.get(version);
    return {
      shortNames: crd?.shortNames ?? [],
      categories: crd?.categories ?? [],
      columns: crdColumns(v?.columns ?? []),
      schema: v?.schema && { name: `${reversedGroup(type.group)}.${version}.${type.kind}`, schema: crdSchemaWithMeta(v.schema) },
    };
  }
}
