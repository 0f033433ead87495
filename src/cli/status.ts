// `shoal status` and `shoal explain IP`: read a speaker's (or the
// controller's) status endpoint and print it as tables; --watch refreshes.
import type { Command } from 'commander';

interface StatusFlags {
  url: string;
  json?: boolean;
  watch?: string | boolean;
}

const DEFAULT_URL = process.env['SHOAL_STATUS_URL'] ?? 'http://127.0.0.1:7473';

/** Fetches one status document; errors say what to check. */
export async function fetchStatus(base: string, path: string, json: boolean): Promise<string> {
  const url = `${base.replace(/\/+$/, '')}${path}${json ? '' : `${path.includes('?') ? '&' : '?'}format=text`}`;
  let res: Response;
  try {
    res = await fetch(url, { headers: { accept: json ? 'application/json' : 'text/plain' }, signal: AbortSignal.timeout(5000) });
  } catch (err) {
    throw new Error(`cannot reach ${url}: ${(err as Error).message}. Is the speaker running there? Pass --url http://NODE:7473 (the controller serves on :7472).`, { cause: err });
  }
  const body = await res.text();
  if (res.status === 404) throw new Error(`${url}: ${body.trim() || 'not found'}`);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}: ${body.trim()}`);
  return body.endsWith('\n') ? body : body + '\n';
}

export function registerStatusCommands(program: Command): void {
  program
    .command('status')
    .description("print a speaker's status: gossip members, who announces what, layer 2 and BGP peers")
    .option('--url <url>', 'status endpoint of a speaker (or of the controller, :7472)', DEFAULT_URL)
    .option('--json', 'print the JSON document instead of tables')
    .option('--watch [seconds]', 'refresh every few seconds (default 2) until interrupted')
    .action(async (flags: StatusFlags) => {
      const once = async (): Promise<string> => fetchStatus(flags.url, '/status', flags.json === true);
      if (!flags.watch) {
        process.stdout.write(await once());
        return;
      }
      const seconds = flags.watch === true ? 2 : Number(flags.watch);
      if (!(seconds > 0)) throw new Error(`--watch ${String(flags.watch)}: expected a number of seconds`);
      for (;;) {
        let text: string;
        try {
          text = await once();
        } catch (err) {
          text = `${(err as Error).message}\n`;
        }
        process.stdout.write(`\x1b[2J\x1b[H${new Date().toISOString()}  ${flags.url}  (every ${seconds} s; Ctrl-C stops)\n\n${text}`);
        await new Promise((r) => setTimeout(r, seconds * 1000));
      }
    });

  program
    .command('explain')
    .argument('<ip>', 'a service IP')
    .description('explain who announces a service IP and why: the ring walk, and every candidate left out with the reason')
    .option('--url <url>', 'status endpoint of any speaker', DEFAULT_URL)
    .option('--json', 'print the JSON document instead of text')
    .action(async (ip: string, flags: StatusFlags) => {
      process.stdout.write(await fetchStatus(flags.url, `/status/ip/${encodeURIComponent(ip)}`, flags.json === true));
    });
}
