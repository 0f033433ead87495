// `shoal validate FILE...`: check MetalLB configuration files before applying
// them. A file may hold several YAML documents; each document may be a
// metallb.io object, a `kind: List` of them, a ConfigMap with data.config
// (legacy format), or a bare legacy config. All metallb.io objects of all
// files are validated together (they reference each other across files);
// each legacy config is validated on its own. Other Kubernetes objects are
// skipped and counted.

import { readFile } from 'node:fs/promises';
import { isMetalLBObject, objectPath } from './crd.js';
import { looksLikeLegacyConfig } from './legacy.js';
import { formatConfigError } from './model.js';
import type { ConfigError } from './model.js';
import { parseConfigMap, parseLegacyConfig, parseObjects } from './parse.js';
import { isObj } from './reader.js';
import { parseYamlDocuments } from './yaml.js';

export interface FileError extends ConfigError {
  readonly file: string;
  /** 1-based index of the YAML document in the file. */
  readonly document: number;
}

export interface ValidationReport {
  readonly ok: boolean;
  readonly errors: readonly FileError[];
  readonly files: number;
  readonly metallbObjects: number;
  readonly legacyConfigs: number;
  /** Speaker files (file mode), checked by the caller that found them (src/cli/validate.ts). */
  readonly speakerConfigs: number;
  /** Documents holding other kinds of objects, not checked. */
  readonly skipped: number;
}

export interface SourceFile {
  readonly name: string;
  readonly text: string;
}

interface Located {
  readonly obj: unknown;
  readonly file: string;
  readonly document: number;
  readonly path: string;
}

function pathOf(o: unknown): string {
  if (!isObj(o) || !isObj(o.metadata)) return '';
  const m = o.metadata;
  return objectPath(String(o.kind ?? ''), typeof m.namespace === 'string' ? m.namespace : '', typeof m.name === 'string' ? m.name : '');
}

/** Pure core of validateFiles: file contents in, report out. */
export function validateDocuments(files: readonly SourceFile[]): ValidationReport {
  const errors: FileError[] = [];
  const crds: Located[] = [];
  let legacyConfigs = 0;
  let skipped = 0;
  for (const f of files) {
    parseYamlDocuments(f.text).forEach((doc, di) => {
      const document = di + 1;
      const at = (e: ConfigError): FileError => ({ ...e, file: f.name, document });
      if (doc.errors.length > 0) {
        for (const e of doc.errors) errors.push(at({ path: '', code: 'parse-error', message: `not valid YAML: ${e.message.split('\n')[0]}` }));
        return;
      }
      const value: unknown = doc.toJS();
      if (value === null || value === undefined) return;
      const items = isObj(value) && value.kind === 'List' && Array.isArray(value.items) ? (value.items as unknown[]) : [value];
      for (const item of items) {
        if (isMetalLBObject(item)) {
          crds.push({ obj: item, file: f.name, document, path: pathOf(item) });
        } else if (isObj(item) && item.kind === 'ConfigMap') {
          if (isObj(item.data) && typeof item.data.config === 'string') {
            legacyConfigs++;
            const r = parseConfigMap(item);
            if (!r.ok) errors.push(...r.errors.map(at));
          } else skipped++;
        } else if (looksLikeLegacyConfig(item)) {
          legacyConfigs++;
          const r = parseLegacyConfig(JSON.stringify(item));
          if (!r.ok) errors.push(...r.errors.map(at));
        } else if (isObj(item) && typeof item.kind === 'string') {
          skipped++;
        } else {
          errors.push(at({ path: '', code: 'unknown-kind', message: 'neither a Kubernetes object nor a MetalLB legacy config' }));
        }
      }
    });
  }
  if (crds.length > 0) {
    const r = parseObjects(crds.map((c) => c.obj));
    if (!r.ok) {
      for (const e of r.errors) {
        // Attribute each error to the object whose path prefixes it; a
        // duplicate name belongs to the later object of that name.
        const matches = crds.filter((c) => c.path !== '' && (e.path === c.path || e.path.startsWith(`${c.path} `) || e.path.startsWith(`${c.path}.`)));
        const fallback = /^\[(\d+)\]/.exec(e.path);
        const owner = e.code === 'duplicate-name' ? matches[matches.length - 1] : (matches[0] ?? (fallback ? crds[Number(fallback[1])] : undefined));
        errors.push({ ...e, file: owner?.file ?? '', document: owner?.document ?? 0 });
      }
    }
  }
  return { ok: errors.length === 0, errors, files: files.length, metallbObjects: crds.length, legacyConfigs, speakerConfigs: 0, skipped };
}

/** Reads and validates files; unreadable files are reported as errors. */
export async function validateFiles(paths: readonly string[]): Promise<ValidationReport> {
  const files: SourceFile[] = [];
  const readErrors: FileError[] = [];
  for (const p of paths) {
    try {
      files.push({ name: p, text: await readFile(p, 'utf8') });
    } catch (e) {
      readErrors.push({ file: p, document: 0, path: '', code: 'parse-error', message: `cannot read: ${e instanceof Error ? e.message : String(e)}` });
    }
  }
  const r = validateDocuments(files);
  return { ...r, ok: r.ok && readErrors.length === 0, errors: [...readErrors, ...r.errors], files: paths.length };
}

/** One line per error (`file (document N): path: message`), then a summary line. */
export function formatValidationReport(r: ValidationReport): string {
  const lines = r.errors.map((e) => {
    const where = e.file === '' ? '' : e.document > 0 ? `${e.file} (document ${e.document}): ` : `${e.file}: `;
    return `${where}${formatConfigError(e)}`;
  });
  const speakers = r.speakerConfigs > 0 ? `${r.speakerConfigs} speaker config(s), ` : '';
  const counted = `${r.files} file(s), ${speakers}${r.metallbObjects} metallb.io object(s), ${r.legacyConfigs} legacy config(s), ${r.skipped} other document(s) skipped`;
  lines.push(r.ok ? `ok: ${counted}` : `${r.errors.length} error(s): ${counted}`);
  return lines.join('\n');
}
