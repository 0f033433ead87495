// Enough of the Dockerfile and .dockerignore syntaxes to check shoal's own:
// instructions with line continuations and comments, stages, COPY sources,
// and Docker's ignore-file matching (globs per path segment, `!` exceptions,
// last match wins, a match on a directory covers what is below it).
export interface Instruction {
  keyword: string;
  /** The arguments as written, continuations joined. */
  args: string;
  line: number;
}

export interface Stage {
  name: string;
  from: string;
  instructions: Instruction[];
}

export function parseDockerfile(text: string): { args: Map<string, string>; stages: Stage[] } {
  const instructions: Instruction[] = [];
  let pending: { text: string; line: number } | undefined;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line.startsWith('#') || (line === '' && !pending)) return;
    const continued = line.endsWith('\\');
    const body = continued ? line.slice(0, -1) : line;
    pending = pending ? { text: `${pending.text} ${body}`, line: pending.line } : { text: body, line: i + 1 };
    if (!continued) {
      const m = /^(\S+)\s*(.*)$/.exec(pending.text.trim());
      if (m) instructions.push({ keyword: (m[1] as string).toUpperCase(), args: (m[2] as string).replace(/\s+/g, ' ').trim(), line: pending.line });
      pending = undefined;
    }
  });
  if (pending) throw new Error(`line ${pending.line}: continuation at the end of the file`);
  const args = new Map<string, string>();
  const stages: Stage[] = [];
  for (const ins of instructions) {
    if (ins.keyword === 'FROM') {
      const m = /^(?:--platform=\S+ )?(\S+)(?: AS (\S+))?$/i.exec(ins.args);
      if (!m) throw new Error(`line ${ins.line}: FROM ${ins.args}`);
      const from = (m[1] as string).replace(/\$\{(\w+)\}/g, (_, name: string) => args.get(name) ?? `\${${name}}`);
      stages.push({ name: m[2] ?? String(stages.length), from, instructions: [] });
    } else if (stages.length === 0) {
      if (ins.keyword !== 'ARG') throw new Error(`line ${ins.line}: ${ins.keyword} before the first FROM`);
      const [name, value] = ins.args.split('=');
      args.set(name as string, value ?? '');
    } else {
      (stages[stages.length - 1] as Stage).instructions.push(ins);
    }
  }
  return { args, stages };
}

export interface Copy {
  from?: string;
  sources: string[];
  dest: string;
  line: number;
}

/** A COPY instruction's --from, sources and destination (shell form or JSON form). */
export function parseCopy(ins: Instruction): Copy {
  let rest = ins.args;
  let from: string | undefined;
  for (;;) {
    const flag = /^--(\w+)=(\S+)\s+/.exec(rest);
    if (!flag) break;
    if (flag[1] === 'from') from = flag[2];
    rest = rest.slice(flag[0].length);
  }
  const parts = rest.startsWith('[') ? (JSON.parse(rest) as string[]) : rest.split(' ');
  if (parts.length < 2) throw new Error(`line ${ins.line}: COPY needs a source and a destination`);
  return { ...(from !== undefined && { from }), sources: parts.slice(0, -1), dest: parts[parts.length - 1] as string, line: ins.line };
}

/** The last value of an instruction a stage inherits through `FROM <stage>`. */
export function effective(stages: readonly Stage[], stage: Stage, keyword: string): string | undefined {
  for (let s: Stage | undefined = stage; s; s = stages.find((x) => x.name === s?.from)) {
    const hit = [...s.instructions].reverse().find((i) => i.keyword === keyword);
    if (hit) return hit.args;
  }
  return undefined;
}

function globToRegExp(glob: string): RegExp {
  let re = '';
  for (const ch of glob) re += ch === '*' ? '[^/]*' : ch === '?' ? '[^/]' : ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${re}$`);
}

/** Whether a path of the build context is sent to the builder, per .dockerignore. */
export function makeIgnore(text: string): (path: string) => boolean {
  const rules = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const negate = l.startsWith('!');
      const pattern = (negate ? l.slice(1) : l).replace(/^\/+|\/+$/g, '');
      if (pattern.includes('**') || pattern.includes('[')) throw new Error(`.dockerignore pattern ${l}: not supported by this checker`);
      return { negate, re: globToRegExp(pattern) };
    });
  return (path: string): boolean => {
    const parts = path.replace(/^\.?\/+|\/+$/g, '').split('/');
    let ignored = false;
    for (const rule of rules) {
      // A pattern matching a directory covers everything below it.
      const hit = parts.some((_, i) => rule.re.test(parts.slice(0, i + 1).join('/')));
      if (hit) ignored = !rule.negate;
    }
    return !ignored;
  };
}
