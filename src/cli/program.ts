// The `shoal` command line (started by main.ts).
import { Command } from 'commander';
import { registerControllerCommand } from './controller.js';
import { registerGossipCommand } from './gossip.js';
import { registerKeygenCommand } from './keygen.js';
import { registerSpeakerCommand } from './speaker.js';
import { registerStatusCommands } from './status.js';
import { registerValidateCommand } from './validate.js';
import { VERSION } from './version.js';

export function buildProgram(): Command {
  const program = new Command();
  program.name('shoal').description('bare-metal LoadBalancer for Kubernetes: gossip, ARP/NDP and BGP announcing').version(VERSION);
  registerSpeakerCommand(program);
  registerStatusCommands(program);
  registerGossipCommand(program);
  registerControllerCommand(program);
  registerValidateCommand(program);
  registerKeygenCommand(program);
  return program;
}

buildProgram()
  .parseAsync(process.argv)
  .catch((err: unknown) => {
    process.stderr.write(`shoal: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
