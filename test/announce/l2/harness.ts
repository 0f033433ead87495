// A layer-2 responder in a process of its own, for namespace tests and
// benchmarks: node dist/test/announce/l2/harness.js [--arp-schedule=0,250]
// [--ndp-schedule=0,1000] [--rescan-ms=10000] [--reassert-ms=0] [--quiet-verdicts]
// (periodic re-assertion is off unless --reassert-ms is given, so tests can count frames)
//
// stdin, one JSON object a line:
//   {"op":"set","id":1,"desired":{"192.0.2.100":{"interfaces":["eth0"]},"2001:db8::100":{}}}
//   {"op":"status","id":2}   {"op":"metrics","id":3}   {"op":"exit"}
// stdout, one JSON object a line: {"event":"ready"}, every announcer event
// ({"event":"verdict",...}, "announce", "withdraw", "gratuitous", "error"),
// and {"event":"ack","id":N,...} for each command (with "status", "metrics"
// or "error" as the command asks or fails). Logs go to stderr.

import { createInterface } from 'node:readline';

import { Registry } from 'prom-client';

import { Announcer, type AnnouncerEvent } from '../../../src/announce/l2/announcer.js';
import type { L2Target } from '../../../src/announce/l2/desired-state.js';
import { createSystemIo } from '../../../src/announce/l2/system-io.js';
import { RealClock } from '../../../src/util/clock.js';
import { createLogger } from '../../../src/util/log.js';

function flag(name: string): string | undefined {
  const prefix = `--${name}=`;
  return process.argv.find((a) => a.startsWith(prefix))?.slice(prefix.length);
}

function list(name: string): number[] | undefined {
  const v = flag(name);
  return v === undefined ? undefined : v.split(',').map(Number);
}

function emit(obj: Record<string, unknown>): void {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

function main(): void {
  const quietVerdicts = process.argv.includes('--quiet-verdicts');
  const logger = createLogger();
  const registry = new Registry();
  let announcer: Announcer;
  try {
    const rescan = flag('rescan-ms');
    announcer = new Announcer({
      io: createSystemIo(),
      clock: new RealClock(),
      logger,
      registry,
      arpScheduleMs: list('arp-schedule'),
      ndpScheduleMs: list('ndp-schedule'),
      rescanIntervalMs: rescan === undefined ? undefined : Number(rescan),
      reassertEveryMs: Number(flag('reassert-ms') ?? 0),
      onEvent: (e: AnnouncerEvent) => {
        if (quietVerdicts && e.type === 'verdict') return;
        const { type, ...rest } = e;
        emit({ event: type, ...rest });
      },
    });
    announcer.start();
  } catch (err) {
    const e = err as Error & { code?: string };
    emit({ event: 'fatal', code: e.code, message: e.message });
    process.exitCode = 2;
    return;
  }
  const lines = createInterface({ input: process.stdin });
  let closing = false;
  const shutdown = (): void => {
    if (closing) return;
    closing = true;
    announcer.close();
    lines.close();
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);

  lines.on('line', (line) => {
    if (line.trim() === '') return;
    let cmd: { op?: string; id?: unknown; desired?: Record<string, L2Target> };
    try {
      cmd = JSON.parse(line) as typeof cmd;
    } catch {
      emit({ event: 'ack', error: `not JSON: ${line}` });
      return;
    }
    const ack = (extra: Record<string, unknown> = {}): void => emit({ event: 'ack', id: cmd.id, op: cmd.op, ...extra });
    try {
      switch (cmd.op) {
        case 'set':
          announcer.set(new Map(Object.entries(cmd.desired ?? {})));
          ack();
          break;
        case 'status':
          ack({ status: announcer.status() });
          break;
        case 'metrics':
          registry.metrics().then(
            (text) => ack({ metrics: text }),
            (err: unknown) => ack({ error: String(err) }),
          );
          break;
        case 'exit':
          ack();
          shutdown();
          break;
        default:
          ack({ error: `unknown op ${String(cmd.op)}` });
      }
    } catch (err) {
      ack({ error: (err as Error).message });
    }
  });
  lines.on('close', shutdown);
  emit({ event: 'ready', pid: process.pid });
}

main();
