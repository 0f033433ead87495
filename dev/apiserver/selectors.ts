// Label and field selectors with the real API server's grammar and meaning.
// Parsing is strict: a selector the real server rejects with 400 is rejected
// here too, so code that builds selectors is tested against the real rules.

import { badRequest } from './api-errors.js';
import { valueAt } from './object-path.js';
import { labelValueProblem, qualifiedNameProblem } from './validation.js';

export type LabelRequirement =
  | { key: string; op: 'exists' | 'notexists' }
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'gt' | 'lt'; value: number };

export type LabelSelector = LabelRequirement[];

type Token = { kind: 'id'; text: string } | { kind: 'op'; text: string };

function tokenize(s: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (c === ' ' || c === '\t') { i++; continue; }
    const two = s.slice(i, i + 2);
    if (two === '==' || two === '!=') { out.push({ kind: 'op', text: two }); i += 2; continue; }
    if ('=!(),<>'.includes(c)) { out.push({ kind: 'op', text: c }); i++; continue; }
    let j = i;
    while (j < s.length && !' \t=!(),<>'.includes(s[j]!)) j++;
    out.push({ kind: 'id', text: s.slice(i, j) });
    i = j;
  }
  return out;
}

/** Parses `a=b,c!=d,e in (x,y),!f,g` into requirements; throws 400 BadRequest on bad input. */
export function parseLabelSelector(input: string): LabelSelector {
  const toks = tokenize(input);
  const reqs: LabelSelector = [];
  let i = 0;
  const fail = (why: string): never => {
    throw badRequest(`unable to parse requirement: ${why} in label selector "${input}"`);
  };
  const checkKey = (key: string): string => {
    const p = qualifiedNameProblem(key);
    if (p) fail(`invalid label key "${key}": ${p}`);
    return key;
  };
  const checkValue = (v: string): string => {
    const p = labelValueProblem(v);
    if (p) fail(`invalid label value "${v}": ${p}`);
    return v;
  };
  if (toks.length === 0) return reqs;
  for (;;) {
    const t = toks[i];
    if (!t) fail('expected a requirement');
    if (t!.kind === 'op' && t!.text === '!') {
      const k = toks[i + 1];
      if (!k || k.kind !== 'id') fail("expected a key after '!'");
      reqs.push({ key: checkKey(k!.text), op: 'notexists' });
      i += 2;
    } else if (t!.kind === 'id') {
      const key = checkKey(t!.text);
      const op = toks[i + 1];
      if (!op || (op.kind === 'op' && op.text === ',')) {
        reqs.push({ key, op: 'exists' });
        i += 1;
      } else if (op.kind === 'op' && (op.text === '=' || op.text === '==' || op.text === '!=')) {
        const v = toks[i + 2];
        let value = '';
        if (v && v.kind === 'id') { value = v.text; i += 3; } else { i += 2; }
        reqs.push({ key, op: op.text === '!=' ? 'notin' : 'in', values: [checkValue(value)] });
      } else if (op.kind === 'op' && (op.text === '<' || op.text === '>')) {
        const v = toks[i + 2];
        if (!v || v.kind !== 'id' || !/^-?\d+$/.test(v.text)) fail(`expected an integer after '${op.text}'`);
        reqs.push({ key, op: op.text === '>' ? 'gt' : 'lt', value: Number(v!.text) });
        i += 3;
      } else if (op.kind === 'id' && (op.text === 'in' || op.text === 'notin')) {
        const open = toks[i + 2];
        if (!open || open.kind !== 'op' || open.text !== '(') fail(`expected '(' after ${op.text}`);
        i += 3;
        const values: string[] = [];
        for (;;) {
          const v = toks[i];
          if (!v) fail("expected ')'");
          if (v!.kind === 'op' && v!.text === ')') { i++; break; }
          if (v!.kind === 'op' && v!.text === ',') {
            // An empty value between commas is the empty string, as in the real parser.
            values.push('');
            i++;
            continue;
          }
          if (v!.kind !== 'id') fail(`unexpected '${v!.text}' in value list`);
          values.push(checkValue(v!.text));
          i++;
          const sep = toks[i];
          if (sep && sep.kind === 'op' && sep.text === ',') i++;
        }
        if (values.length === 0) fail(`for '${op.text}', set must have at least one value`);
        reqs.push({ key, op: op.text as 'in' | 'notin', values });
      } else {
        fail(`unexpected '${op.text}' after key "${key}"`);
      }
    } else {
      fail(`unexpected '${t!.text}'`);
    }
    const sep = toks[i];
    if (!sep) break;
    if (sep.kind !== 'op' || sep.text !== ',') fail(`expected ',' but found '${sep.text}'`);
    i++;
  }
  return reqs;
}

export function matchesLabels(sel: LabelSelector, labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  for (const r of sel) {
    const has = Object.prototype.hasOwnProperty.call(l, r.key);
    const v = l[r.key];
    switch (r.op) {
      case 'exists': if (!has) return false; break;
      case 'notexists': if (has) return false; break;
      case 'in': if (!has || !r.values.includes(v!)) return false; break;
      case 'notin': if (has && r.values.includes(v!)) return false; break;
      case 'gt':
      case 'lt': {
        if (!has || !/^-?\d+$/.test(v!)) return false;
        const n = Number(v);
        if (r.op === 'gt' ? !(n > r.value) : !(n < r.value)) return false;
        break;
      }
    }
  }
  return true;
}

export interface FieldRequirement {
  field: string;
  op: '=' | '!=';
  value: string;
}

/** Splits on unescaped commas; `\,` `\=` `\!` and `\\` escape as in the real parser. */
export function parseFieldSelector(input: string): FieldRequirement[] {
  const out: FieldRequirement[] = [];
  if (input.trim() === '') return out;
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < input.length; i++) {
    const c = input[i]!;
    if (c === '\\' && i + 1 < input.length) { cur += c + input[i + 1]; i++; continue; }
    if (c === ',') { parts.push(cur); cur = ''; continue; }
    cur += c;
  }
  parts.push(cur);
  for (const part of parts) {
    const m = findOperator(part);
    if (!m) throw badRequest(`invalid selector: '${input}'; can't understand '${part}'`);
    const field = part.slice(0, m.at).trim();
    const value = unescape(part.slice(m.at + m.op.length));
    if (field === '') throw badRequest(`invalid selector: '${input}'; empty field name in '${part}'`);
    out.push({ field, op: m.op === '!=' ? '!=' : '=', value });
  }
  return out;
}

function findOperator(part: string): { at: number; op: string } | undefined {
  for (let i = 0; i < part.length; i++) {
    if (part[i] === '\\') { i++; continue; }
    for (const op of ['!=', '==', '=']) {
      if (part.startsWith(op, i)) return { at: i, op };
    }
  }
  return undefined;
}

function unescape(s: string): string {
  return s.replace(/\\(.)/g, '$1');
}

/** Fields a resource type can be selected on, as the real server's field label conversion allows. */
export type FieldGetter = (obj: Record<string, unknown>) => string;

function str(path: string): FieldGetter {
  return (o) => {
    const v = valueAt(o, path);
    return v === undefined || v === null ? '' : String(v);
  };
}

const metaFields: Record<string, FieldGetter> = {
  'metadata.name': str('metadata.name'),
  'metadata.namespace': str('metadata.namespace'),
};

const involved = (f: string): FieldGetter => str(`involvedObject.${f}`);

/** Extra selectable fields by "group/plural" (core group is ""). Everything else: metadata only. */
const extraFields: Record<string, Record<string, FieldGetter>> = {
  '/pods': {
    'spec.nodeName': str('spec.nodeName'),
    'spec.restartPolicy': str('spec.restartPolicy'),
    'spec.schedulerName': str('spec.schedulerName'),
    'spec.serviceAccountName': str('spec.serviceAccountName'),
    'spec.hostNetwork': (o) => String(valueAt(o, 'spec.hostNetwork') === true),
    'status.phase': str('status.phase'),
    'status.podIP': str('status.podIP'),
    'status.nominatedNodeName': str('status.nominatedNodeName'),
  },
  '/nodes': { 'spec.unschedulable': (o) => String(valueAt(o, 'spec.unschedulable') === true) },
  '/namespaces': { 'status.phase': str('status.phase') },
  '/secrets': { type: str('type') },
  '/events': {
    'involvedObject.kind': involved('kind'),
    'involvedObject.namespace': involved('namespace'),
    'involvedObject.name': involved('name'),
    'involvedObject.uid': involved('uid'),
    'involvedObject.apiVersion': involved('apiVersion'),
    'involvedObject.resourceVersion': involved('resourceVersion'),
    'involvedObject.fieldPath': involved('fieldPath'),
    reason: str('reason'),
    reportingComponent: str('reportingComponent'),
    source: str('source.component'),
    type: str('type'),
  },
  'events.k8s.io/events': {
    reason: str('reason'),
    type: str('type'),
    reportingController: str('reportingController'),
  },
};

export function fieldGetters(group: string, plural: string): Record<string, FieldGetter> {
  return { ...metaFields, ...extraFields[`${group}/${plural}`] };
}

/** Checks every field is selectable on this type; throws 400 as the real server does. */
export function compileFieldSelector(
  reqs: readonly FieldRequirement[],
  getters: Record<string, FieldGetter>,
): (obj: Record<string, unknown>) => boolean {
  const compiled = reqs.map((r) => {
    const g = getters[r.field];
    if (!g) throw badRequest(`field label not supported: ${r.field}`);
    return { g, r };
  });
  return (obj) => compiled.every(({ g, r }) => (g(obj) === r.value) === (r.op === '='));
}
