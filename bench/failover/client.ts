// The client of bench/failover: one HTTP request to the VIP every interval
// on a fresh connection, each with a short timeout, and one line per request
// on stdout:
//
//   <start ms> <end ms> <served-by node | !error code>
//
// (wall-clock ms since the epoch, as the speakers' logs, so one time line
// holds both). A fresh connection per request means each request resolves
// through the client's neighbour cache as it is at that moment: the first
// request after the cache moves to the new owner succeeds.
//
//   node dist/bench/failover/client.js HOST PORT INTERVAL_MS TIMEOUT_MS
import { request } from 'node:http';

const [host, portText, intervalText, timeoutText] = process.argv.slice(2);
const port = Number(portText);
const intervalMs = Number(intervalText);
const timeoutMs = Number(timeoutText);
if (!host || !(port > 0) || !(intervalMs > 0) || !(timeoutMs > 0)) throw new Error('usage: client.js HOST PORT INTERVAL_MS TIMEOUT_MS');

let pending = '';
let flushQueued = false;
function emit(line: string): void {
  pending += line + '\n';
  if (flushQueued) return;
  flushQueued = true;
  setImmediate(() => {
    flushQueued = false;
    process.stdout.write(pending);
    pending = '';
  });
}

function once(): void {
  const start = Date.now();
  let done = false;
  const finish = (result: string): void => {
    if (done) return;
    done = true;
    emit(`${start} ${Date.now()} ${result}`);
  };
  const req = request({ host, port, path: '/', agent: false }, (res) => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => (body += chunk));
    res.on('end', () => finish(res.statusCode === 200 && body ? body : `!http-${res.statusCode ?? 0}`));
    res.on('error', (err: NodeJS.ErrnoException) => finish(`!${err.code ?? 'error'}`));
  });
  // The timeout covers the whole exchange: a SYN to a dead MAC is never
  // answered and would otherwise wait for TCP's 1 s retransmission.
  const timer = setTimeout(() => {
    finish('!timeout');
    req.destroy();
  }, timeoutMs);
  req.on('close', () => clearTimeout(timer));
  req.on('error', (err: NodeJS.ErrnoException) => finish(`!${err.code ?? 'error'}`));
  req.end();
}

// Requests on a fixed grid from the start, so a slow tick does not shift
// the ones after it.
const t0 = Date.now();
let n = 0;
function tick(): void {
  once();
  n++;
  setTimeout(tick, Math.max(0, t0 + n * intervalMs - Date.now()));
}
tick();
process.on('SIGTERM', () => {
  process.stdout.write(pending);
  process.exit(0);
});
