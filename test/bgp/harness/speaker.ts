// A stand-alone process around BgpSpeaker, for tests and benchmarks that
// run shoal's BGP side inside a network namespace against real routers.
//
//   node dist/test/bgp/harness/speaker.js config.json
//
// config.json: { "listen": { "address": "::", "port": 179 } | false,
//                "peers": PeerOptions[], "routes": { peerName: Route[] } }
// stdin, one JSON command a line: {"cmd":"routes","routes":{...}},
//   {"cmd":"peers","peers":[...]}, {"cmd":"status"}, {"cmd":"shutdown"}.
// stdout, one JSON object a line: {"event":"ready"}, {"event":"status","peers":[...]},
//   {"event":"problems",...}, {"event":"bye"}. Logs go to stderr.
// SIGTERM shuts down as the speaker does (a planned restart: withdraw and
// Cease, or with graceful restart negotiated only a closed connection);
// {"cmd":"shutdown"} always withdraws; SIGKILL plays a crash.

import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Registry } from 'prom-client';
import { createLogger } from '../../../src/util/log.js';
import { BgpSpeaker } from '../../../src/bgp/speaker.js';
import type { PeerOptions } from '../../../src/bgp/options.js';
import type { Route } from '../../../src/bgp/advertise/route.js';
import type { ListenerOptions } from '../../../src/bgp/transport/tcp.js';

interface HarnessConfig {
  listen?: ListenerOptions | false;
  peers: PeerOptions[];
  routes?: Record<string, Route[]>;
}

function emit(obj: Record<string, unknown>): void {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

async function main(): Promise<void> {
  const path = process.argv[2];
  if (!path) throw new Error('usage: speaker.js config.json');
  const cfg = JSON.parse(readFileSync(path, 'utf8')) as HarnessConfig;
  const logger = createLogger({ fields: { proc: 'shoal-bgp' } });
  const registry = new Registry();
  const speaker = new BgpSpeaker({ logger, registry, ...(cfg.listen !== undefined ? { listen: cfg.listen } : {}) });
  const problems = await speaker.setPeers(cfg.peers);
  const routeProblems = speaker.setRoutes(cfg.routes ?? {});
  await speaker.start();
  emit({ event: 'ready', problems, routeProblems });

  let stopping = false;
  const stop = async (restart: boolean): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await speaker.shutdown({ message: 'shoal test harness stopping', restart });
    emit({ event: 'bye' });
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop(true));
  process.on('SIGINT', () => void stop(true));

  const rl = createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    void (async () => {
      if (!line.trim()) return;
      const cmd = JSON.parse(line) as { cmd: string; routes?: Record<string, Route[]>; peers?: PeerOptions[] };
      switch (cmd.cmd) {
        case 'routes':
          emit({ event: 'problems', routeProblems: speaker.setRoutes(cmd.routes ?? {}) });
          break;
        case 'peers':
          emit({ event: 'problems', problems: await speaker.setPeers(cmd.peers ?? []) });
          break;
        case 'status':
          emit({ event: 'status', peers: speaker.status() });
          break;
        case 'metrics':
          emit({ event: 'metrics', text: await registry.metrics() });
          break;
        case 'shutdown':
          await stop(false);
          break;
        default:
          emit({ event: 'error', message: `unknown command ${cmd.cmd}` });
      }
    })().catch((err: unknown) => emit({ event: 'error', message: (err as Error).message }));
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`shoal harness failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
