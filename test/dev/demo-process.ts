// `shoal-dev demo` as a child process for tests: its narration collected,
// killed with the test if still running.
import { spawn } from 'node:child_process';
import { devCliPath } from '../support/dist.js';

export interface DemoProcess {
  /** Everything printed so far, stdout and stderr. */
  output(): string;
  /** The exit code, once it exits. */
  readonly exited: Promise<number | null>;
  kill(signal: NodeJS.Signals): void;
}

export function startDemo(t: { teardown(fn: () => unknown): void }, args: readonly string[]): DemoProcess {
  const child = spawn(process.execPath, [devCliPath, 'demo', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  // The demo stops its own processes on SIGINT; a SIGKILL would orphan them
  // (still holding the demo's fixed ports), so it is only the last resort.
  t.teardown(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGINT');
    const stopped = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 45_000).unref())]);
    if (!stopped) child.kill('SIGKILL');
  });
  return { output: () => out, exited, kill: (signal) => child.kill(signal) };
}
