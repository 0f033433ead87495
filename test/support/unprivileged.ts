// Running code as an unprivileged user (through setpriv) from tests that run
// as root. Such a child cannot assume it may read the checkout: root often
// clones into its own home (mode 0700), so the child gets a copy of what it
// needs in a directory it can enter, and an environment without the test
// runner's loader (tap's NODE_OPTIONS points into the checkout's
// node_modules). When a path is still out of reach, the test says which one,
// as which user, instead of failing on an empty reply.
import { chmod, cp, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, parse, sep } from 'node:path';
import { repoRoot } from './dist.js';

/** The image's numeric user (Dockerfile `USER 65532:65532`). */
export const IMAGE_UID = 65532;
/** The conventional `nobody`. */
export const NOBODY_UID = 65534;

/**
 * The command line that runs `cmd` as uid:gid `uid` with no groups and no
 * inheritable capabilities, in a cleared environment. The environment is
 * cleared by the command itself (`env -i`), not by spawn options: the test
 * runner hooks child_process and puts its loader, a path inside the
 * checkout, back into NODE_OPTIONS of every child it starts. env runs
 * before setpriv, so setpriv still executes `cmd` itself: an exec in
 * between would change what file capabilities grant under no_new_privs.
 */
export function asUser(uid: number, cmd: readonly string[], setprivFlags: readonly string[] = []): [string, string[]] {
  const path = `PATH=${process.env['PATH'] ?? '/usr/bin:/bin'}`;
  return ['env', ['-i', path, 'setpriv', `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', '--inh-caps=-all', ...setprivFlags, ...cmd]];
}

/**
 * Why `uid` (with gid `uid` and no other groups) cannot reach `path`, in one
 * line, or undefined when every directory on the way can be searched and the
 * file itself read. Mode bits only (no ACLs), which is what a checkout has.
 */
export function unreachableBy(uid: number, path: string): string | undefined {
  const parts = path.split(sep).filter(Boolean);
  let at = parse(path).root;
  for (let i = 0; i <= parts.length; i++) {
    let st;
    try {
      st = statSync(at);
    } catch {
      return `${at} does not exist`;
    }
    const bits = st.uid === uid ? (st.mode >> 6) & 7 : st.gid === uid ? (st.mode >> 3) & 7 : st.mode & 7;
    const last = i === parts.length;
    const need = last && !st.isDirectory() ? 4 : 1;
    if ((bits & need) === 0) {
      const mode = (st.mode & 0o7777).toString(8).padStart(4, '0');
      return `user ${uid} cannot ${need === 4 ? 'read' : 'enter'} ${at} (mode ${mode}, owner ${st.uid}:${st.gid}) on the way to ${path}`;
    }
    if (last) return undefined;
    at = join(at, parts[i]!);
  }
  return undefined;
}

/** A directory tree a given user can read, holding copies of parts of the checkout. */
export interface StagedTree {
  readonly root: string;
  /** The staged copy of a path given relative to the checkout. */
  path(relative: string): string;
  remove(): Promise<void>;
}

export interface StageOptions {
  /** Files and directories, relative to the checkout, copied to the same place in the stage. */
  paths: readonly string[];
  /** Packages from node_modules, copied with everything they depend on. */
  modules?: readonly string[];
}

/**
 * Copies parts of the checkout into a fresh directory under the system's
 * temporary directory that `uid` can enter and read. The checkout's own
 * permissions are never touched.
 */
export async function stageForUser(uid: number, opts: StageOptions): Promise<StagedTree> {
  const base = readableTmp(uid);
  const root = await mkdtemp(join(base, 'shoal-unpriv-'));
  const remove = (): Promise<void> => rm(root, { recursive: true, force: true });
  try {
    const rels = [...opts.paths, ...(await moduleClosure(opts.modules ?? [])).map((m) => join('node_modules', m))];
    for (const rel of rels) await cp(join(repoRoot, rel), join(root, rel), { recursive: true, dereference: true });
    // mkdtemp makes 0700 and cp keeps the umask's modes: open the stage, not the checkout.
    await openUp(root);
    const why = unreachableBy(uid, root);
    if (why) throw new Error(why);
  } catch (err) {
    await remove();
    throw err;
  }
  return { root, path: (rel) => join(root, rel), remove };
}

/**
 * A node binary `uid` can run: this one, or a copy in the stage when this
 * one is installed where that user cannot reach (a version manager under
 * root's home, for instance).
 */
export async function runnableNode(uid: number, stage: StagedTree): Promise<string> {
  if (unreachableBy(uid, process.execPath) === undefined) return process.execPath;
  const copy = join(stage.root, 'node');
  await cp(process.execPath, copy);
  await chmod(copy, 0o755);
  return copy;
}

/** The system's temporary directory if `uid` can enter it, else /tmp; never the checkout. */
function readableTmp(uid: number): string {
  for (const dir of [tmpdir(), '/tmp']) if (unreachableBy(uid, dir) === undefined) return dir;
  throw new Error(`no temporary directory user ${uid} can enter: ${unreachableBy(uid, tmpdir())}`);
}

async function openUp(root: string): Promise<void> {
  await chmod(root, 0o755);
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    const full = join(entry.parentPath, entry.name);
    await chmod(full, entry.isDirectory() ? 0o755 : (statSync(full).mode & 0o111) !== 0 ? 0o755 : 0o644);
  }
}

/** The named packages and their runtime dependencies, as installed (hoisted) in the checkout. */
async function moduleClosure(names: readonly string[]): Promise<string[]> {
  const seen = new Set<string>();
  const queue = [...names];
  while (queue.length > 0) {
    const name = queue.shift()!;
    if (seen.has(name)) continue;
    const manifest = join(repoRoot, 'node_modules', name, 'package.json');
    let pkg: { dependencies?: Record<string, string> };
    try {
      pkg = JSON.parse(await readFile(manifest, 'utf8')) as typeof pkg;
    } catch (err) {
      throw new Error(`cannot stage ${name}: ${manifest} is not readable (${(err as Error).message})`, { cause: err });
    }
    seen.add(name);
    // A dependency nested under the package's own node_modules travels with it.
    for (const dep of Object.keys(pkg.dependencies ?? {})) {
      try {
        statSync(join(repoRoot, 'node_modules', name, 'node_modules', dep));
      } catch {
        queue.push(dep);
      }
    }
  }
  return [...seen].sort();
}

/**
 * Parses the one JSON line a child was asked to print; when there is none,
 * says why in one line (the child's first error line) instead of
 * "Unexpected end of JSON input".
 */
export function childJson<T>(what: string, result: { stdout: string; stderr: string; code: number }): T {
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    const line = result.stderr.split('\n').find((l) => /error|cannot|denied|not found/i.test(l)) ?? result.stderr.split('\n').find(Boolean) ?? '(no output)';
    throw new Error(`${what} exited ${result.code} without its report: ${line.trim()}`);
  }
}
